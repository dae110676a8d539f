import os

import boto3
import duckdb
import pyarrow as pa
import pytest

from aws_assets.catalog import ENTITY_TYPES
from aws_assets.lake.sql import connect
from aws_assets.lake.storage import Lake
from aws_assets.services.account import AWS_ACCOUNT, account_rows

SCHEMAS = {name: et.schema for name, et in ENTITY_TYPES.items()}


def account_table(account_id: str, alias: str) -> pa.Table:
    rows = account_rows(account_id, [alias], {"Users": 2}, None)
    return AWS_ACCOUNT.to_table(rows, account_id, "global")


def test_partition_layout_and_replacement(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    path = lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "old"))
    assert path == str(tmp_path / "lake/aws_account/account=111111111111/data.parquet")
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "new"))
    regional = lake.write_partition("aws_vpc", "111111111111", "eu-west-1", ENTITY_TYPES["aws_vpc"].schema.empty_table())
    assert regional.endswith("aws_vpc/account=111111111111/region=eu-west-1/data.parquet")
    assert lake.read_table("aws_account").column("name").to_pylist() == ["new"]
    assert sorted(os.listdir(tmp_path / "lake/aws_account/account=111111111111")) == ["data.parquet"]


def test_failed_write_keeps_previous_partition(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    lake.write_partition("aws_account", "111111111111", None, account_table("111111111111", "good"))
    not_a_table = pa.chunked_array([[1, 2]])
    with pytest.raises(Exception):
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
    assert sorted(keys) == [
        "graph/aws_account/account=111111111111/data.parquet",
        "graph/aws_account/account=222222222222/data.parquet",
    ]
    con = connect(lake, SCHEMAS)
    assert con.sql("SELECT name FROM aws_account ORDER BY accountId").fetchall() == [("second",), ("other",)]
    assert con.execute("SELECT count(*) FROM entities").fetchall() == [(2,)]
