"""The lake snapshot: what the graph and analysis assets read the lake through."""

import os
import re

import pyarrow as pa
import pyarrow.parquet as pq

from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.storage import Lake
from aws_assets.services.catalog import ENTITY_TYPES

VPC = ENTITY_TYPES["aws_vpc"]
KEYS = pa.schema([VPC.schema.field("_key"), VPC.schema.field("vpcId")])


def vpcs(account_id: str, region: str, *vpc_ids: str) -> pa.Table:
    rows = [{"_key": f"arn:aws:ec2:{region}:{account_id}:vpc/{v}", "name": v, "vpcId": v} for v in vpc_ids]
    return VPC.to_table(rows, account_id, region)


def write(lake: Lake, account_id: str, region: str, *vpc_ids: str) -> None:
    lake.write_partition(VPC.type, account_id, region, vpcs(account_id, region, *vpc_ids))


def ids(table: pa.Table) -> list[str]:
    return sorted(table.column("vpcId").to_pylist())


def test_a_warm_snapshot_reads_only_the_partitions_that_changed(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    write(lake, "111111111111", "us-east-1", "vpc-a", "vpc-b")
    write(lake, "111111111111", "eu-west-1", "vpc-c")
    write(lake, "222222222222", "us-east-1", "vpc-d")
    cache = str(tmp_path / "cache")

    cold = LakeSnapshot(lake, cache)
    assert ids(cold.read(VPC.type, KEYS)) == ["vpc-a", "vpc-b", "vpc-c", "vpc-d"]
    assert (cold.stats.files, cold.stats.read_files, cold.stats.reused_files) == (3, 3, 0)

    unchanged = LakeSnapshot(lake, cache)
    table = unchanged.read(VPC.type, KEYS)
    assert table.schema == KEYS and ids(table) == ["vpc-a", "vpc-b", "vpc-c", "vpc-d"]
    assert (unchanged.stats.read_files, unchanged.stats.reused_files) == (0, 3)

    write(lake, "111111111111", "us-east-1", "vpc-a", "vpc-e")  # vpc-b deleted, vpc-e created
    os.remove(lake.partition_path(VPC.type, "222222222222", "us-east-1"))  # the account's data removed
    write(lake, "333333333333", "us-east-1", "vpc-f")  # a new account
    refreshed = LakeSnapshot(lake, cache)
    assert ids(refreshed.read(VPC.type, KEYS)) == ["vpc-a", "vpc-c", "vpc-e", "vpc-f"]
    assert (refreshed.stats.files, refreshed.stats.read_files, refreshed.stats.reused_files) == (3, 2, 1)
    # What the snapshot returns is what reading every file returns.
    uncached = LakeSnapshot(lake, None)
    assert uncached.read(VPC.type, KEYS).sort_by("_key") == refreshed.read(VPC.type, KEYS).sort_by("_key")
    assert uncached.stats.read_files == 3


def test_snapshots_are_kept_per_lake_and_per_columns(tmp_path):
    cache = str(tmp_path / "cache")
    first, second = Lake(str(tmp_path / "first")), Lake(str(tmp_path / "second"))
    write(first, "111111111111", "us-east-1", "vpc-a")
    write(second, "111111111111", "us-east-1", "vpc-z")
    assert ids(LakeSnapshot(first, cache).read(VPC.type, KEYS)) == ["vpc-a"]
    assert ids(LakeSnapshot(second, cache).read(VPC.type, KEYS)) == ["vpc-z"]
    with_cidr = pa.schema([*KEYS, VPC.schema.field("CIDR")])
    wider = LakeSnapshot(first, cache)
    assert wider.read(VPC.type, with_cidr).schema == with_cidr
    assert wider.stats.read_files == 1  # another set of columns is another snapshot


def test_a_damaged_snapshot_is_rebuilt_from_the_lake(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    write(lake, "111111111111", "us-east-1", "vpc-a")
    cache = tmp_path / "cache"
    LakeSnapshot(lake, str(cache)).read(VPC.type, KEYS)
    for data in cache.rglob("*.arrow"):
        data.write_bytes(b"not an arrow file")
    again = LakeSnapshot(lake, str(cache))
    assert ids(again.read(VPC.type, KEYS)) == ["vpc-a"]
    assert again.stats.read_files == 1


def test_a_partition_written_before_a_column_existed_reads_as_null(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    path = lake.partition_path(VPC.type, "111111111111", "us-east-1")
    os.makedirs(os.path.dirname(path))
    old = vpcs("111111111111", "us-east-1", "vpc-a").drop_columns(["CIDR"])
    pq.write_table(old.set_column(old.schema.get_field_index("isDefault"), "isDefault",
                                  pa.nulls(1, pa.null())), path)
    schema = pa.schema([VPC.schema.field(name) for name in ("_key", "CIDR", "isDefault")])
    table = LakeSnapshot(lake, str(tmp_path / "cache")).read(VPC.type, schema)
    assert table.schema == schema
    assert table.to_pylist() == [{"_key": "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-a", "CIDR": None,
                                  "isDefault": None}]


def test_a_table_never_written_is_empty_with_its_schema(tmp_path):
    table = LakeSnapshot(Lake(str(tmp_path / "lake")), str(tmp_path / "cache")).read(VPC.type, KEYS)
    assert table.num_rows == 0 and table.schema == KEYS


def test_a_second_graph_build_reads_only_the_tables_the_first_rewrote(synced):
    """Built again over an unchanged lake, the relationships reuse the snapshot the previous build left, except for
    the person and security_group_peer tables, which the same job writes again before the relationships."""
    before = {name: synced["lake"].read_table(name).num_rows for name in ("aws_vpc_contains_subnet",
                                                                          "aws_iam_group_contains_user")}
    build_graph = synced["defs"].resolve_job_def("build_graph")
    assert build_graph.execute_in_process(instance=synced["instance"]).success  # whatever earlier tests rewrote
    result = build_graph.execute_in_process(instance=synced["instance"])
    assert result.success
    [message] = [record.user_message for record in synced["instance"].all_logs(result.run_id)
                 if "partition files" in (record.user_message or "")]
    match = re.search(r"of ([\d,]+) partition files \(([\d,]+) read from the lake, ([\d,]+) from the snapshot\)",
                      message)
    files, read, reused = (int(group.replace(",", "")) for group in match.groups())
    assert files > 100 and read == 2 and reused == files - 2
    after = {name: synced["lake"].read_table(name).num_rows for name in before}
    assert after == before and all(after.values())
