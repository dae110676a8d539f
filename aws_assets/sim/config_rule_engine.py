"""The simulator's stand-in for AWS Config's rule engine: it evaluates the AWS managed rules the Config seeder
creates on the seeded resources, and reports the results with PutEvaluations.

Each check reads the resources back through the API, as the managed rule reads the recorded configuration; a
regional rule sees the resources of its region, as Config records them. AWS hands a custom rule's Lambda function
an opaque ResultToken naming the rule; here the token is the rule's name, which the moto server, taught by
:mod:`aws_assets.sim.teach_moto`, accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_assets.sim.clients import AccountClients


@dataclass(frozen=True)
class Evaluation:
    """One rule's result for one resource, named the way AWS Config names resources."""

    resource_type: str  # e.g. AWS::EC2::Instance
    resource_id: str  # Config's identifier: instance ID, bucket name, IAM unique ID (AIDA...), ...
    compliance_type: str  # COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE
    annotation: str | None = None


@dataclass(frozen=True)
class RuleScope:
    """What a rule check reads: the account's resources in the rule's region, and its parameters."""

    clients: AccountClients
    account_id: str
    region: str
    parameters: Mapping[str, str]
    bucket_regions: Mapping[str, str]  # S3 is listed account-wide: the buckets' regions, read once


def _judged(resource_type: str, resource_id: str, problem: str | None) -> Evaluation:
    """COMPLIANT, or NON_COMPLIANT with the problem as the annotation."""
    if problem:
        return Evaluation(resource_type, resource_id, "NON_COMPLIANT", problem)
    return Evaluation(resource_type, resource_id, "COMPLIANT")


def _all_items(client: Any, operation: str, key: str, **parameters: Any) -> list[Any]:
    pages = client.get_paginator(operation).paginate(**parameters)
    return [item for page in pages for item in page.get(key, [])]


def bucket_regions(s3: Any) -> dict[str, str]:
    """The region of every bucket of the account, by name."""
    return {
        bucket["Name"]: s3.get_bucket_location(Bucket=bucket["Name"])["LocationConstraint"] or "us-east-1"
        for bucket in _all_items(s3, "list_buckets", "Buckets")
    }


def _check_bucket_public_read(scope: RuleScope) -> list[Evaluation]:
    """S3_BUCKET_PUBLIC_READ_PROHIBITED: neither the ACL nor the bucket policy lets anyone read.
    (The real rule also weighs Block Public Access, which no public bucket of the estate has.)"""
    s3 = scope.clients("s3")
    evaluations = []
    for name in (name for name, region in scope.bucket_regions.items() if region == scope.region):
        public_grants = [
            grant["Permission"]
            for grant in s3.get_bucket_acl(Bucket=name)["Grants"]
            if grant["Grantee"].get("URI", "").endswith(("/global/AllUsers", "/global/AuthenticatedUsers"))
            and grant["Permission"] in ("READ", "FULL_CONTROL")
        ]
        try:
            public_policy = s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"]
        except s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
                raise
            public_policy = False
        problem = (
            "The bucket ACL grants public read access" if public_grants
            else "The bucket policy allows public read access" if public_policy
            else None
        )
        evaluations.append(_judged("AWS::S3::Bucket", name, problem))
    return evaluations


def _check_restricted_incoming_traffic(scope: RuleScope) -> list[Evaluation]:
    """RESTRICTED_INCOMING_TRAFFIC: no blocked TCP port is open to 0.0.0.0/0 or ::/0."""
    blocked = sorted(int(port) for name, port in scope.parameters.items() if name.startswith("blockedPort"))
    evaluations = []
    for group in _all_items(scope.clients("ec2", scope.region), "describe_security_groups", "SecurityGroups"):
        open_ports = sorted({
            port
            for permission in group["IpPermissions"]
            if permission["IpProtocol"] in ("tcp", "-1")
            and (
                any(r.get("CidrIp") == "0.0.0.0/0" for r in permission.get("IpRanges", []))
                or any(r.get("CidrIpv6") == "::/0" for r in permission.get("Ipv6Ranges", []))
            )
            for port in blocked
            if permission["IpProtocol"] == "-1" or permission["FromPort"] <= port <= permission["ToPort"]
        })
        problem = f"TCP port {', '.join(map(str, open_ports))} open to the internet" if open_ports else None
        evaluations.append(_judged("AWS::EC2::SecurityGroup", group["GroupId"], problem))
    return evaluations


def _check_encrypted_volumes(scope: RuleScope) -> list[Evaluation]:
    """ENCRYPTED_VOLUMES: attached volumes are encrypted; unattached ones are not applicable."""
    evaluations = []
    for volume in _all_items(scope.clients("ec2", scope.region), "describe_volumes", "Volumes"):
        if not volume["Attachments"]:
            evaluations.append(Evaluation("AWS::EC2::Volume", volume["VolumeId"], "NOT_APPLICABLE"))
        else:
            problem = None if volume["Encrypted"] else "The attached volume is not encrypted"
            evaluations.append(_judged("AWS::EC2::Volume", volume["VolumeId"], problem))
    return evaluations


