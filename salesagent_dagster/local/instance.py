"""The embedded Dagster instance: DAGSTER_HOME with the repo's dagster.yaml."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from salesagent_dagster.settings import dagster_home

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_CONFIG = REPO_ROOT / "dagster.yaml"


def prepare_dagster_home() -> Path:
    """Create DAGSTER_HOME (default ./.dagster_home) and give it the repo's dagster.yaml
    unless it has its own; export it so Dagster and every subprocess agree."""
    home = dagster_home().resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() and INSTANCE_CONFIG.exists():
        shutil.copyfile(INSTANCE_CONFIG, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
