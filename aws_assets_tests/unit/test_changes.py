"""The change tables from the lake's history (aws_assets.analysis.changes, aws_assets.graph.changes)."""

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from aws_assets.analysis.changes import EXTERNAL_TRUST, INTERNET_EXPOSURE
from aws_assets.analysis.findings import FINDINGS_SCHEMA, FINDINGS_TABLE
from aws_assets.analysis.trust_graph import TRUSTS_SCHEMA, TRUSTS_TABLE
from aws_assets.graph.changes import compute_entity_changes, compute_finding_changes, compute_relationship_changes
from aws_assets.lake.storage import Lake
from aws_assets.relationships.catalog import RELATIONSHIP_TYPES
from aws_assets.services.iam import IAM_ROLE

ACCOUNT = "111111111111"
DAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SG_INTERNET = next(r for r in RELATIONSHIP_TYPES.values() if r.to_type == "internet")


def roles(*specs: tuple[str, str, datetime | None], account: str = ACCOUNT) -> pa.Table:
    rows = [{"_key": f"arn:aws:iam::{account}:role/{name}", "name": name, "roleName": name, "trustPolicy": trust,
             "lastUsedDate": used} for name, trust, used in specs]
    return IAM_ROLE.to_table(rows, account, "global")


def summary(rows: list[dict]) -> list[tuple]:
    return sorted((r["changeType"], r["name"], tuple(r["changedColumns"] or ()), r["changedAt"]) for r in rows)


def test_entity_changes_are_what_each_new_version_changed_and_each_is_reported_once(tmp_path):
    lake = Lake(str(tmp_path))
    write = lambda table, day: lake.write_partition(IAM_ROLE.type, ACCOUNT, None, table, DAY + timedelta(days=day))  # noqa: E731
    write(roles(("a", "{}", None), ("b", "{}", None)), 0)
    first = compute_entity_changes(lake, [IAM_ROLE.type])
    assert summary(first.rows) == [("added", "a", (), DAY), ("added", "b", (), DAY)]
    first.write(lake)
    # a's trust policy changed and it was used (volatile); b deleted; c created
    write(roles(("a", '{"x": 1}', DAY), ("c", "{}", None)), 1)
    second = compute_entity_changes(lake, [IAM_ROLE.type])
    at = DAY + timedelta(days=1)
    assert summary(second.rows) == [("added", "c", (), at), ("modified", "a", ("trustPolicy",), at),
                                    ("removed", "b", (), at)]
    modified = next(r for r in second.rows if r["changeType"] == "modified")
    assert json.loads(modified["changes"]) == {"trustPolicy": {"old": "{}", "new": '{"x": 1}'}}
    second.write(lake)
    # Only a volatile column moves: no change, and nothing reported twice
    write(roles(("a", '{"x": 1}', at), ("c", "{}", None)), 2)
    third = compute_entity_changes(lake, [IAM_ROLE.type])
    assert (third.rows, third.through) == ([], None)


def test_edges_added_and_removed_with_their_highlights(tmp_path):
    lake = Lake(str(tmp_path))

    def trusts(*targets: tuple[str, str]) -> pa.Table:
        return pa.Table.from_pylist([
            {"_key": f"role|trusts|{target}", "_type": "aws_iam_role_trusts_account", "_class": "TRUSTS",
             "_fromEntityKey": "role", "_toEntityKey": target, "accountId": ACCOUNT, "trustZone": zone}
            for target, zone in targets], schema=TRUSTS_SCHEMA)

    def ingress(*groups: str) -> pa.Table:
        return pa.Table.from_pylist([
            {"_key": f"{g}|allows|internet|1", "_type": SG_INTERNET.type, "_class": "ALLOWS", "_fromEntityKey": g,
             "_toEntityKey": "internet", "accountId": ACCOUNT, "ingress": True} for g in groups],
            schema=SG_INTERNET.schema)

    lake.write_table(TRUSTS_TABLE, trusts(("same", "same_account")), DAY)
    lake.write_table(SG_INTERNET.type, ingress(), DAY)
    compute_relationship_changes(lake, [TRUSTS_TABLE, SG_INTERNET.type]).write(lake)
    later = DAY + timedelta(days=1)
    lake.write_table(TRUSTS_TABLE, trusts(("outside", "external_account")), later)
    lake.write_table(SG_INTERNET.type, ingress("sg-1"), later)
    batch = compute_relationship_changes(lake, [TRUSTS_TABLE, SG_INTERNET.type])
    assert sorted((r["changeType"], r["_toEntityKey"], r["highlight"]) for r in batch.rows) == [
        ("added", "internet", INTERNET_EXPOSURE), ("added", "outside", EXTERNAL_TRUST), ("removed", "same", None)]