def _check_instance_no_public_ip(scope: RuleScope) -> list[Evaluation]:
    """EC2_INSTANCE_NO_PUBLIC_IP: the instance has no public IPv4 address."""
    reservations = _all_items(scope.clients("ec2", scope.region), "describe_instances", "Reservations")
    return [
        _judged(
            "AWS::EC2::Instance",
            instance["InstanceId"],
            f"The instance has the public IP address {instance['PublicIpAddress']}"
            if instance.get("PublicIpAddress") else None,
        )
        for reservation in reservations
        for instance in reservation["Instances"]
    ]


def _check_user_mfa(scope: RuleScope) -> list[Evaluation]:
    """IAM_USER_MFA_ENABLED: the user has an MFA device."""
    iam = scope.clients("iam")
    return [
        _judged(
            "AWS::IAM::User",
            user["UserId"],
            None if iam.list_mfa_devices(UserName=user["UserName"])["MFADevices"] else "MFA is not enabled",
        )
        for user in _all_items(iam, "list_users", "Users")
    ]


def _check_group_has_users(scope: RuleScope) -> list[Evaluation]:
    """IAM_GROUP_HAS_USERS_CHECK: the group has at least one member."""
    iam = scope.clients("iam")
    return [
        _judged(
            "AWS::IAM::Group",
            group["GroupId"],
            None if iam.get_group(GroupName=group["GroupName"])["Users"] else "The group has no users",
        )
        for group in _all_items(iam, "list_groups", "Groups")
    ]


def _check_role_managed_policies(scope: RuleScope) -> list[Evaluation]:
    """IAM_ROLE_MANAGED_POLICY_CHECK: every policy of `managedPolicyArns` is attached to the role."""
    iam = scope.clients("iam")
    required = scope.parameters["managedPolicyArns"].split(",")
    evaluations = []
    for role in _all_items(iam, "list_roles", "Roles"):
        attached = {
            policy["PolicyArn"]
            for policy in _all_items(
                iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role["RoleName"]
            )
        }
        missing = [arn for arn in required if arn not in attached]
        problem = f"Not attached: {', '.join(missing)}" if missing else None
        evaluations.append(_judged("AWS::IAM::Role", role["RoleId"], problem))
    return evaluations


def _check_root_mfa(scope: RuleScope) -> list[Evaluation]:
    """ROOT_ACCOUNT_MFA_ENABLED: the account's root user has MFA."""
    summary = scope.clients("iam").get_account_summary()["SummaryMap"]
    problem = None if summary.get("AccountMFAEnabled") else "The root user has no MFA device"
    return [_judged("AWS::::Account", scope.account_id, problem)]


# AWS managed rule identifier -> its check.
RULE_CHECKS: dict[str, Callable[[RuleScope], list[Evaluation]]] = {
    "S3_BUCKET_PUBLIC_READ_PROHIBITED": _check_bucket_public_read,
    "RESTRICTED_INCOMING_TRAFFIC": _check_restricted_incoming_traffic,
    "ENCRYPTED_VOLUMES": _check_encrypted_volumes,
    "EC2_INSTANCE_NO_PUBLIC_IP": _check_instance_no_public_ip,
    "IAM_USER_MFA_ENABLED": _check_user_mfa,
    "IAM_GROUP_HAS_USERS_CHECK": _check_group_has_users,
    "IAM_ROLE_MANAGED_POLICY_CHECK": _check_role_managed_policies,
    "ROOT_ACCOUNT_MFA_ENABLED": _check_root_mfa,
}
_PUT_EVALUATIONS_LIMIT = 100  # evaluations per PutEvaluations call, in AWS as here


def report_evaluations(config: Any, rule_name: str, evaluations: list[Evaluation]) -> None:
    """Report the rule's evaluations as a custom rule's function does, in batches of the PutEvaluations limit."""
    evaluated_at = datetime.now(UTC)
    for start in range(0, len(evaluations), _PUT_EVALUATIONS_LIMIT):
        config.put_evaluations(
            ResultToken=rule_name,  # the stand-in for the opaque token AWS hands a rule's function
            Evaluations=[
                {
                    "ComplianceResourceType": evaluation.resource_type,
                    "ComplianceResourceId": evaluation.resource_id,
                    "ComplianceType": evaluation.compliance_type,
                    "OrderingTimestamp": evaluated_at,
                    **({"Annotation": evaluation.annotation} if evaluation.annotation else {}),
                }
                for evaluation in evaluations[start : start + _PUT_EVALUATIONS_LIMIT]
            ],
        )

