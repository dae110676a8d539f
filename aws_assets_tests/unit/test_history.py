"""The lake's history (aws_assets.lake.history): what a rewrite keeps, the lake as of a time, pruning."""

import os
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

from aws_assets.analysis.findings import FINDINGS_SCHEMA
from aws_assets.graph.changes import compute_entity_changes
from aws_assets.lake.as_of import LakeAsOf
from aws_assets.lake.history import CHANGE_COLUMN, list_versions
from aws_assets.lake.prune import prune
from aws_assets.lake.storage import Lake
from aws_assets.services.iam import IAM_ACCESS_KEY

ACCOUNT = "111111111111"
DAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def keys(*specs: tuple[str, str, datetime | None]) -> pa.Table:
    rows = [{"_key": f"arn:aws:iam::{ACCOUNT}:key/{key}", "name": key, "accessKeyId": key, "status": status,
             "lastUsedDate": used} for key, status, used in specs]
    return IAM_ACCESS_KEY.to_table(rows, ACCOUNT, "global")


def write(lake: Lake, table: pa.Table, at: datetime) -> None:
    lake.write_partition(IAM_ACCESS_KEY.type, ACCOUNT, None, table, at)


def changes_of(lake: Lake) -> list[list[tuple[str, str]]]:
    """Each version's rows as (access key, change), oldest version first."""
    return [sorted(zip(pq.read_table(v.path).column("accessKeyId").to_pylist(),
                       pq.read_table(v.path).column(CHANGE_COLUMN).to_pylist()))
            for v in list_versions(lake, IAM_ACCESS_KEY.type)]


def as_of(lake: Lake, at: datetime) -> list[tuple[str, str]]:
    table = LakeAsOf(lake, at).read(IAM_ACCESS_KEY.type, IAM_ACCESS_KEY.schema)
    return sorted(zip(table.column("accessKeyId").to_pylist(), table.column("status").to_pylist()))


def test_a_rewrite_keeps_only_what_changed_and_the_lake_answers_as_of_each_version(tmp_path):
    lake = Lake(str(tmp_path))
    write(lake, keys(("A", "Active", None), ("B", "Active", None), ("C", "Active", None)), DAY)
    # The same keys, one used since (volatile): no version
    write(lake, keys(("A", "Active", DAY), ("B", "Active", None), ("C", "Active", None)), DAY + timedelta(days=1))
    # B deactivated, C deleted, D created
    write(lake, keys(("A", "Active", DAY), ("B", "Inactive", None), ("D", "Active", None)), DAY + timedelta(days=2))
    assert changes_of(lake) == [
        [("A", "added"), ("B", "added"), ("C", "added")],
        [("B", "after"), ("B", "before"), ("C", "removed"), ("D", "added")],
    ]
    assert [v.kind for v in list_versions(lake, IAM_ACCESS_KEY.type)] == ["full", "delta"]
    assert as_of(lake, DAY - timedelta(seconds=1)) == []
    assert as_of(lake, DAY + timedelta(days=1, hours=12)) == [("A", "Active"), ("B", "Active"), ("C", "Active")]
    assert as_of(lake, DAY + timedelta(days=3)) == [("A", "Active"), ("B", "Inactive"), ("D", "Active")]
    # The current file has the volatile value of the last write
    current = lake.read_table(IAM_ACCESS_KEY.type)
    assert current.filter(pa.compute.equal(current["accessKeyId"], "A"))["lastUsedDate"].to_pylist() == [DAY]


def test_a_partition_written_before_history_was_kept_becomes_its_first_version(tmp_path):
    lake = Lake(str(tmp_path))
    path = lake.partition_path(IAM_ACCESS_KEY.type, ACCOUNT)
    os.makedirs(os.path.dirname(path))
    pq.write_table(keys(("A", "Active", None)), path)
    os.utime(path, (DAY.timestamp(), DAY.timestamp()))
    write(lake, keys(("A", "Inactive", None)), DAY + timedelta(days=1))
    assert [(v.at, v.kind) for v in list_versions(lake, IAM_ACCESS_KEY.type)] == [
        (DAY, "full"), (DAY + timedelta(days=1), "delta")]
    assert as_of(lake, DAY + timedelta(hours=1)) == [("A", "Active")]


