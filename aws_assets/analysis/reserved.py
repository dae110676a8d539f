"""Resources AWS owns, which no customer's policy can let anyone change: AWS managed policies
(`arn:<partition>:iam::aws:policy/...`, "AWS managed policies" in the IAM guide: you cannot change them), the roles
IAM Identity Center creates (`role/aws-reserved/sso.amazonaws.com/...`: changed only through Identity Center) and
the aliases of AWS managed KMS keys (`alias/aws/...`). A change to one is denied whatever the policies say; reading
one is decided as usual."""

from __future__ import annotations

import re


def _lower(*actions: str) -> frozenset[str]:
    return frozenset(action.lower() for action in actions)


_RESERVED = (
    (re.compile(r"arn:[^:]+:iam::aws:policy/.+"), "AWS managed policies cannot be changed", _lower(
        "iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
    )),
    (re.compile(r"arn:[^:]+:iam::[0-9]{12}:role/aws-reserved/sso\.amazonaws\.com/.+"),
     "IAM Identity Center's roles are changed only through Identity Center", _lower(
         "iam:AttachRolePolicy", "iam:CreateRole", "iam:CreateServiceLinkedRole", "iam:DeleteRole",
         "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DeleteServiceLinkedRole",
         "iam:DetachRolePolicy", "iam:PassRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
         "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
     )),
    (re.compile(r"arn:[^:]+:kms:[^:]*:[0-9]{12}:alias/aws/.+"), "AWS managed keys' aliases cannot be changed",
     _lower("kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias")),
)


def reserved_change(action: str, resource_arn: str) -> str | None:
    """Why the action may not be done on the resource, when it changes a resource AWS owns; None otherwise."""
    action = action.lower()
    for resource, reason, changes in _RESERVED:
        if action in changes and resource.fullmatch(resource_arn):
            return reason
    return None
