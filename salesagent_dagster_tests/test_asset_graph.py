"""The assembled code location's asset graph has no loose ends: every asset an asset reads is
one the code location defines. A dependency on a key nobody makes (a typo, a key prefix that
changed) is no error to Dagster, which shows it as an external asset that never
materializes, and the reader's lineage and automation silently stop there."""

from __future__ import annotations

from salesagent_dagster.definitions import build_definitions


def test_every_upstream_asset_is_defined_here():
    graph = build_definitions().resolve_asset_graph()
    defined = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    loose = {
        (child.to_user_string(), parent.to_user_string())
        for child in defined
        for parent in graph.get(child).parent_keys
        if parent not in defined
    }
    assert loose == set()
