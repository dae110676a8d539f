"""The IAM permission each AWS API operation needs, whether it is a read, and whether identity policies allow it.

Operations are named as botocore names them, `<service>:<Operation>` (what `CallCounter` records). The IAM action is
`<prefix>:<Operation>`, the prefix being the service's signing name in botocore's model (`s3control` signs as `s3`;
not always the prefix, though: CloudWatch signs as `monitoring`), except where IAM names the action otherwise
(`ACTION_EXCEPTIONS`) and for API Gateway, whose actions are the HTTP verb on the request path (`apigateway:GET` on
`arn:aws:apigateway:<region>::/restapis`). Pure apart from reading botocore's bundled service models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session

from aws_assets.analysis.documents import glob_match
from aws_assets.analysis.policy import READ_LEVELS, access_level

# Made with the operator's own credentials to enter the role: the role's policies do not govern them.
OPERATOR_OPERATIONS = frozenset({"sts:AssumeRole"})

# Operations whose IAM action is not named after them (IAM's Service Authorization Reference).
ACTION_EXCEPTIONS = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    # CloudWatch signs as `monitoring`; IAM names its actions `cloudwatch:`.
    "cloudwatch:DescribeAlarms": "cloudwatch:DescribeAlarms",
}

READ_PREFIXES = ("Get", "List", "Describe", "Head")
# Operations that are reads although their name does not say so, and why.
READ_EXCEPTIONS = {
    "iam:GenerateCredentialReport": (
        "starts IAM's account-wide credential report, which GetCredentialReport then reads; it changes no resource "
        "and SecurityAudit grants it"
    ),
}
READ_HTTP_METHODS = frozenset({"GET", "HEAD"})
REST_PROTOCOLS = frozenset({"rest-json", "rest-xml"})

@dataclass(frozen=True)
class Permission:
    action: str  # e.g. "s3:GetBucketPolicy"
    # "*": the call may touch any resource of the action, so only a grant on every resource will do. A `{name}` in a
    # resource (the region, a request path's parameter) stands for any value; a pattern's `*` matches it.
    resource: str = "*"


@cache
def _service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def _split(operation: str) -> tuple[str, str]:
    service, _, name = operation.partition(":")
    return service, name


def required_permission(operation: str) -> Permission:
    """The IAM permission the `<service>:<Operation>` call needs."""
    if operation in ACTION_EXCEPTIONS:
        return Permission(ACTION_EXCEPTIONS[operation])
    service, name = _split(operation)
    model = _service_model(service)
    if model.signing_name == "apigateway":
        http = model.operation_model(name).http
        path = http["requestUri"].split("?")[0]
        return Permission(f"apigateway:{http['method']}", f"arn:aws:apigateway:{{region}}::{path}")
    return Permission(f"{model.signing_name}:{name}")


def write_reasons(operation: str) -> list[str]:
    """Why the operation may not be a read (empty when it is one), by three independent tests: its name, for REST
    APIs its HTTP method, and the access level AWS's Service Authorization Reference gives its IAM action (a
    READ_EXCEPTIONS entry excuses the name only)."""
    service, name = _split(operation)
    reasons = []
    if operation not in READ_EXCEPTIONS and not name.startswith(READ_PREFIXES):
        reasons.append(f"its name does not start with {', '.join(READ_PREFIXES)}")
    model = _service_model(service)
    if model.protocol in REST_PROTOCOLS:
        method = model.operation_model(name).http["method"]
        if method not in READ_HTTP_METHODS:
            reasons.append(f"it is an HTTP {method}")
    action = required_permission(operation).action
    level = access_level(action)
    if level is not None and level not in READ_LEVELS:
        reasons.append(f"AWS's Service Authorization Reference gives {action} the access level {level}")
    return reasons


def _values(statement: Mapping[str, Any], key: str) -> list[str] | None:
    value = statement.get(key)
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _matches_action(statement: Mapping[str, Any], action: str) -> bool:
    actions = _values(statement, "Action")
    if actions is not None:
        return any(glob_match(pattern, action) for pattern in actions)
    return not any(glob_match(pattern, action) for pattern in _values(statement, "NotAction") or [])


def _resources(statement: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The statement's Resource patterns, or its NotResource patterns and True."""
    not_resources = _values(statement, "NotResource")
    if not_resources is not None and "Resource" not in statement:
        return not_resources, True
    return _values(statement, "Resource") or [], False


def _covers_resource(statement: Mapping[str, Any], resource: str) -> bool:
    """Whether an Allow grants the permission on every resource the operation may touch."""
    patterns, excluded = _resources(statement)
    matched = any(glob_match(pattern, resource) for pattern in patterns)
    # A NotResource grant leaves some resources out: it covers a known resource it does not name, never "any".
    return (resource != "*" and not matched) if excluded else matched


def _touches_resource(statement: Mapping[str, Any], resource: str) -> bool:
    """Whether a Deny may refuse the permission on some resource the operation may touch."""
    patterns, excluded = _resources(statement)
    matched = any(glob_match(pattern, resource) for pattern in patterns)
    return resource == "*" or (not matched if excluded else matched)


def _statements(documents: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for document in documents:
        statements = document.get("Statement", [])
        yield from [statements] if isinstance(statements, Mapping) else statements


def allows(documents: Iterable[Mapping[str, Any]], permission: Permission) -> bool:
    """Whether identity policies certainly allow the permission: some Allow covers it and no Deny may refuse it.

    Conditions are not evaluated: an Allow under a Condition grants nothing for certain, and a Deny under one may
    refuse. Resources are matched with IAM's wildcards, case-insensitively (as `glob_match` does).
    """
    allowed = False
    for statement in _statements(documents):
        if not _matches_action(statement, permission.action):
            continue
        effect = str(statement.get("Effect", "")).lower()
        if effect == "deny" and _touches_resource(statement, permission.resource):
            return False
        if effect == "allow" and not statement.get("Condition") and _covers_resource(statement, permission.resource):
            allowed = True
    return allowed
