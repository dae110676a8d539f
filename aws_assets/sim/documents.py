"""The IAM policy documents of the estate: statements, identity and resource policies, trust policies."""

from __future__ import annotations

import json
from typing import Any


def statement(
    action: str | list[str],
    resource: str | list[str],
    *,
    effect: str = "Allow",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        result["Condition"] = condition
    return result


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_policy(
    principal: dict[str, Any],
    *,
    action: str = "sts:AssumeRole",
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        result["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [result]}