def test_a_table_without_unique_keys_keeps_whole_versions_and_none_when_unchanged(tmp_path):
    lake = Lake(str(tmp_path))
    rows = pa.table({"ruleId": ["R1", "R1"], "resourceKey": ["x", "x"]})
    lake.write_table("problems", rows, DAY)
    lake.write_table("problems", rows, DAY + timedelta(days=1))
    lake.write_table("problems", rows.slice(0, 1), DAY + timedelta(days=2))
    assert [v.kind for v in list_versions(lake, "problems")] == ["full", "full"]
    read = LakeAsOf(lake, DAY + timedelta(days=1)).read("problems", rows.schema)
    assert read.num_rows == 2


def test_prune_folds_what_is_older_than_the_cutoff_into_one_full_version(tmp_path):
    lake = Lake(str(tmp_path))
    for day, status in enumerate(["Active", "Inactive", "Active", "Inactive"]):
        write(lake, keys(("A", status, None), ("B", "Active", None)), DAY + timedelta(days=day))
    cutoff = DAY + timedelta(days=2, hours=1)
    pruned = prune(lake, cutoff)
    assert (pruned.versions, pruned.folded) == (3, 1)  # the third: the delta made a full version
    assert [(v.at, v.kind) for v in list_versions(lake, IAM_ACCESS_KEY.type)] == [
        (DAY + timedelta(days=2), "full"), (DAY + timedelta(days=3), "delta")]
    assert as_of(lake, cutoff) == [("A", "Active"), ("B", "Active")]
    assert as_of(lake, DAY + timedelta(days=4)) == [("A", "Inactive"), ("B", "Active")]
    assert sorted(os.listdir(lake.history_base(IAM_ACCESS_KEY.type))) == ["day=2026-11-04", "day=2026-11-05"]
    assert prune(lake, cutoff).versions == 0


def test_deleting_an_account_deletes_its_history(tmp_path):
    lake = Lake(str(tmp_path))
    write(lake, keys(("A", "Active", None)), DAY)
    lake.delete_account(ACCOUNT)
    assert list_versions(lake, IAM_ACCESS_KEY.type) == []


def test_findings_found_again_by_a_later_run_write_no_version(tmp_path):

    def findings(observed: datetime, resources: tuple[str, ...]) -> pa.Table:
        rows = [{"findingId": f"f-{r}", "ruleId": "AWS-S3-004", "severity": "low", "title": "t", "accountId": ACCOUNT,
                 "region": "global", "resourceKey": r, "resourceType": "aws_s3_bucket", "evidence": "{}",
                 "observedAt": observed} for r in resources]
        return pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA)

    lake = Lake(str(tmp_path))
    lake.write_table("findings", findings(DAY, ("a", "b")), DAY)
    lake.write_table("findings", findings(DAY + timedelta(hours=1), ("a", "b")), DAY + timedelta(hours=1))
    lake.write_table("findings", findings(DAY + timedelta(hours=2), ("a",)), DAY + timedelta(hours=2))
    assert len(list_versions(lake, "findings")) == 2  # the first, and the one that resolved b


def test_prune_keeps_the_newest_change_batch_where_the_next_run_resumes(tmp_path):
    lake = Lake(str(tmp_path))
    for day in range(3):
        write(lake, keys(("A", "Active", None), ("B", ["Active", "Inactive"][day % 2], None)),
              DAY + timedelta(days=day))
        compute_entity_changes(lake, [IAM_ACCESS_KEY.type]).write(lake)
    assert prune(lake, DAY + timedelta(days=30)).batches == 2
    assert [through for through, _ in lake.batches("entity_changes")] == [DAY + timedelta(days=2)]
    # The run after the prune resumes after the kept batch: nothing is reported again
    assert compute_entity_changes(lake, [IAM_ACCESS_KEY.type]).rows == []
