"""The `resource_access` asset and the external access findings on moto: buckets, a Lambda function and roles
seeded with boto3, collected by the collectors into a temporary lake, then the two assets materialized by Dagster
with an instances file that sets the zone of trust."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dagster import materialize

from aws_assets.defs.assets.findings import findings
from aws_assets.defs.assets.resource_access import resource_access
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.graph.tables import open_lake
from aws_assets.lake.storage import Lake
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.services.account import AWS_ACCOUNT
from aws_assets.services.iam import IAM_ROLE
from aws_assets.services.lambda_ import LAMBDA_FUNCTION
from aws_assets.services.s3 import AWS_S3_BUCKET
from aws_assets_tests.conftest import ACCOUNT_ID, INSTANCE, REGION, make_collection
from aws_assets_tests.integration.test_lambda import create_function, create_role

PARTNER = "999999999999"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed(session) -> None:
    s3 = session.client("s3", region_name="us-east-1")
    for name, document in (
        ("acme-site", policy({"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                              "Resource": "arn:aws:s3:::acme-site/*"})),
        ("acme-partner-share", policy({"Sid": "Partner", "Effect": "Allow",
                                       "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                                       "Action": ["s3:GetObject", "s3:ListBucket"],
                                       "Resource": ["arn:aws:s3:::acme-partner-share",
                                                    "arn:aws:s3:::acme-partner-share/*"]})),
        ("acme-trail", policy({"Sid": "Trail", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                               "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-trail/AWSLogs/*",
                               "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}})),
        ("acme-private", None),
    ):
        s3.create_bucket(Bucket=name)
        if document:
            s3.put_bucket_policy(Bucket=name, Policy=document)
    iam = session.client("iam")
    iam.create_role(RoleName="partner-audit", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}, "Action": "sts:AssumeRole"}))
    role_arn = create_role(session)  # fn-exec, trusted by lambda.amazonaws.com
    create_function(session, role_arn, "public-hook")
    session.client("lambda", region_name=REGION).add_permission(
        FunctionName="public-hook", StatementId="anyone", Action="lambda:InvokeFunction", Principal="*")


@pytest.fixture
def synced_lake(account_session, tmp_path) -> str:
    seed(account_session)
    lake = Lake(str(tmp_path / "lake"))
    for entity_type, region in ((AWS_S3_BUCKET, GLOBAL_REGION), (IAM_ROLE, GLOBAL_REGION),
                                (AWS_ACCOUNT, GLOBAL_REGION), (LAMBDA_FUNCTION, REGION)):
        table = entity_type.to_table(entity_type.collect(make_collection(region)), ACCOUNT_ID, region)
        lake.write_partition(entity_type.type, ACCOUNT_ID, region, table)
    return lake.root


def build(lake_root: str, tmp_path, zone: str | None = None) -> Any:
    instance = {"roleArn": INSTANCE.role_arn, "externalId": INSTANCE.external_id}
    instances = tmp_path / "instances.json"
    instances.write_text(json.dumps([{**instance, "zoneOfTrust": zone} if zone else instance]))
    result = materialize([resource_access, findings], resources={
        "lake": LakeResource(root=lake_root), "aws": AwsAccounts(instances_file=str(instances))})
    assert result.success
    return open_lake(lake_root)


def test_the_table_and_the_findings_after_a_sync(synced_lake, tmp_path):
    con = build(synced_lake, tmp_path, zone="account")
    rows = con.sql("SELECT resourceKey, principal, principalKind, external, decision, conditional, actions, "
                   "zoneOfTrust FROM resource_access").to_arrow_table().to_pylist()
    by_resource: dict[str, list[dict]] = {}
    for row in rows:
        by_resource.setdefault(row["resourceKey"].rsplit(":", 1)[-1].rsplit("/", 1)[-1], []).append(row)
    assert sorted(by_resource) == ["acme-partner-share", "acme-site", "acme-trail", "fn-exec", "partner-audit",
                                   "public-hook"]
    assert {row["zoneOfTrust"] for row in rows} == {f"account:{ACCOUNT_ID}"}
    [site] = by_resource["acme-site"]
    assert (site["principalKind"], site["actions"], site["decision"], site["external"]) == (
        "everyone", ["s3:GetObject"], "Allowed", True)
    share = {tuple(row["actions"]) for row in by_resource["acme-partner-share"]}
    assert share == {("s3:ListBucket",), ("s3:GetObject",)}
    [trail] = by_resource["acme-trail"]
    assert (trail["principalKind"], trail["conditional"], trail["external"]) == ("service", True, False)
    [hook] = by_resource["public-hook"]
    assert (hook["principalKind"], hook["actions"], hook["external"]) == ("everyone", ["lambda:InvokeFunction"], True)
    [exec_role] = by_resource["fn-exec"]
    assert (exec_role["principalKind"], exec_role["external"]) == ("service", False)

    found = con.sql("SELECT ruleId, resourceKey, evidence FROM findings WHERE ruleId LIKE 'AWS-ACCESS-%'"
                    ).to_arrow_table().to_pylist()
    assert sorted((f["ruleId"], f["resourceKey"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]) for f in found) == [
        ("AWS-ACCESS-001", "acme-site"), ("AWS-ACCESS-001", "public-hook"),
        ("AWS-ACCESS-003", "acme-partner-share"), ("AWS-ACCESS-003", "partner-audit")]
    partner = next(json.loads(f["evidence"]) for f in found if f["resourceKey"].endswith("partner-audit"))
    assert partner["access"][0]["principal"] == f"arn:aws:iam::{PARTNER}:root"
    assert partner["access"][0]["actions"] == ["sts:AssumeRole"]

