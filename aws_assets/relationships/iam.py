"""Edges between IAM principals, their policies and credentials, and the roles workloads run as."""

from __future__ import annotations

from aws_assets.model.relationship import RelationshipType


def has_inline_policy(principal_type: str, policy_type: str, owner_arn_column: str) -> RelationshipType:
    return RelationshipType(
        principal_type, "HAS", policy_type,
        f"The inline policy is embedded in the {principal_type.removeprefix('aws_iam_')}.",
        f"SELECT p.{owner_arn_column} AS _fromEntityKey, p._key AS _toEntityKey, p.accountId "
        f"FROM {policy_type} p JOIN {principal_type} o ON o._key = p.{owner_arn_column}",
    )


def has_managed_policy(principal_type: str) -> RelationshipType:
    return RelationshipType(
        principal_type, "HAS", "aws_iam_policy",
        f"The managed policy is attached to the {principal_type.removeprefix('aws_iam_')}.",
        f"SELECT o._key AS _fromEntityKey, p._key AS _toEntityKey, o.accountId "
        f"FROM {principal_type} o, unnest(o.attachedPolicyArns) AS t(policy_arn) "
        f"JOIN aws_iam_policy p ON p.accountId = o.accountId AND p.arn = t.policy_arn",
    )


def user_has_credential(credential_type: str, description: str) -> RelationshipType:
    return RelationshipType(
        "aws_iam_user", "HAS", credential_type, description,
        f"SELECT u._key AS _fromEntityKey, c._key AS _toEntityKey, u.accountId "
        f"FROM {credential_type} c JOIN aws_iam_user u ON u._key = c.userArn",
        in_spec=False,
    )


RELATIONSHIPS = (
    has_inline_policy("aws_iam_group", "aws_iam_group_policy", "groupArn"),
    RelationshipType(
        "aws_iam_group", "CONTAINS", "aws_iam_user",
        "The user is a member of the group.",
        "SELECT g._key AS _fromEntityKey, u._key AS _toEntityKey, g.accountId "
        "FROM aws_iam_group g, unnest(g.memberUserNames) AS t(user_name) "
        "JOIN aws_iam_user u ON u.accountId = g.accountId AND u.username = t.user_name",
    ),
    has_managed_policy("aws_iam_group"),
    has_inline_policy("aws_iam_role", "aws_iam_role_policy", "roleArn"),
    has_managed_policy("aws_iam_role"),
    has_managed_policy("aws_iam_user"),
    has_inline_policy("aws_iam_user", "aws_iam_user_policy", "userArn"),
    RelationshipType(
        "aws_lambda_function", "HAS", "aws_iam_role",
        "The function runs as the role (its execution role).",
        "SELECT f._key AS _fromEntityKey, r._key AS _toEntityKey, f.accountId "
        "FROM aws_lambda_function f JOIN aws_iam_role r ON r._key = f.role",
    ),
    user_has_credential("aws_iam_access_key", "The access key belongs to the user."),
    user_has_credential("mfa_device", "The MFA device is enabled for the user."),
)
