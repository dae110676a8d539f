"""Small pure helpers shared by the transforms of several services."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

CONSOLE = "https://console.aws.amazon.com"


def tags_from_list(tags: Iterable[dict[str, str]] | None) -> dict[str, str]:
    """AWS's `[{"Key": k, "Value": v}]` tag lists (any key casing) as a dict."""
    result = {}
    for tag in tags or ():
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            result[key] = tag.get("Value", tag.get("value", ""))
    return result


def console_link(path: str, region: str | None = None) -> str:
    """An AWS console URL; `path` starts with the service, e.g. `ec2/home#InstanceDetails:instanceId=i-1`."""
    if region:
        return f"https://{region}.console.aws.amazon.com/{path.replace('home#', f'home?region={region}#', 1)}"
    return f"{CONSOLE}/{path}"


def classification(tags: dict[str, str]) -> str | None:
    return tags.get("Classification") or tags.get("classification")


def without_none(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if value is not None}


def policy_json(text: str | None) -> str | None:
    """A policy document AWS answered as text, as JSON text of sorted keys (one form however AWS spaced it); None
    (no policy) for None or empty text."""
    return json.dumps(json.loads(text), sort_keys=True) if text else None
