"""The edge's operator surfaces with the review desk able to act.

The desk's approve, edit and reject go through the one review service (DESIGN I-8) exactly as
the CLI's do: `services.review.run_review` runs the `review_lead` job of the assembled code
location in this process, on the instance the daemon and the UI use, so the run, its checks
and its audit show in the UI like a Launchpad review. The edge package may not import the
code location (test_layering.py), so this module, which sits above both, wires them; the
public surface has no desk and stays `edge.app:public_app`.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from dagster import DagsterInstance, Definitions
from starlette.applications import Starlette

from salesagent_dagster.edge.app import build_app
from salesagent_dagster.edge.context import EdgeContext
from salesagent_dagster.local.instance import prepare_dagster_home
from salesagent_dagster.local.one_tick import QUIET_CONSOLE
from salesagent_dagster.services.review import ReviewRun, run_review


@cache
def _definitions() -> Definitions:
    """Built once per process, at the first review, not at the edge's start."""
    from salesagent_dagster.definitions import build_definitions

    return build_definitions()


def run_review_here(partition_key: str, config: dict[str, Any]) -> ReviewRun:
    prepare_dagster_home()
    with DagsterInstance.get() as instance:
        return run_review(instance, _definitions(), partition_key, config, run_config=QUIET_CONSOLE)


def desk_context() -> EdgeContext:
    return replace(EdgeContext.from_env(), run_review=run_review_here)


def internal_app() -> Starlette:
    return build_app(desk_context(), "internal")


def all_app() -> Starlette:
    return build_app(desk_context(), "all")
