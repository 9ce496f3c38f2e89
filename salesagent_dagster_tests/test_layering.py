"""The package's layering (DESIGN section 2) as a test, so it cannot quietly decay again.

`defs, cli, edge -> services -> store, resources -> domain`; no defs folder imports a sibling
(they share only `defs.partitions` and `defs.failure_policy`); the CLI never imports defs;
nothing imports upward; the emulators import nothing of ours. Imports are read from the
source with `ast` (no module is executed), including those inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "salesagent_dagster"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
DEFS_SHARED = {"defs.partitions", "defs.failure_policy"}

# What each layer may import of ours, besides itself. The entry points (definitions, cli,
# local) sit on top and may import what they wire together.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "policy": set(),
    "sandbox": set(),
    # Infrastructure under Dagster (dagster.yaml's run launcher): it forks workers of any code
    # location, so it knows none of ours.
    "run_launcher": set(),
    "store": {"domain"},
    "resources": {"domain", "store"},
    "observability": {"domain", "settings"},
    "settings": {"domain", "store", "resources"},
    "services": {"domain", "store", "resources", "settings", "observability"},
    "defs": {"domain", "store", "resources", "settings", "services", "observability"},
    "edge": {"domain", "store", "resources", "settings", "services", "observability"},
    # The CLI runs jobs of the assembled code locations (`definitions`, `code_locations`),
    # never a defs folder.
    "cli": {
        "domain", "store", "resources", "settings", "services", "observability", "local",
        "definitions", "code_locations",
    },
    "local": {
        "domain", "store", "resources", "settings", "services", "observability", "sandbox",
        "defs", "definitions", "code_locations", "edge", "run_launcher",
    },
    "code_locations": {"defs", "settings", "observability", "resources", "services"},
    "definitions": {"code_locations", "observability"},
    "warehouse_definitions": {"code_locations", "observability"},
}  # fmt: skip


@dataclass(frozen=True)
class Violation:
    module: str
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.module} imports {self.imported}: {self.why}"


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = [p for p in relative.parts if p != "__init__"]
    return ".".join(parts) or "__init__"


def imported_modules(source: str, module: str) -> Iterator[str]:
    """Our modules a source imports, as names relative to the package."""
    package_parts = module.split(".")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level]
                names = [".".join([PACKAGE, *base, *([node.module] if node.module else [])])]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                yield name.removeprefix(PACKAGE).removeprefix(".")


def layer_of(module: str) -> str:
    return module.split(".", 1)[0]


def defs_folder(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "defs" or len(parts) < 2 or ".".join(parts[:2]) in DEFS_SHARED:
        return None
    return parts[1]


def violations_of(module: str, source: str) -> list[Violation]:
    found = []
    layer = layer_of(module)
    for imported in imported_modules(source, module):
        target = layer_of(imported)
        if target == layer:
            folder, other = defs_folder(module), defs_folder(imported)
            if layer == "defs" and folder and other and folder != other:
                found.append(Violation(module, imported, "a defs folder imports a sibling"))
            continue
        if target not in ALLOWED.get(layer, set()):
            found.append(Violation(module, imported, f"{layer} may not import {target}"))
    return found


def all_violations() -> list[Violation]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found += violations_of(module_name(path), path.read_text(encoding="utf-8"))
    return found


def test_the_package_keeps_its_layering():
    assert [str(v) for v in all_violations()] == []


def test_a_defs_folder_importing_a_sibling_is_caught():
    source = "from salesagent_dagster.defs.leads.draft_assets import draft\n"
    (violation,) = violations_of("defs.safety.draft_checks", source)
    assert violation.why == "a defs folder imports a sibling"


def test_shared_defs_modules_and_relative_imports_are_read_correctly():
    ok = "from salesagent_dagster.defs.partitions import submissions_partitions\n"
    assert violations_of("defs.safety.draft_checks", ok) == []
    upward = "def f():\n    from ..defs.review import jobs\n"
    (violation,) = violations_of("services.review", upward)
    assert violation.why == "services may not import defs"
    assert [str(v) for v in violations_of("cli.review_commands", "import salesagent_dagster.defs")]
