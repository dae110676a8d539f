"""Integration instance events: what an inbox message asks of the registry, validated before anything changes.

An event is a JSON object:

    {"action": "create", "roleArn": "arn:aws:iam::111111111111:role/aws-assets-readonly",
     "externalId": "...", "name": "prod", "regions": ["us-east-1"], "accountId": "111111111111"}

`create` and `update` register the instance as given (an update replaces every field: an update without `regions`
goes back to every enabled region); `delete` names the instance by `roleArn` or `accountId` and removes it, keeping
its data unless `"purgeData": true`. `accountId`, when present, must be the role ARN's account. The instance fields
are checked by `Instance.from_mapping`, with its messages. Nothing here does I/O, and no message holds the external ID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

from aws_assets.inputs.instances import KNOWN_FIELDS, ROLE_ARN, Instance, InstanceError, validate_account_id

CREATE, UPDATE, DELETE = "create", "update", "delete"
ACTIONS = (CREATE, UPDATE, DELETE)
EVENT_FIELDS = {"action", "accountId", "purgeData"}
# SQS's own limit on a message: anything bigger is not an instance event.
MAX_EVENT_BYTES = 256 * 1024
REDACTED = "<redacted>"


class EventError(ValueError):
    """An event is rejected; the message is the reason an operator reads."""


@dataclass(frozen=True)
class InstanceEvent:
    action: str
    account_id: str
    instance: Instance | None = None  # what create and update register
    role_arn: str | None = None  # the role a delete names, if it names one
    purge_data: bool = False


class Change(Enum):
    REGISTERED = "registered"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    NOT_REGISTERED = "not registered"


def parse_event(body: bytes | str, source: str) -> InstanceEvent:
    """The event an inbox message holds, or EventError naming `source` and what is wrong."""
    size = len(body.encode() if isinstance(body, str) else body)
    if size > MAX_EVENT_BYTES:
        raise EventError(f"{source}: {size} bytes, more than the {MAX_EVENT_BYTES} an event may have")
    try:
        raw = json.loads(_text(body))
    except UnicodeDecodeError:
        raise EventError(f"{source}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise EventError(f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from None
    if not isinstance(raw, dict):
        raise EventError(f"{source}: expected a JSON object with an action, got {type(raw).__name__}")
    unknown = raw.keys() - KNOWN_FIELDS - EVENT_FIELDS
    if unknown:
        raise EventError(
            f"{source}: unknown field(s) {sorted(unknown)}; expected {sorted(KNOWN_FIELDS | EVENT_FIELDS)}"
        )
    action = raw.get("action")
    if action is None:
        raise EventError(f"{source}: field 'action' is missing; expected one of {', '.join(ACTIONS)}")
    if action not in ACTIONS:
        raise EventError(f"{source}: field 'action' is {action!r}; expected one of {', '.join(ACTIONS)}")
    purge_data = raw.get("purgeData", False)
    if not isinstance(purge_data, bool):
        raise EventError(f"{source}: field 'purgeData' must be true or false")
    if purge_data and action != DELETE:
        raise EventError(f"{source}: field 'purgeData' applies to delete events only")
    account_id = _account_id(raw, source)
    if action == DELETE:
        return _delete_event(raw, account_id, purge_data, source)
    try:
        instance = Instance.from_mapping({k: v for k, v in raw.items() if k in KNOWN_FIELDS}, source)
    except InstanceError as error:
        raise EventError(str(error)) from None
    _check_account_matches(account_id, instance.role_arn, source)
    return InstanceEvent(action, instance.account_id, instance=instance)


def _text(body: bytes | str) -> str:
    # json.loads would guess UTF-16 or UTF-32 from bytes; an event is UTF-8 (a byte order mark is tolerated).
    return body.decode("utf-8-sig") if isinstance(body, bytes) else body


def _account_id(raw: dict, source: str) -> str | None:
    if "accountId" not in raw:
        return None
    try:
        return validate_account_id(raw["accountId"])
    except InstanceError as error:
        raise EventError(f"{source}: field 'accountId': {error}") from None


def _check_account_matches(account_id: str | None, role_arn: str, source: str) -> None:
    role_account = ROLE_ARN.match(role_arn)["account"]
    if account_id is not None and account_id != role_account:
        raise EventError(
            f"{source}: field 'accountId' {account_id} is not the account of roleArn {role_arn} ({role_account})"
        )


def _delete_event(raw: dict, account_id: str | None, purge_data: bool, source: str) -> InstanceEvent:
    role_arn = raw.get("roleArn")
    if role_arn is None:
        if account_id is None:
            raise EventError(f"{source}: a delete event names the instance by 'roleArn' or 'accountId'")
        return InstanceEvent(DELETE, account_id, purge_data=purge_data)
    if not isinstance(role_arn, str) or not ROLE_ARN.match(role_arn):
        raise EventError(
            f"{source}: field 'roleArn' {role_arn!r} is not an IAM role ARN "
            "(arn:aws:iam::<12-digit account>:role/<name>)"
        )
    _check_account_matches(account_id, role_arn, source)
    return InstanceEvent(DELETE, ROLE_ARN.match(role_arn)["account"], role_arn=role_arn, purge_data=purge_data)


def apply_event(
    registry: dict[str, Instance], event: InstanceEvent, source: str
) -> tuple[dict[str, Instance], Change]:
    """The registry (account ID -> instance) after the event, and what changed. Applying it twice changes nothing."""
    current = registry.get(event.account_id)
    if event.action == DELETE:
        if current is None:
            return registry, Change.NOT_REGISTERED
        if event.role_arn is not None and event.role_arn != current.role_arn:
            raise EventError(
                f"{source}: account {event.account_id} is registered with role {current.role_arn}, "
                f"not {event.role_arn}; nothing deleted"
            )
        return {k: v for k, v in registry.items() if k != event.account_id}, Change.DELETED
    if current == event.instance:
        return registry, Change.UNCHANGED
    return {**registry, event.account_id: event.instance}, Change.UPDATED if current else Change.REGISTERED


def redact(body: bytes | str) -> str | None:
    """The event's JSON with its external ID replaced, to keep a record of it; None when it is not a JSON object."""
    try:
        raw = json.loads(_text(body))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(raw, dict):
        return None
    if "externalId" in raw:
        raw["externalId"] = REDACTED
    return json.dumps(raw, indent=2) + "\n"
