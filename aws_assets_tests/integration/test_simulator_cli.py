"""`aws-assets can` and `aws-assets who-can` on a lake collected from moto: IAM users, groups, roles and policies in
two accounts and an S3 bucket whose policy grants the other account, collected by the product's collectors."""

from __future__ import annotations

import json

import boto3
import pytest

from aws_assets.app.cli import main
from aws_assets.aws.calls import CallCounter
from aws_assets.aws.partition import PartitionCollection
from aws_assets.aws.session import assume_role_session
from aws_assets.inputs.instances import Instance
from aws_assets.lake.storage import Lake
from aws_assets.model.entity import Scope
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.services import iam, s3
from aws_assets.services.catalog import ENTITY_TYPES
from aws_assets_tests.conftest import ACCOUNT_ID, moto_in_process
from aws_assets_tests.policy_documents import document_text as doc

A, B, OUTSIDE = ACCOUNT_ID, "444455556666", "999999999999"
BUCKET = "shared-reports"
OBJECT = f"arn:aws:s3:::{BUCKET}/2026/q1.csv"
ALICE, BOB = f"arn:aws:iam::{A}:user/alice", f"arn:aws:iam::{A}:user/bob"
DEPLOY = f"arn:aws:iam::{A}:role/ci/deploy"
TABLE = f"arn:aws:dynamodb:us-east-1:{B}:table/orders"
CAROL, DAN = f"arn:aws:iam::{B}:user/carol", f"arn:aws:iam::{B}:user/dan"



def session_in(account: str) -> boto3.Session:
    return assume_role_session(Instance(f"arn:aws:iam::{account}:role/aws-assets-readonly", "test-external-id"))


def seed_account_a(session: boto3.Session) -> None:
    client = session.client("iam")
    reader = client.create_policy(PolicyName="report-reader", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}))["Policy"]["Arn"]
    client.create_group(GroupName="analysts")
    client.attach_group_policy(GroupName="analysts", PolicyArn=reader)
    for name in ("alice", "bob"):
        client.create_user(UserName=name)
    client.add_user_to_group(GroupName="analysts", UserName="alice")
    client.put_user_policy(UserName="alice", PolicyName="assume-deploy", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": DEPLOY}))
    client.put_user_policy(UserName="bob", PolicyName="office-reads", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}))
    client.create_role(RoleName="deploy", Path="/ci/", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "sts:AssumeRole"}))
    client.put_role_policy(RoleName="deploy", PolicyName="publish", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}))
    storage = session.client("s3", region_name="us-east-1")
    storage.create_bucket(Bucket=BUCKET)
    storage.put_bucket_policy(Bucket=BUCKET, Policy=doc(
        {"Sid": "PartnerReads", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{B}:root",
                                                                        f"arn:aws:iam::{OUTSIDE}:root"]},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}))


def seed_account_b(session: boto3.Session) -> None:
    client = session.client("iam")
    for name in ("carol", "dan"):
        client.create_user(UserName=name)
    client.put_user_policy(UserName="carol", PolicyName="read-anything", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))


def collect_into(lake: Lake, account: str) -> None:
    calls = CallCounter()
    partition = PartitionCollection(session_in(account), account, GLOBAL_REGION, calls)
    for service in (iam.SERVICE, s3.SERVICE):
        assert service.scope is Scope.ACCOUNT
        for entity_type in service.entity_types:
            rows = list(entity_type.collect(partition))
            lake.write_partition(entity_type.type, account, None,
                                 entity_type.to_table(rows, account, GLOBAL_REGION))


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> str:
    """Seeded and collected once for the tests below, which only read it."""
    lake = Lake(str(tmp_path_factory.mktemp("simulator-cli") / "lake"))
    with moto_in_process():
        seed_account_a(session_in(A))
        seed_account_b(session_in(B))
        for account in (A, B):
            collect_into(lake, account)
    # An entity of a table without resource policies, which the index finds by ARN rather than reading whole.
    table = ENTITY_TYPES["aws_dynamodb_table"].to_table(
        [{"_key": TABLE, "arn": TABLE, "name": "orders", "tags": {"team": "billing"}}], B, "us-east-1")
    lake.write_partition("aws_dynamodb_table", B, "us-east-1", table)
    return lake.root


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return status, captured.out.splitlines(), captured.err


def test_can_allows_through_a_group_and_across_accounts_through_the_bucket_policy(lake, capsys):
    status, out, _ = run(capsys, "can", "--lake", lake, ALICE, "s3:GetObject", OBJECT)
    assert status == 0
    assert out[0] == f"Allowed: {ALICE} s3:GetObject {OBJECT}"
    assert any(line.split()[:3] == ["Allow", "identity", f"arn:aws:iam::{A}:policy/report-reader"] for line in out)
    status, out, _ = run(capsys, "can", "--lake", lake, CAROL, "s3:GetObject", OBJECT)
    assert status == 0 and out[0].startswith("Allowed:")
    assert any("resource policy  statement PartnerReads" in line for line in out)


