"""Collecting one service for one partition, entity type by entity type, without Dagster.

One entity type failing (AccessDenied on its list call, throttling past the retries, an unreachable endpoint) does
not stop the others: each outcome carries either a table or the reason, and the caller writes only the tables. A
collector that finds its partition has nothing to collect, for a reason worth telling, raises `NothingToCollect`: its
table is empty and the reason is the outcome's note.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyarrow as pa
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

from aws_assets.aws.partition import ACCESS_DENIED_CODES, PartitionCollection, error_code
from aws_assets.model.entity import EntityType

# What an AWS call can fail with: AWS's answer, botocore's own errors, and an answer that cannot be read (a connection
# cut in the middle of it), which botocore raises as neither.
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
MESSAGE_LIMIT = 300  # an unparsable error body arrives whole as the message
DENIED_HINT = "the integration role lacks this read permission, or an SCP denies it"
OS_ERROR = re.compile(r"\[Errno \d+\] ([^\]\)\"']+)")


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
    cause: str | None = None  # the error without the entity type and the partition: what failures have in common

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
            text += f" ({DENIED_HINT})"
        return text
    return f"{entity_type.type}: collection failed in {where}: {describe_cause(error)}"


def describe_cause(error: Exception) -> str:
    """What went wrong, the same for every partition it happened to: `AccessDenied on ListFunctions (...)`, or
    `cannot connect to http://host:port: Connection refused` (the endpoint, not each operation's URL)."""
    if isinstance(error, ClientError):
        code = error_code(error) or "error"
        return f"{code} on {error.operation_name}" + (f" ({DENIED_HINT})" if code in ACCESS_DENIED_CODES else "")
    if isinstance(error, EndpointConnectionError):
        url = urlsplit(str(error.kwargs.get("endpoint_url", "")))
        reason = OS_ERROR.search(str(error.kwargs.get("error", "")))
        return f"cannot connect to {url.scheme}://{url.netloc}" + (f": {reason.group(1).strip()}" if reason else "")
    # botocore's advice to retry, where retrying is done with, and the empty body it quotes, say nothing more.
    return " ".join(str(error).split(" Further retries may succeed")[0].split())[:MESSAGE_LIMIT]


def _diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}


def collect_entity_types(entity_types: Iterable[EntityType], aws: PartitionCollection) -> Iterator[Outcome]:
    for entity_type in entity_types:
        calls_before = aws.calls.by_operation()
        started = time.monotonic()
        error = note = cause = None
        try:
            table = entity_type.to_table(entity_type.collect(aws), aws.account_id, aws.region)
        except NothingToCollect as reason:
            table, note = entity_type.schema.empty_table(), str(reason)
        except AWS_ERRORS as failure:
            table, error, cause = None, describe_error(entity_type, aws, failure), describe_cause(failure)
        calls = _diff(aws.calls.by_operation(), calls_before)
        yield Outcome(entity_type, table, sum(calls.values()), time.monotonic() - started, error, calls, note, cause)


def empty_outcomes(entity_types: Iterable[EntityType], note: str) -> Iterator[Outcome]:
    """Empty tables, with the full schema, for a partition that has nothing to collect (a region not enabled), and
    why."""
    for entity_type in entity_types:
        yield Outcome(entity_type, entity_type.schema.empty_table(), 0, 0.0, note=note)
