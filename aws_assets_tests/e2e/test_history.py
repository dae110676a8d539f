"""History through whole syncs (the Dagster definitions on in-process moto): three syncs of an account with known
changes between the first two and none before the third; a sync whose EC2 partition fails; `--as-of`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.awsrequest import AWSResponse
from dagster import DagsterInstance

from aws_assets.app.cli import main as cli_main
from aws_assets.aws.session import assume_role_session
from aws_assets.collection.access import open_collection
from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.sync import SyncReport, sync
from aws_assets.graph.tables import open_lake
from aws_assets.inputs.instances import Instance
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets_tests.conftest import RawBody

ACCOUNT = "313131313131"
FAILING_ACCOUNT = "313131313132"  # its own: the process keeps each account's session, and so the EC2 refusal
OUTSIDE = "999999999999"
REGION = "eu-west-1"


def instance(account: str) -> Instance:
    return Instance(f"arn:aws:iam::{account}:role/aws-assets-readonly", "history-external-id", regions=(REGION,))


def trust(account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})


class Estate:
    """The account, seeded with boto3, and its syncs into one lake."""

    def __init__(self, tmp_path, account: str) -> None:
        self.account = account
        self.instance = instance(account)
        self.session = assume_role_session(self.instance)
        self.lake_root = str(tmp_path / "lake")
        instances = tmp_path / "instances.json"
        instances.write_text(json.dumps([{"roleArn": self.instance.role_arn, "externalId": "history-external-id",
                                          "regions": [REGION]}]))
        self.defs = build_definitions(instances_file=str(instances), lake_root=self.lake_root)
        self.dagster = DagsterInstance.ephemeral()
        ec2 = self.session.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
        self.group = ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc)["GroupId"]
        s3 = self.session.client("s3", region_name="us-east-1")
        for bucket in ("history-keep", "history-old"):
            s3.create_bucket(Bucket=bucket)
        iam = self.session.client("iam")
        iam.create_user(UserName="alice")
        self.key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
        iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust(account))

    def sync(self) -> tuple[datetime, datetime, SyncReport]:
        started = datetime.now(UTC)
        report = sync([self.instance], self.defs, self.dagster)
        return started, datetime.now(UTC), report

    def change(self) -> None:
        """The changes between the first two syncs."""
        self.session.client("ec2", region_name=REGION).authorize_security_group_ingress(
            GroupId=self.group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        self.session.client("s3", region_name="us-east-1").delete_bucket(Bucket="history-old")
        iam = self.session.client("iam")
        iam.create_user(UserName="bob")
        iam.update_assume_role_policy(RoleName="deployer", PolicyDocument=trust(OUTSIDE))
        iam.delete_access_key(UserName="alice", AccessKeyId=self.key)

    def query(self, sql: str, as_of: datetime | None = None) -> list[tuple]:
        return open_lake(self.lake_root, as_of=as_of).execute(sql).fetchall()


@pytest.fixture
def estate(moto, tmp_path):
    return Estate(tmp_path, ACCOUNT)


@pytest.fixture
def failing_estate(moto, tmp_path):
    return Estate(tmp_path, FAILING_ACCOUNT)


def name_of(key: str) -> str:
    return key.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def changes_between(estate: Estate, table: str, columns: str, start: datetime, end: datetime) -> set[tuple]:
    rows = estate.query(f"SELECT {columns} FROM {table} WHERE changedAt >= '{start.isoformat()}' "
                        f"AND changedAt <= '{end.isoformat()}'")
    return {tuple(name_of(v) if isinstance(v, str) and ":" in v else tuple(v) if isinstance(v, list) else v
                  for v in row) for row in rows}


def test_three_syncs_report_exactly_the_changes_between_the_first_two(estate, capsys):
    first = estate.sync()
    estate.change()
    second = estate.sync()
    third = estate.sync()
    assert first[2].ok and second[2].ok and third[2].ok
    entity_columns = "changeType, _type, name, changedColumns"
    assert {row[0] for row in changes_between(estate, "entity_changes", entity_columns, *first[:2])} == {"added"}
    changed = changes_between(estate, "entity_changes", entity_columns, *second[:2])
    assert {(kind, type_, name, tuple(columns or ())) for kind, type_, name, columns in changed} == {
        ("modified", "aws_security_group", "web", ("ingressRules", "openToInternet")),
        ("removed", "aws_s3_bucket", "history-old", ()),
        ("added", "aws_iam_user", "bob", ()),
        ("modified", "aws_iam_role", "deployer", ("trustPolicy",)),
        ("removed", "aws_iam_access_key", estate.key, ()),
        # What AWS itself reports of the same changes: alice's key count, the account's user count
        ("modified", "aws_iam_user", "alice", ("accessKeyCount", "active", "activeAccessKeyCount")),
        ("modified", "aws_account", ACCOUNT, ("userCount",)),
    }
    [(changes,)] = estate.query("SELECT changes FROM entity_changes WHERE _type = 'aws_iam_role' "
                                "AND changeType = 'modified'")
    trust_change = json.loads(changes)["trustPolicy"]
    assert (OUTSIDE in trust_change["new"], OUTSIDE in trust_change["old"]) == (True, False)
    edge_columns = "changeType, _type, _toEntityKey, highlight"
    assert changes_between(estate, "relationship_changes", edge_columns, *second[:2]) == {
        ("added", "aws_security_group_allows_internet", "internet", "internet exposure"),
        ("removed", "aws_s3_has_bucket", "history-old", None),
        ("added", "aws_iam_has_user", "bob", None),
        ("removed", "aws_iam_role_trusts_account", "root", None),
        ("added", "aws_iam_role_trusts_account", "root", "external trust"),
        ("removed", "aws_iam_has_access_key", estate.key, None),
        ("removed", "aws_iam_user_has_access_key", estate.key, None),
    }
    assert changes_between(estate, "finding_changes", "changeType, ruleId, resourceKey", *second[:2]) == {
        ("opened", "AWS-EC2-001", estate.group), ("opened", "AWS-IAM-002", "deployer"),
        ("opened", "AWS-ACCESS-003", "deployer")}
    for table in ("entity_changes", "relationship_changes", "finding_changes"):
        assert estate.query(f"SELECT count(*) FROM {table} WHERE changedAt > '{second[1].isoformat()}'") == [(0,)]
    # An unchanged entity is never modified, in any sync
    modified = estate.query("SELECT DISTINCT name FROM entity_changes WHERE changeType = 'modified'")
    assert sorted(name for (name,) in modified) == sorted([ACCOUNT, "alice", "deployer", "web"])

    # As of the first sync: the deleted bucket, the old trust, no finding on the security group
    as_of = first[1]
    assert estate.query("SELECT name FROM aws_s3_bucket ORDER BY 1", as_of) == [("history-keep",), ("history-old",)]
    assert estate.query("SELECT name FROM aws_s3_bucket ORDER BY 1") == [("history-keep",)]
    assert estate.query("SELECT count(*) FROM relationships WHERE _toEntityKey LIKE '%999999999999%'", as_of) == [
        (0,)]
    assert estate.query("SELECT count(*) FROM findings WHERE ruleId = 'AWS-EC2-001'", as_of) == [(0,)]
    assert estate.query("SELECT count(*) FROM findings WHERE ruleId = 'AWS-EC2-001'") == [(1,)]
    assert estate.query("SELECT count(*) FROM entity_changes", as_of) == estate.query(
        f"SELECT count(*) FROM entity_changes WHERE changedAt <= '{as_of.isoformat()}'")

    capsys.readouterr()
    assert cli_main(["sql", "--lake", estate.lake_root, "--as-of", as_of.isoformat(), "--format", "csv",
                     "SELECT name FROM aws_s3_bucket ORDER BY 1"]) == 0
    assert capsys.readouterr().out.split() == ["name", "history-keep", "history-old"]
    assert cli_main(["changes", "--lake", estate.lake_root, "--since", first[1].isoformat()]) == 0
    out = capsys.readouterr().out
    assert "7 entity, 7 relationship and 3 finding change(s)" in out
    assert "new external trusts: 1" in out and "new internet exposure: 1" in out
    assert out.index("new findings: 3") < out.index("Other changes")
    assert cli_main(["changes", "--lake", estate.lake_root, "--since", second[1].isoformat()]) == 0
    assert "0 entity, 0 relationship and 0 finding change(s)" in capsys.readouterr().out


def test_a_partition_that_failed_to_collect_removes_none_of_its_entities(failing_estate):
    estate = failing_estate
    first = estate.sync()

    def refuse(request, **_):
        body = (b'<?xml version="1.0"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied'
                b'</Message></Error></Errors></Response>')
        return AWSResponse(request.url, 403, {}, RawBody(body))

    session = open_collection(estate.instance, GLOBAL_REGION, None).session._session
    session.register("before-send.ec2.*", refuse)
    try:
        second = estate.sync()
    finally:
        session.unregister("before-send.ec2.*", refuse)
    assert not second[2].ok and {r.region for r in second[2].failures} == {REGION}
    assert estate.query(f"SELECT count(*) FROM entity_changes WHERE changedAt > '{first[1].isoformat()}'") == [(0,)]
    assert estate.query(f"SELECT count(*) FROM relationship_changes WHERE changedAt > '{first[1].isoformat()}'"
                        ) == [(0,)]
    assert estate.query("SELECT name FROM aws_security_group WHERE name = 'web'") == [("web",)]
