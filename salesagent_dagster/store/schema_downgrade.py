"""Taking the app DB's schema back to a named migration: the second half of rolling back a
deploy (the first is the previous image tag).

Run it with the code of the release being rolled back, before the previous image starts:
only that code holds the newer migrations' `downgrade()`s. It refuses what cannot be undone:
an unknown revision, one that is not older than the database, the empty schema (that is a
restore from backup, not a rollback), and any migration on the way whose `downgrade()` does
nothing or raises (read from its source with `ast`: no script is run to find out).
A downgrade drops what the newer migrations added, with its data: back up first.
"""

from __future__ import annotations

import ast
from pathlib import Path

from salesagent_dagster.store.database import (
    MIGRATIONS_DIR,
    code_revisions,
    database_revision,
    dispose_engine,
    get_engine,
    normalise_database_url,
)


class DowngradeRefused(RuntimeError):
    """The downgrade cannot (or must not) be done; the message says why and what instead."""


def downgrade_steps(current: str | None, target: str) -> list[str]:
    """The migrations to undo, newest first, to go from `current` to `target`; raises
    DowngradeRefused for a downgrade that is not possible."""
    revisions = code_revisions()
    if target not in revisions:
        raise DowngradeRefused(
            f"unknown revision {target!r}; this code knows {', '.join(revisions)}"
            " (to empty the database, restore a backup instead)"
        )
    if current is None or current not in revisions:
        raise DowngradeRefused(f"the app DB is at {current!r}, which this code cannot downgrade")
    if revisions.index(target) >= revisions.index(current):
        raise DowngradeRefused(f"the app DB is at {current}, not newer than {target}")
    steps = revisions[revisions.index(target) + 1 : revisions.index(current) + 1][::-1]
    irreversible = [step for step in steps if not _has_real_downgrade(_script(step))]
    if irreversible:
        raise DowngradeRefused(
            f"migration {', '.join(irreversible)} cannot go down; restore the backup taken "
            "before it instead (salesagent restore)"
        )
    return steps


def downgrade(url: str, target: str) -> list[str]:
    """Undo the migrations above `target` on the app DB at `url`; the ones undone."""
    from alembic import command
    from alembic.config import Config

    url = normalise_database_url(url)
    steps = downgrade_steps(database_revision(url), target)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, target)
    dispose_engine(url)  # and forget that this process found it at head
    return steps


def _script(revision: str) -> Path:
    (path,) = (MIGRATIONS_DIR / "versions").glob(f"{revision}_*.py")
    return path


def _has_real_downgrade(script: Path) -> bool:
    """Whether the script's `downgrade()` does something and never raises."""
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name == "downgrade":
            body = [
                statement
                for statement in node.body
                if not isinstance(statement, ast.Pass)
                and not (
                    isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                )
            ]
            raises = any(isinstance(child, ast.Raise) for child in ast.walk(node))
            return bool(body) and not raises
    return False
