"""End to end: the simulated organisation on a moto server, synced through the Dagster definitions, read with DuckDB."""

import json
from pathlib import Path

import pytest
from dagster import AssetKey, AssetsDefinition, DagsterEventType, EventRecordsFilter, materialize

from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.partitions import account_region_key, account_region_partitions, regions_partitions
from aws_assets.inputs.instances import load_instances
from aws_assets.services.catalog import ENTITY_TYPES
from aws_assets.sim.accounts import ORGANIZATION_ID, PARTNER_ACCOUNT_ID
from aws_assets.sim.estate import secretsmanager, sns
from aws_assets.sim.organisation import LAMBDA_ENVIRONMENT_SECRET, expected_counts
from aws_assets_tests.conftest import DEV, PROD, SHARED

# What the simulated organisation's estate modules declare they seed, per entity type: counts in prod, dev, shared.
EXPECTED_COUNTS = {
    entity_type: tuple(per_account[account] for account in (PROD, DEV, SHARED))
    for entity_type, per_account in expected_counts().items()
}


def test_every_partition_synced(synced):
    report = synced["report"]
    assert report.ok, [f"{r.label}: {r.errors}" for r in report.failures]
    # Per account: the account-wide partition and the instance's three regions.
    assert sorted((r.account_id, "" if r.is_account_wide else r.region) for r in report.results) == sorted(
        (account, region) for account in (PROD, DEV, SHARED) for region in ("", "us-east-1", "eu-west-1",
                                                                            "ap-southeast-2")
    )
    assert all(sum(r.calls_by_operation().values()) > 0 for r in report.results)
    calls = report.calls_by_operation()
    assert calls["iam:GetAccountAuthorizationDetails"] == 3  # once per account, never per principal
    assert calls["sts:AssumeRole"] == 3  # one session per account, refreshed only when it expires
    assert not [op for op in calls if op.split(":")[1].startswith(("Put", "Create", "Delete", "Update"))]
    assert not {"s3:GetObject", "s3:ListObjects", "s3:ListObjectsV2", "dynamodb:Scan", "dynamodb:Query",
                "dynamodb:GetItem", "lambda:GetFunction", "secretsmanager:GetSecretValue",
                "secretsmanager:BatchGetSecretValue", "sqs:ReceiveMessage", "kms:Decrypt", "kms:GenerateDataKey",
                "sns:Publish"} & set(calls)


@pytest.mark.parametrize("entity_type", sorted(EXPECTED_COUNTS))
def test_entity_counts_per_account(sql, entity_type):
    counts = dict(sql(f"SELECT accountId, count(*) FROM {entity_type} GROUP BY 1"))
    assert (counts.get(PROD, 0), counts.get(DEV, 0), counts.get(SHARED, 0)) == EXPECTED_COUNTS[entity_type]


def test_every_declared_type_is_in_the_lake_and_the_entities_view(sql):
    assert set(EXPECTED_COUNTS) == set(ENTITY_TYPES)
    # The trust analysis's placeholders (targets no account's tables hold) are in `entities` too: test_trust_edges.py;
    # so are the security group peers (internet, CIDR ranges, prefix lists): test_security_group_analysis.py.
    not_placeholder = "_key NOT IN (SELECT _key FROM placeholder UNION ALL SELECT _key FROM security_group_peer)"
    by_type = dict(sql(
        f"SELECT _type, count(*) FROM entities WHERE _type <> 'person' AND {not_placeholder} GROUP BY 1"))
    assert by_type == {t: sum(counts) for t, counts in EXPECTED_COUNTS.items() if sum(counts)}
    assert sql("SELECT count(*) FROM entities WHERE _key IS NULL OR _class IS NULL") == [(0,)]
    # Every AWS entity belongs to an account; people belong to none.
    assert sql(f"SELECT DISTINCT _type FROM entities WHERE accountId IS NULL AND {not_placeholder}") == [("person",)]
    assert sql("SELECT count(*) - count(DISTINCT _key) FROM entities") == [(0,)]


