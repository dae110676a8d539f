"""The graph refreshes by itself: a new entity partition requests exactly the relationship assets that read it."""

from dagster import AssetKey, AssetSelection, evaluate_automation_conditions

from aws_assets.jobs import sync_region_job
from aws_assets.partitions import account_region_key
from aws_assets.relationship_assets import GROUP, tables_read
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets_tests.conftest import DEV


def test_a_new_instance_partition_requests_the_relationships_that_read_instances(synced):
    defs, instance = synced["defs"], synced["instance"]
    selection = AssetSelection.groups(GROUP)
    settled = evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=selection)
    # After sync built the graph, nothing is stale.
    settled = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=settled.cursor
    )
    assert settled.total_requested == 0

    job = defs.resolve_job_def(sync_region_job.name)
    assert job.execute_in_process(partition_key=account_region_key(DEV, "eu-west-1"), instance=instance).success
    result = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=settled.cursor
    )

    requested = {key for key in map(AssetKey, RELATIONSHIP_TYPES) if result.get_num_requested(key)}
    regional_tables = {"aws_instance", "aws_ebs_volume", "aws_security_group", "aws_vpc", "aws_subnet",
                       "aws_key_pair", "aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table",
                       "aws_lambda_function", "aws_api_gateway_rest_api", "aws_config_rule"}
    expected = {AssetKey(t) for t, r in RELATIONSHIP_TYPES.items() if set(tables_read(r)) & regional_tables}
    assert requested == expected
    assert AssetKey("aws_instance_uses_ebs_volume") in requested
    assert AssetKey("aws_iam_group_contains_user") not in requested  # reads IAM tables only
