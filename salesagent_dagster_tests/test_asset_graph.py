"""The workspace's asset graph has no loose ends: every asset an asset reads is one a code
location defines. A dependency on a key nobody makes (a typo, a key prefix that changed) is
no error to Dagster, which shows it as an external asset that never materializes, and the
reader's lineage and automation silently stop there. And the lead location reads nothing of
the warehouse's: a lead's run must not wait on, or load, the warehouse's code."""

from __future__ import annotations

from dagster import AssetKey, Definitions

from salesagent_dagster.code_locations import (
    WAREHOUSE_FOLDERS,
    build_definitions,
    build_workspace_definitions,
    definition_folders,
    lead_folders,
    warehouse_folders,
)


def loose_ends(definitions: Definitions) -> set[tuple[str, str]]:
    graph = definitions.resolve_asset_graph()
    defined = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    return {
        (child.to_user_string(), parent.to_user_string())
        for child in defined
        for parent in graph.get(child).parent_keys
        if parent not in defined
    }


def test_every_upstream_asset_is_defined_in_the_workspace() -> None:
    assert loose_ends(build_workspace_definitions()) == set()


def test_the_lead_location_reads_only_its_own_assets() -> None:
    assert loose_ends(build_definitions()) == set()


def test_every_folder_is_in_exactly_one_location() -> None:
    assert set(definition_folders()) >= WAREHOUSE_FOLDERS
    assert sorted(lead_folders() + warehouse_folders()) == definition_folders()
    assert "leads" in lead_folders() and "analytics" in warehouse_folders()


def test_the_locations_define_disjoint_assets() -> None:
    lead_keys: set[AssetKey] = set(build_definitions().resolve_asset_graph().get_all_asset_keys())
    workspace = build_workspace_definitions().resolve_asset_graph()
    warehouse_only = set(workspace.get_all_asset_keys()) - lead_keys
    assert AssetKey("experiment_results") in warehouse_only
    assert AssetKey("lead") in lead_keys