def test_can_denies_and_names_the_layer_that_gave_no_allow(lake, capsys):
    status, out, _ = run(capsys, "can", "--lake", lake, DAN, "s3:GetObject", OBJECT)
    assert status == 1
    assert out[0].startswith("ImplicitlyDenied:") and "  no Allow from: identity" in out
    status, out, _ = run(capsys, "can", "--lake", lake, ALICE, "s3:PutObject", OBJECT)
    assert status == 1 and out[0].startswith("ImplicitlyDenied:")


def test_can_names_the_missing_context_keys_and_decides_with_them(lake, capsys):
    status, out, _ = run(capsys, "can", "--lake", lake, BOB, "s3:GetObject", OBJECT)
    assert status == 1
    assert any(line.startswith("  conditional on aws:SourceIp: Allowed if the conditions hold, ImplicitlyDenied "
                               "if they fail") for line in out)
    status, out, _ = run(capsys, "can", "--lake", lake, BOB, "s3:GetObject", OBJECT,
                         "--context", "aws:SourceIp=203.0.113.5")
    assert status == 0 and out[0].startswith("Allowed:")
    status, out, _ = run(capsys, "can", "--lake", lake, BOB, "s3:GetObject", OBJECT, "--json",
                         "--context", "aws:SourceIp=198.51.100.7", "--context", "aws:SourceIp=198.51.100.8")
    decision = json.loads("\n".join(out))
    assert status == 1 and decision["result"] == "ImplicitlyDenied" and decision["conditional"] is None
    assert decision["context"] == {"aws:SourceIp": ["198.51.100.7", "198.51.100.8"]}
    # The whole context given, without the key: it is absent, and the Allow that needs it does not apply.
    status, out, _ = run(capsys, "can", "--lake", lake, BOB, "s3:GetObject", OBJECT, "--json", "--context-complete")
    decision = json.loads("\n".join(out))
    assert status == 1 and decision["result"] == "ImplicitlyDenied" and decision["conditional"] is None


def test_a_role_session_calls_with_its_roles_policies(lake, capsys):
    session = f"arn:aws:sts::{A}:assumed-role/deploy/release-7"
    status, out, _ = run(capsys, "can", "--lake", lake, session, "s3:PutObject", OBJECT, "--json")
    decision = json.loads("\n".join(out))
    assert status == 0 and decision["principal"] == session
    assert decision["statements"] == [{"layer": "identity", "policy": f"{DEPLOY}:inline-policy/publish",
                                       "statement": "0", "effect": "Allow"}]


def test_can_refuses_an_unknown_principal_in_one_line_and_says_when_the_resource_is_not_in_the_lake(lake, capsys):
    status, out, err = run(capsys, "can", "--lake", lake, f"arn:aws:iam::{A}:user/alicia", "s3:GetObject", OBJECT)
    assert status == 2 and out == []
    [line] = [line for line in err.splitlines() if "alicia" in line]
    assert line.startswith("aws-assets can: the lake holds no principal") and f"did you mean {ALICE}" in line
    status, out, _ = run(capsys, "can", "--lake", lake, CAROL, "s3:GetObject", "arn:aws:s3:::elsewhere/key")
    assert status == 0
    assert "  note: the resource arn:aws:s3:::elsewhere/key is not in the lake: evaluated without a resource " \
           "policy" in out
    status, out, _ = run(capsys, "can", "--lake", lake, CAROL, "dynamodb:GetItem", TABLE)
    assert status == 1 and not any("note:" in line for line in out)
    status, _, err = run(capsys, "can", "--lake", lake, ALICE, "s3:GetObject", OBJECT, "--context", "aws:SourceIp")
    assert status == 2 and "expected key=value" in err


def test_who_can_lists_principals_of_both_accounts_chains_and_outside(lake, capsys):
    status, out, _ = run(capsys, "who-can", "--lake", lake, "s3:GetObject", OBJECT)
    assert status == 0
    assert out == [
        f"allowed      direct   {ALICE}",
        f"allowed      direct   {CAROL}",
        f"allowed      outside  arn:aws:iam::{OUTSIDE}:root",
        f"conditional  direct   {BOB}  (needs aws:SourceIp)",
    ]
    status, out, _ = run(capsys, "who-can", "--lake", lake, "s3:PutObject", OBJECT, "--json")
    found = json.loads("\n".join(out))["principals"]
    assert [(row["principal"], row["path"], row["result"]) for row in found] == [
        (DEPLOY, [DEPLOY], "allowed"), (ALICE, [ALICE, DEPLOY], "allowed")]
    status, out, _ = run(capsys, "who-can", "--lake", lake, "s3:PutObject", OBJECT)
    assert out[1] == "allowed      chain    user/alice -> role/deploy"


def test_can_refuses_a_principal_aws_cannot_authenticate_and_a_missing_lake(lake, tmp_path, capsys):
    status, out, err = run(capsys, "can", "--lake", lake, f"arn:aws:iam::{A}:group/analysts", "s3:GetObject", OBJECT)
    assert status == 2 and out == []
    [line] = [line for line in err.splitlines() if "group/analysts" in line]
    assert line.startswith("aws-assets can: not a principal AWS can authenticate")
    missing = str(tmp_path / "typo")
    status, out, err = run(capsys, "who-can", "--lake", missing, "s3:GetObject", OBJECT)
    assert status == 2 and out == [] and f"aws-assets who-can: no lake at {missing}" in err
