"""The forking launcher's `preload_modules` in the repo's dagster.yaml still import: a name
that stopped importing (a client upgrade moved it) would make every launch fall back to the
code server, slower but silently."""

from __future__ import annotations

import importlib

import yaml

from salesagent_dagster.local.instance import INSTANCE_CONFIG


def test_every_module_the_zygote_preloads_imports():
    launcher = yaml.safe_load(INSTANCE_CONFIG.read_text())["run_launcher"]
    modules = launcher["config"]["preload_modules"]
    assert modules
    for name in modules:
        importlib.import_module(name)
