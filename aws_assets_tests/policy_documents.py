"""Policy documents and statements, written briefly for the tests of the evaluator and the access tables."""

from __future__ import annotations

import json
from typing import Any


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def document_text(*statements: dict[str, Any]) -> str:
    """The document as the lake holds it: JSON text."""
    return json.dumps(document(*statements))


def allow(action: Any = "*", resource: Any = "*", sid: str | None = None, **extra: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    return {"Sid": sid, **statement} if sid else statement


def deny(action: Any = "*", resource: Any = "*", sid: str | None = None, **extra: Any) -> dict[str, Any]:
    return {**allow(action, resource, sid, **extra), "Effect": "Deny"}
