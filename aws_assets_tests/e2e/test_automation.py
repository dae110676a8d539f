"""The graph refreshes by itself: a new entity partition requests exactly the relationship assets that read it."""

from dagster import AssetKey, AssetMaterialization, AssetSelection, evaluate_automation_conditions

from aws_assets.defs.assets.relationships import GROUP
from aws_assets.defs.partitions import account_region_key
from aws_assets.graph.edges import tables_read
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets_tests.conftest import DEV


def test_a_new_instance_partition_requests_exactly_the_relationships_that_read_instances(synced):
    defs, instance = synced["defs"], synced["instance"]
    selection = AssetSelection.groups(GROUP)
    settled = evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=selection)
    # After sync built the graph, nothing is stale.
    settled = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=settled.cursor
    )
    assert settled.total_requested == 0

    # A new materialization of one instance partition, recorded without re-collecting: other tests reset moto.
    instance.report_runless_asset_event(
        AssetMaterialization(asset_key="aws_instance", partition=account_region_key(DEV, "eu-west-1"))
    )
    result = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=settled.cursor
    )

    requested = {key for key in map(AssetKey, RELATIONSHIP_TYPES) if result.get_num_requested(key)}
    expected = {AssetKey(t) for t, r in RELATIONSHIP_TYPES.items() if "aws_instance" in tables_read(r)}
    assert requested == expected
    assert AssetKey("aws_instance_uses_ebs_volume") in requested
    assert AssetKey("aws_iam_group_contains_user") not in requested  # reads IAM tables only
