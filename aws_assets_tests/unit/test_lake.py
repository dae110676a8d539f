import json
import os

import boto3
import duckdb
import pyarrow as pa
import pytest
from dagster import DagsterInstance

from aws_assets.app.cli import main as cli_main
from aws_assets.aws.session import assume_role_session
from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.sync import sync
from aws_assets.inputs.instances import load_instances
from aws_assets.lake.sql import connect
from aws_assets.lake.storage import Lake
from aws_assets.services.account import AWS_ACCOUNT, account_rows
from aws_assets.services.catalog import ENTITY_TYPES
from aws_assets_tests.conftest import ACCOUNT_ID, INSTANCE, REGION

SCHEMAS = {name: et.schema for name, et in ENTITY_TYPES.items()}


def account_table(account_id: str, alias: str) -> pa.Table:
    rows = account_rows(account_id, [alias], {"Users": 2}, None)
    return AWS_ACCOUNT.to_table(rows, account_id, "global")


def test_partition_layout_and_replacement(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    path = lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "old"))
    assert path == str(tmp_path / "lake/aws_account/account=111111111111/data.parquet")
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "new"))
    empty_vpcs = ENTITY_TYPES["aws_vpc"].schema.empty_table()
    regional = lake.write_partition("aws_vpc", "111111111111", "eu-west-1", empty_vpcs)
    assert regional.endswith("aws_vpc/account=111111111111/region=eu-west-1/data.parquet")
    assert lake.read_table("aws_account").column("name").to_pylist() == ["new"]
    assert sorted(os.listdir(tmp_path / "lake/aws_account/account=111111111111")) == ["data.parquet"]


def test_failed_write_keeps_previous_partition(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "good"))
    not_a_table = pa.chunked_array([[1, 2]])
    with pytest.raises(AttributeError):
        lake.write_partition("aws_account", "111111111111", None, not_a_table)
    assert lake.read_table("aws_account").column("name").to_pylist() == ["good"]
    assert sorted(os.listdir(tmp_path / "lake/aws_account/account=111111111111")) == ["data.parquet"]


def test_views_entities_and_empty_tables(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "a"))
    lake.write_partition("aws_account", "222222222222", None, account_table("222222222222", "b"))
    con = connect(lake, SCHEMAS)
    assert con.sql("SELECT accountId, name FROM aws_account ORDER BY 1").fetchall() == [
        ("111111111111", "a"), ("222222222222", "b")]
    assert con.sql("SELECT _type, count(*) FROM entities GROUP BY 1").fetchall() == [("aws_account", 2)]
    # Never written: an empty table that still has every column of its schema.
    assert con.execute("SELECT count(*) FROM aws_instance").fetchall() == [(0,)]
    columns = [row[0] for row in con.sql("DESCRIBE aws_instance").fetchall()]
    assert columns == ENTITY_TYPES["aws_instance"].schema.names
    # Account IDs stay text, tags are a map.
    types = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE aws_account)").fetchall())
    assert types["accountId"] == "VARCHAR"
    assert types["tags"] == "MAP(VARCHAR, VARCHAR)"


def test_duckdb_file_holds_the_views(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "a"))
    database = str(tmp_path / "graph.duckdb")
    connect(lake, SCHEMAS, database=database).close()
    with duckdb.connect(database, read_only=True) as con:
        assert con.sql("SELECT name FROM aws_account").fetchall() == [("a",)]
        assert con.execute("SELECT count(*) FROM entities").fetchall() == [(1,)]


def test_s3_lake_on_moto(moto_server):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="security-lake")
    lake = Lake("s3://security-lake/graph")
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "first"))
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "second"))
    lake.write_partition("aws_account", "222222222222", None, account_table("222222222222", "other"))
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="security-lake")["Contents"]]
    assert sorted(k for k in keys if not k.startswith("graph/_history/")) == [
        "graph/aws_account/account=111111111111/data.parquet",
        "graph/aws_account/account=222222222222/data.parquet",
    ]
    versions = sorted((k.split("/")[4], k.rsplit(".", 2)[1]) for k in keys if k.startswith("graph/_history/"))
    assert versions == [("account=111111111111", "delta"), ("account=111111111111", "full"),
                        ("account=222222222222", "full")]
    con = connect(lake, SCHEMAS)
    assert con.sql("SELECT name FROM aws_account ORDER BY accountId").fetchall() == [("second",), ("other",)]
    assert con.execute("SELECT count(*) FROM entities").fetchall() == [(2,)]


