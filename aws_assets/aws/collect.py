"""Collecting one service for one partition, entity type by entity type, without Dagster.

One entity type failing (AccessDenied on its list call, throttling past the retries, an unreachable endpoint) does
not stop the others: each outcome carries either a table or the reason, and the caller writes only the tables. A
collector that finds its partition has nothing to collect, for a reason worth telling, raises `NothingToCollect`: its
table is empty and the reason is the outcome's note.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
from botocore.exceptions import BotoCoreError, ClientError

from aws_assets.aws.partition import ACCESS_DENIED_CODES, PartitionCollection, error_code
from aws_assets.model.entity import EntityType

MESSAGE_LIMIT = 300  # an unparsable error body arrives whole as the message


class NothingToCollect(Exception):
    """The partition holds nothing of the entity type, and why (the account is in no organisation, say): not a
    failure, so the table is written empty and the reason goes with it."""


@dataclass
class Outcome:
    entity_type: EntityType
    table: pa.Table | None
    api_calls: int
    seconds: float
    error: str | None = None
    calls_by_operation: dict[str, int] = field(default_factory=dict)
    note: str | None = None  # why the table is empty, where the partition or a collector said so

    @property
    def ok(self) -> bool:
        return self.error is None


def describe_error(entity_type: EntityType, aws: PartitionCollection, error: Exception) -> str:
    where = f"account {aws.account_id}" + ("" if aws.region == "global" else f", region {aws.region}")
    if isinstance(error, ClientError):
        code = error_code(error)
        message = " ".join(error.response.get("Error", {}).get("Message", "").split())[:MESSAGE_LIMIT]
        text = f"{entity_type.type}: {error.operation_name} failed in {where}: {code}: {message}".rstrip(": ")
        if code in ACCESS_DENIED_CODES:
            text += " (the integration role lacks this read permission, or an SCP denies it)"
        return text
    return f"{entity_type.type}: collection failed in {where}: {error}"


def _diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}


def collect_entity_types(entity_types: Iterable[EntityType], aws: PartitionCollection) -> Iterator[Outcome]:
    for entity_type in entity_types:
        calls_before = aws.calls.by_operation()
        started = time.monotonic()
        error = note = None
        try:
            table = entity_type.to_table(entity_type.collect(aws), aws.account_id, aws.region)
        except NothingToCollect as reason:
            table, note = entity_type.schema.empty_table(), str(reason)
        except (ClientError, BotoCoreError) as failure:
            table, error = None, describe_error(entity_type, aws, failure)
        calls = _diff(aws.calls.by_operation(), calls_before)
        yield Outcome(entity_type, table, sum(calls.values()), time.monotonic() - started, error, calls, note)


def empty_outcomes(entity_types: Iterable[EntityType], note: str) -> Iterator[Outcome]:
    """Empty tables, with the full schema, for a partition that has nothing to collect (a region not enabled), and
    why."""
    for entity_type in entity_types:
        yield Outcome(entity_type, entity_type.schema.empty_table(), 0, 0.0, note=note)