def test_security_properties_survive_the_trip(sql):
    buckets = dict(sql("SELECT name, public FROM aws_s3_bucket WHERE accountId = ?", PROD))
    assert buckets["acme-prod-website"] is True
    assert buckets["acme-prod-public-downloads"] is True
    assert buckets["acme-prod-customer-data"] is False
    assert sql("SELECT encrypted, region FROM aws_s3_bucket WHERE name = 'acme-prod-customer-data'") == [
        (True, "us-east-1")]
    users = {row[0]: row[1:] for row in sql(
        "SELECT username, passwordEnabled, mfaEnabled FROM aws_iam_user WHERE accountId = ?", PROD)}
    assert users["alice"] == (True, True)
    assert users["break-glass"] == (True, False)
    assert users["ci-deploy"] == (False, False)
    open_ssh = sql("SELECT groupName FROM aws_security_group, unnest(ingressRules) AS r(rule) "
                   "WHERE accountId = ? AND region = 'eu-west-1' AND rule.cidrIpv4 = '0.0.0.0/0' "
                   "AND rule.fromPort = 22", PROD)
    assert open_ssh == [("prod-bastion-ssh",)]
    assert sql("SELECT count(*) FROM aws_rds_cluster WHERE accountId = ? AND len(memberInstanceIdentifiers) = 2",
               PROD) == [(2,)]
    integrations = sql("SELECT i.httpMethod, i.lambdaFunctionArn FROM aws_api_gateway_rest_api, "
                       "unnest(integrations) AS t(i) WHERE accountId = ? AND i.integrationType = 'AWS_PROXY' "
                       "ORDER BY 1", DEV)
    assert [m for m, _ in integrations] == ["GET", "POST"]
    assert {arn for _, arn in integrations} == {f"arn:aws:lambda:us-east-1:{DEV}:function:dev-orders-api"}


def test_metadata_only_never_contents(synced, sql):
    names = sql("SELECT environmentVariableNames FROM aws_lambda_function WHERE name = 'prod-orders-api'")
    assert "DB_PASSWORD" in names[0][0]
    lake = synced["lake"]
    for table in ENTITY_TYPES:
        text = str(lake.read_table(table, ENTITY_TYPES[table].schema).to_pylist())
        assert LAMBDA_ENVIRONMENT_SECRET not in text, table
        assert "exports/customers.csv" not in text, table
        assert secretsmanager.SECRET_VALUE not in text, table
        assert all(sns.oncall_address(env) not in text for env in ("prod", "dev", "shared")), table


