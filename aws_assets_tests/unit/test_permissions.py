"""Which IAM permission an operation needs, whether it is a read, and whether identity policies allow it."""

from __future__ import annotations

import pytest

from aws_assets.analysis.permissions import Permission, allows, required_permission, write_reasons


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    "operation, permission",
    [
        ("ec2:DescribeInstances", Permission("ec2:DescribeInstances")),
        ("s3:GetBucketPolicyStatus", Permission("s3:GetBucketPolicyStatus")),
        ("s3:ListBuckets", Permission("s3:ListAllMyBuckets")),
        ("s3:GetBucketEncryption", Permission("s3:GetEncryptionConfiguration")),
        ("s3:GetPublicAccessBlock", Permission("s3:GetBucketPublicAccessBlock")),
        ("s3control:GetPublicAccessBlock", Permission("s3:GetAccountPublicAccessBlock")),
        # Not an exception: its prefix comes from the signing name.
        ("s3control:ListAccessPoints", Permission("s3:ListAccessPoints")),
        ("apigateway:GetRestApis", Permission("apigateway:GET", "arn:aws:apigateway:{region}::/restapis")),
        (
            "apigateway:GetResources",
            Permission("apigateway:GET", "arn:aws:apigateway:{region}::/restapis/{restapi_id}/resources"),
        ),
    ],
)
def test_required_permission(operation, permission):
    assert required_permission(operation) == permission


@pytest.mark.parametrize(
    "operation, reasons",
    [
        ("iam:GetAccountAuthorizationDetails", []),
        ("s3:HeadBucket", []),
        ("iam:GenerateCredentialReport", []),  # a declared exception to the name rule; AWS lists it as Read
        ("ec2:CreateTags", ["its name does not start with Get, List, Describe, Head",
                            "AWS's Service Authorization Reference gives ec2:CreateTags the access level Tagging"]),
        ("s3:PutBucketPolicy", ["its name does not start with Get, List, Describe, Head", "it is an HTTP PUT",
                                "AWS's Service Authorization Reference gives s3:PutBucketPolicy the access level "
                                "Permissions management"]),
        ("apigateway:CreateRestApi", ["its name does not start with Get, List, Describe, Head", "it is an HTTP POST",
                                      "AWS's Service Authorization Reference gives apigateway:POST the access level "
                                      "Write"]),
    ],
)
def test_write_reasons(operation, reasons):
    assert write_reasons(operation) == reasons


def test_actions_match_with_wildcards_ignoring_case():
    documents = [policy(allow(["S3:getbucket*", "ec2:Describe?pcs"]))]
    assert allows(documents, Permission("s3:GetBucketPolicy"))
    assert allows(documents, Permission("ec2:DescribeVpcs"))
    assert not allows(documents, Permission("ec2:DescribeInstances"))
    assert not allows(documents, Permission("s3:GetObject"))


def test_a_deny_wins_over_any_allow_and_a_single_statement_object_counts():
    documents = [{"Statement": allow("s3:*")}, policy(deny("s3:GetBucketPolicy", "arn:aws:s3:::secret"))]
    assert allows(documents, Permission("s3:GetBucketAcl"))
    # The call may touch the denied bucket: not allowed for certain.
    assert not allows(documents, Permission("s3:GetBucketPolicy"))


def test_not_action():
    documents = [policy({"Effect": "Allow", "NotAction": ["iam:*", "s3:Put*"], "Resource": "*"})]
    assert allows(documents, Permission("ec2:DescribeVpcs"))
    assert allows(documents, Permission("s3:GetBucketAcl"))
    assert not allows(documents, Permission("iam:ListRoles"))
    assert not allows(documents, Permission("s3:PutBucketPolicy"))
    denied = [policy(allow("*"), {"Effect": "Deny", "NotAction": "ec2:Describe*", "Resource": "*"})]
    assert allows(denied, Permission("ec2:DescribeVpcs"))
    assert not allows(denied, Permission("s3:GetBucketAcl"))


def test_resources():
    paths = ["arn:aws:apigateway:*::/restapis", "arn:aws:apigateway:*::/restapis/*/resources"]
    scoped = [policy(allow("apigateway:GET", paths))]
    assert allows(scoped, required_permission("apigateway:GetRestApis"))
    assert allows(scoped, required_permission("apigateway:GetResources"))
    assert not allows(scoped, required_permission("apigateway:GetUsagePlans"))
    # A grant on some resources is not a grant on every resource the call may touch.
    assert not allows([policy(allow("s3:GetBucketPolicy", "arn:aws:s3:::logs"))], Permission("s3:GetBucketPolicy"))
    excluding = [
        policy({"Effect": "Allow", "Action": "apigateway:GET", "NotResource": "arn:aws:apigateway:*::/apikeys*"})
    ]
    assert allows(excluding, required_permission("apigateway:GetRestApis"))
    assert not allows(excluding, required_permission("apigateway:GetApiKeys"))
    assert not allows([policy({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::x"})],
                      Permission("s3:GetBucketAcl"))


def test_conditions_grant_nothing_for_certain_and_may_deny():
    assert not allows([policy(allow("s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}}))],
                      Permission("s3:GetBucketAcl"))
    assert not allows(
        [policy(allow("s3:*"), deny("s3:*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}))],
        Permission("s3:GetBucketAcl"),
    )


def test_nothing_is_allowed_without_an_allow():
    assert not allows([], Permission("ec2:DescribeVpcs"))
    assert not allows([policy(deny("ec2:RunInstances"))], Permission("ec2:DescribeVpcs"))


def test_statements_are_read_as_the_request_evaluator_reads_them():
    # ARNs match case-sensitively, as IAM matches them; element names do not.
    named = Permission("s3:GetBucketPolicy", "arn:aws:s3:::logs")
    assert allows([policy(allow("s3:GetBucketPolicy", "arn:aws:s3:::logs"))], named)
    assert not allows([policy(allow("s3:GetBucketPolicy", "arn:aws:s3:::LOGS"))], named)
    assert allows([{"statement": [{"effect": "Allow", "action": "s3:Get*", "resource": "*"}]}], named)
    # ARN patterns match segment by segment: another service's pattern names nothing of the bucket.
    assert allows([policy(allow("s3:GetBucketPolicy", "arn:aws:s3:::*"))], named)
    assert not allows([policy(allow("s3:GetBucketPolicy", "arn:aws:sqs:*:*:*"))], named)
