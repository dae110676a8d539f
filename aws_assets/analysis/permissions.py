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

from aws_assets.analysis.matching import resource_matches, statement_action_matches
from aws_assets.analysis.policy import READ_LEVELS, access_level
from aws_assets.analysis.request import MISSING
from aws_assets.analysis.statements import Layer, Statement, read_statements

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


def _resource_truth(statement: Statement, resource: str) -> bool:
    """Whether the statement's Resource (or NotResource) names the permission's resource; a NotResource leaves out
    some resources, so it never names "any" (`*`)."""
    matched = resource_matches(statement.resources or (), resource, _no_keys) is True
    return (resource != "*" and not matched) if statement.not_resource else matched


def _no_keys(key: str) -> Any:
    return MISSING


def allows(documents: Iterable[Mapping[str, Any]], permission: Permission) -> bool:
    """Whether identity policies certainly allow the permission: some Allow covers it and no Deny may refuse it.

    The statements are read and matched as the request evaluator reads them (`statements.read_statements`,
    `matching`). Conditions are not evaluated: an Allow under a Condition grants nothing for certain, and a Deny
    under one may refuse. The resource `*` stands for any resource the operation may touch: only a grant on every
    resource covers it, and any Deny of the action may refuse it.
    """
    allowed = False
    for number, document in enumerate(documents):
        for statement in read_statements(document, Layer.IDENTITY, f"policy[{number}]"):
            if not statement_action_matches(statement, permission.action):
                continue
            named = _resource_truth(statement, permission.resource)
            if not statement.allow and (permission.resource == "*" or named):
                return False
            if statement.allow and not statement.condition and named:
                allowed = True
    return allowed