def test_resource_policies_survive_the_trip(sql):
    def statements(table: str, name: str) -> list[dict]:
        [(policy,)] = sql(f"SELECT policy FROM {table} WHERE name = ?", name)
        return json.loads(policy)["Statement"]

    [(release_key_policy,)] = sql("SELECT policy FROM aws_kms_key WHERE list_contains(aliases, ?)",
                                  "alias/prod-release-artifacts")
    trusted = [s["Principal"]["AWS"] for s in json.loads(release_key_policy)["Statement"]]
    assert f"arn:aws:iam::{SHARED}:root" in trusted
    [queue_send] = statements("aws_sqs_queue", "prod-order-events")
    assert (queue_send["Principal"], queue_send["Condition"]) == (
        "*", {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{PROD}:prod-orders"}})
    assert {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT_ID}:root"} in [
        s["Principal"] for s in statements("aws_sns_topic", "prod-orders")]
    assert statements("aws_secretsmanager_secret", "prod/orders/db")[0]["Principal"] == {
        "AWS": f"arn:aws:iam::{PARTNER_ACCOUNT_ID}:root"}
    assert sql("SELECT count(*) FROM aws_secretsmanager_secret WHERE policy IS NOT NULL") == [(1,)]
    [pull] = statements("aws_ecr_repository", "shared/base-images")
    assert pull["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}}
    assert sql("SELECT accountId, name FROM aws_lambda_function WHERE functionUrlAuthType = 'NONE'") == [
        (PROD, "prod-orders-api")]


def test_materializations_are_in_the_dagster_instance(synced):
    instance = synced["instance"]
    keys = instance.get_materialized_partitions(AssetKey("aws_instance"))
    assert len(keys) == 9
    event = instance.get_latest_materialization_event(AssetKey("aws_iam_role"))
    metadata = event.asset_materialization.metadata
    assert metadata["dagster/row_count"].value in EXPECTED_COUNTS["aws_iam_role"]
    assert metadata["aws/api_calls"].value >= 0
    assert "| _key |" in metadata["preview"].value
    # The column schema is the asset's, once, not every partition's materialization.
    spec_metadata = synced["defs"].get_assets_def("aws_iam_role").specs_by_key[AssetKey("aws_iam_role")].metadata
    assert [c.name for c in spec_metadata["dagster/column_schema"].columns] == ENTITY_TYPES[
        "aws_iam_role"].schema.names


def materialize_region(defs, instance, account: str, region: str):
    """What the UI's Materialize of one account x region partition runs: the regional multi-assets. The region is
    a partition once some account collects it (here as if another one did)."""
    instance.add_dynamic_partitions(regions_partitions.name, [region])
    regional = [a for a in defs.assets
                if isinstance(a, AssetsDefinition) and a.partitions_def is account_region_partitions]
    resources = {"aws": defs.resources["aws"], "lake": defs.resources["lake"]}
    return materialize(regional, partition_key=str(account_region_key(account, region)), instance=instance,
                       resources=resources)


def test_region_outside_the_instance_is_an_empty_partition_with_a_note(synced):
    result = materialize_region(synced["defs"], synced["instance"], PROD, "us-west-2")
    events = result.get_asset_materialization_events()
    assert {e.asset_key.path[0] for e in events} == {
        t for t, et in ENTITY_TYPES.items() if synced["lake"].has_table(t) and "region=" in
        synced["lake"].partition_files(t)[0]}
    for event in events:
        metadata = event.materialization.metadata
        assert metadata["dagster/row_count"].value == 0
        assert metadata["aws/api_calls"].value == 0
        assert "not in the instance's regions" in metadata["note"].value
    assert synced["lake"].read_table("aws_instance").num_rows == sum(EXPECTED_COUNTS["aws_instance"])


def test_region_not_enabled_for_the_account_costs_no_call(synced, tmp_path):
    # Without `regions`, the account's enabled regions decide; moto reports me-south-1 as an opt-in region the
    # account has not opted in to.
    instances_file = tmp_path / "instances.json"
    [prod] = [i for i in load_instances_of(synced) if i["roleArn"].split(":")[4] == PROD]
    instances_file.write_text(json.dumps([{k: v for k, v in prod.items() if k != "regions"}]))
    defs = build_definitions(instances_file=str(instances_file), lake_root=synced["lake"].root)
    aws = defs.resources["aws"]
    [instance] = load_instances(instances_file)
    enabled = aws.regions_to_collect(instance, aws.collection(instance, "global"))
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= set(enabled)
    assert "me-south-1" not in enabled

    result = materialize_region(defs, synced["instance"], PROD, "me-south-1")
    events = result.get_asset_materialization_events()
    assert events
    for event in events:
        metadata = event.materialization.metadata
        assert (metadata["dagster/row_count"].value, metadata["aws/api_calls"].value) == (0, 0)
        assert metadata["note"].value == f"region me-south-1 is not collected for account {PROD}: not enabled for " \
                                          "the account"


def test_external_ids_stay_out_of_the_lake_and_the_event_log(synced):
    external_ids = [i["externalId"] for i in load_instances_of(synced)]
    lake = synced["lake"]
    for table in ENTITY_TYPES:
        text = str(lake.read_table(table, ENTITY_TYPES[table].schema).to_pylist())
        assert not [e for e in external_ids if e in text], table
    records = synced["instance"].get_event_records(EventRecordsFilter(DagsterEventType.ASSET_MATERIALIZATION),
                                                   limit=10_000)
    assert records
    log = str([record.event_log_entry.to_json() for record in records])
    runs = str([run.run_config for run in synced["instance"].get_runs()])
    assert not [e for e in external_ids if e in log or e in runs]


def load_instances_of(synced):
    return json.loads(Path(synced["instances_file"]).read_text())