def test_sync_into_s3_lake_then_sql_over_it(moto_server, tmp_path, monkeypatch, capsys):
    """A sync through the Dagster definitions with AWS_ASSETS_LAKE=s3://..., as production runs it, then
    `aws-assets sql` over the S3 lake: the entity tables and the relationship graph built with DuckDB over S3."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="security-lake")
    account = assume_role_session(INSTANCE)
    iam = account.client("iam")
    for name in ("deployer", "auditor"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
    ec2 = account.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.7.1.0/24")
    vpcs = len(ec2.describe_vpcs()["Vpcs"])  # moto's default VPC, and ours
    instances_file = tmp_path / "instances.json"
    instances_file.write_text(json.dumps([{"roleArn": INSTANCE.role_arn, "externalId": INSTANCE.external_id,
                                           "regions": [REGION]}]))
    lake = "s3://security-lake/graph"
    monkeypatch.setenv("AWS_ASSETS_LAKE", lake)
    monkeypatch.setenv("AWS_ASSETS_INSTANCES", str(instances_file))

    with DagsterInstance.ephemeral() as dagster_instance:
        report = sync(load_instances(instances_file), build_definitions(), dagster_instance)
    assert report.ok, [r.errors for r in report.failures] + (report.graph.errors if report.graph else [])
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="security-lake", Prefix="graph/")["Contents"]}
    assert f"graph/aws_iam_role/account={ACCOUNT_ID}/data.parquet" in keys
    assert f"graph/aws_vpc/account={ACCOUNT_ID}/region={REGION}/data.parquet" in keys
    assert "graph/aws_vpc_contains_subnet/data.parquet" in keys
    assert not [key for key in keys if key.endswith(".tmp")]
    capsys.readouterr()

    query = ("SELECT (SELECT count(*) FROM aws_iam_role) AS roles, (SELECT count(*) FROM aws_vpc) AS vpcs, "
             "(SELECT count(*) FROM relationships WHERE _type = 'aws_vpc_contains_subnet' "
             f"AND _fromEntityKey LIKE '%{vpc_id}') AS our_subnets")
    assert cli_main(["sql", "--lake", lake, "--format", "csv", query]) == 0
    roles = len(iam.list_roles()["Roles"])
    assert capsys.readouterr().out.splitlines() == ["roles,vpcs,our_subnets", f"{roles},{vpcs},1"]


def test_open_lake_in_memory_reads_the_snapshot_and_sees_rewrites_on_reopen(tmp_path):
    """`aws-assets sql` (in memory) reads through the snapshot; a `--write-db` file holds views over the Parquet.
    Both answer the same, and a partition rewritten since is seen by the next open."""
    from aws_assets.graph.tables import open_lake

    lake = Lake(str(tmp_path / "lake"))
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "before"))
    lake.write_partition("aws_account", "222222222222", None, account_table("222222222222", "other"))
    query = "SELECT accountId, name FROM aws_account ORDER BY accountId"
    assert open_lake(lake.root).sql(query).fetchall() == [("111111111111", "before"), ("222222222222", "other")]
    assert open_lake(lake.root, str(tmp_path / "graph.duckdb")).sql(query).fetchall() == [
        ("111111111111", "before"), ("222222222222", "other")]
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "after"))
    reopened = open_lake(lake.root)
    assert reopened.sql(query).fetchall() == [("111111111111", "after"), ("222222222222", "other")]
    assert reopened.sql("SELECT count(*) FROM entities").fetchall() == [(2,)]
    assert reopened.sql("SELECT count(*) FROM relationships").fetchall() == [(0,)]