def test_findings_opened_and_resolved_between_runs(tmp_path):
    lake = Lake(str(tmp_path))

    def findings(ids: list[str], observed: datetime) -> pa.Table:
        return pa.Table.from_pylist([{"findingId": i, "ruleId": "AWS-X", "severity": "high", "resourceKey": i,
                                      "observedAt": observed} for i in ids], schema=FINDINGS_SCHEMA)

    lake.write_table(FINDINGS_TABLE, findings(["f1", "f2"], DAY), DAY)
    assert sorted(r["findingId"] for r in compute_finding_changes(lake).rows) == ["f1", "f2"]
    compute_finding_changes(lake).write(lake)
    later = DAY + timedelta(days=1)
    lake.write_table(FINDINGS_TABLE, findings(["f2", "f3"], later), later)
    batch = compute_finding_changes(lake)
    assert sorted((r["changeType"], r["findingId"], r["changedAt"]) for r in batch.rows) == [
        ("opened", "f3", later), ("resolved", "f1", later)]
    batch.write(lake)
    lake.write_table(FINDINGS_TABLE, findings(["f2", "f3"], later + timedelta(days=1)), later + timedelta(days=1))
    assert compute_finding_changes(lake).rows == []


def test_a_version_stamped_before_the_newest_read_but_written_after_the_reading_is_reported_once(tmp_path):
    """A writer stamps its version, then writes it: while a change run reads, a version can arrive stamped before
    the newest one the run read. The next run reports it, and only it; the one after reports nothing."""
    lake = Lake(str(tmp_path))
    write = lambda account, table, at: lake.write_partition(IAM_ROLE.type, account, None, table, at)  # noqa: E731
    for account in (ACCOUNT, "222222222222"):
        write(account, roles(("a", "{}", None), account=account), DAY)
    compute_entity_changes(lake, [IAM_ROLE.type]).write(lake)
    write(ACCOUNT, roles(("a", "{}", None), ("b", "{}", None)), DAY + timedelta(minutes=2))
    reading = compute_entity_changes(lake, [IAM_ROLE.type])
    assert [(r["changeType"], r["name"]) for r in reading.rows] == [("added", "b")]
    # Stamped a minute before the version just read, written between the reading and the batch's recording
    late = DAY + timedelta(minutes=1)
    write("222222222222", roles(("a", '{"x": 1}', None), account="222222222222"), late)
    reading.write(lake)
    following = compute_entity_changes(lake, [IAM_ROLE.type])
    assert [(r["changeType"], r["accountId"], r["name"], r["changedAt"]) for r in following.rows] == [
        ("modified", "222222222222", "a", late)]
    following.write(lake)
    assert [through for through, _ in lake.batches("entity_changes")] == [
        DAY, DAY + timedelta(minutes=2), DAY + timedelta(minutes=2, microseconds=1)]  # batches keep their order
    assert compute_entity_changes(lake, [IAM_ROLE.type]).rows == []


def test_a_version_written_after_the_reading_and_stamped_after_it_is_reported_by_the_next_run(tmp_path):
    lake = Lake(str(tmp_path))
    lake.write_partition(IAM_ROLE.type, ACCOUNT, None, roles(("a", "{}", None)))
    reading = compute_entity_changes(lake, [IAM_ROLE.type])
    lake.write_partition(IAM_ROLE.type, ACCOUNT, None, roles(("a", "{}", None), ("b", "{}", None)))
    reading.write(lake)
    assert [(r["changeType"], r["name"]) for r in compute_entity_changes(lake, [IAM_ROLE.type]).rows] == [
        ("added", "b")]
