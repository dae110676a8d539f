"""A role that may not call one API: that asset fails with a clear message, the rest of the partition is written and
the failed asset keeps its previous data. moto enforces the role's own identity policy once auth is switched on."""

import json
import urllib.request

import boto3
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.partitions import account_region_key
from aws_assets.defs.sync import sync
from aws_assets.inputs.instances import load_instances
from aws_assets.lake.storage import Lake

ACCOUNT = "111111111111"
REGION = "eu-west-1"
ROLE = "aws-assets-readonly"


def set_moto_auth(endpoint: str, enforced: bool) -> None:
    """moto's switch for identity-policy checks: "0" unauthenticated calls left, or "inf" (off)."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=b"0" if enforced else b"inf", method="POST",
        headers={"Content-Type": "text/plain"},
    )
    urllib.request.urlopen(request).close()


def in_account(account_id: str) -> boto3.Session:
    credentials = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="setup"
    )["Credentials"]
    return boto3.Session(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])


@pytest.fixture
def estate(moto_server, tmp_path, monkeypatch):
    """A role allowed everything but ec2:DescribeVolumes, an operator user to assume it, one volume, one VPC."""
    target = in_account(ACCOUNT)
    iam = target.client("iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    iam.put_role_policy(RoleName=ROLE, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "ec2:DescribeVolumes", "Resource": "*"}],
    }))
    target.client("ec2", region_name=REGION).create_volume(AvailabilityZone=f"{REGION}a", Size=8)
    operator = boto3.client("iam")
    operator.create_user(UserName="operator")
    operator.put_user_policy(UserName="operator", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = operator.create_access_key(UserName="operator")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    instances_file = tmp_path / "instances.json"
    instances_file.write_text(json.dumps([{"roleArn": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}",
                                           "externalId": "denied-test", "regions": [REGION]}]))
    yield {"target": target, "instances": str(instances_file), "lake": str(tmp_path / "lake")}
    set_moto_auth(moto_server, enforced=False)


def test_denied_list_call_fails_only_its_asset_and_keeps_previous_data(estate, moto_server):
    defs = build_definitions(instances_file=estate["instances"], lake_root=estate["lake"])
    lake = Lake(estate["lake"])
    instances = load_instances(estate["instances"])
    with DagsterInstance.ephemeral() as dagster_instance:
        first = sync(instances, defs, dagster_instance)
        assert first.ok, [r.errors for r in first.failures]
        assert lake.read_table("aws_ebs_volume").num_rows == 1
        vpcs_before = lake.read_table("aws_vpc").num_rows

        ec2 = estate["target"].client("ec2", region_name=REGION)
        ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=16)
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
        set_moto_auth(moto_server, enforced=True)
        # Only EC2: with auth on, moto also rejects the signatures of its REST-JSON services (Lambda, API Gateway).
        result = materialize(
            [defs.get_assets_def(AssetKey("aws_ebs_volume"))],
            partition_key=account_region_key(ACCOUNT, REGION),
            instance=dagster_instance,
            resources=defs.resources,
            raise_on_error=False,
        )

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith(f"aws_ebs_volume: DescribeVolumes failed in account {ACCOUNT}, region {REGION}: "
                              "AccessDenied")
    assert "lacks this read permission" in message
    assert "denied-test" not in message
    written = {e.asset_key.path[0] for e in result.get_asset_materialization_events()}
    assert written == {"aws_instance", "aws_key_pair", "aws_security_group", "aws_vpc", "aws_subnet", "aws_network_acl",
                       "aws_vpc_flow_log", "aws_ec2_regional_settings"}
    # The volume partition is the one from the first sync; the VPCs of the same run were written anew.
    assert lake.read_table("aws_ebs_volume").num_rows == 1
    assert lake.read_table("aws_vpc").num_rows == vpcs_before + 1
