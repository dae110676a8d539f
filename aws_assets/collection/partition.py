"""Syncing one partition (an account's account-wide services, or its services in one region) into the lake.

The multi-assets (the UI's Materialize of one partition) and the sync engine both call `sync_partition`: resolve
whether the region is collected, collect the entity types, write each table that came back (atomically), keep the
failures with their reasons.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa

from aws_assets.aws.collect import AWS_ERRORS, Outcome, collect_entity_types, describe_cause, empty_outcomes
from aws_assets.aws.session import AccessError
from aws_assets.collection.access import open_collection, regions_to_collect
from aws_assets.inputs.instances import Instance
from aws_assets.lake.storage import Lake
from aws_assets.model.entity import EntityType
from aws_assets.model.regions import GLOBAL_REGION

# Rows kept of each written table, for its preview: the rest is in the lake, and a sync of a thousand accounts would
# otherwise hold every table it wrote until it ends.
HEAD_ROWS = 5


@dataclass
class Written:
    outcome: Outcome  # its table: the first HEAD_ROWS rows of what was written
    path: str
    rows: int


@dataclass
class PartitionSync:
    """What syncing one partition did: the tables written, the entity types that failed, or why nothing ran."""

    account_id: str
    region: str  # GLOBAL_REGION: the account-wide partition
    written: list[Written] = field(default_factory=list)
    failures: list[Outcome] = field(default_factory=list)
    error: str | None = None  # the partition could not be collected at all (role not assumable, account locked)
    cause: str | None = None  # the error without the partition's name, when it is not about the account alone
    planning_calls: dict[str, int] = field(default_factory=dict)  # calls made to decide what to collect
    account_partitions: int = 1  # how many partitions this sync planned for the account (for progress)
    started: float = 0.0  # time.monotonic() when the engine started and finished the partition
    finished: float = 0.0
    retried: dict[str, int] = field(default_factory=dict)  # requests sent again, by service:Operation
    throttled: dict[str, int] = field(default_factory=dict)  # of those, the ones AWS throttled

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failures

    @property
    def is_account_wide(self) -> bool:
        return self.region == GLOBAL_REGION

    @property
    def label(self) -> str:
        return f"{self.account_id} {'account-wide' if self.is_account_wide else self.region}"

    @property
    def rows(self) -> int:
        return sum(w.rows for w in self.written)

    @property
    def errors(self) -> list[str]:
        return ([self.error] if self.error else []) + [f.error for f in self.failures if f.error]

    def causes(self) -> dict[str, list[str]]:
        """Each cause of failure -> the entity types it cost (none: the whole partition)."""
        if self.error:
            return {self.cause or self.error: []}
        lost: dict[str, list[str]] = {}
        for failure in self.failures:
            lost.setdefault(failure.cause or failure.error or "unknown", []).append(failure.entity_type.type)
        return lost

    def failure_summary(self, types_named: int = 3) -> str:
        """The causes on one line, each with the entity types it cost: `aws_lambda_function: AccessDenied...`."""
        parts = []
        for cause, lost in self.causes().items():
            named = ", ".join(lost[:types_named]) + (f" and {len(lost) - types_named} more" if len(lost) > types_named
                                                     else "")
            parts.append(f"{named}: {cause}" if lost else cause)
        return "; ".join(parts)

    def release_tables(self) -> None:
        """Drop the written tables' first rows, once their materializations are recorded."""
        for written in self.written:
            written.outcome.table = None

    def calls_by_operation(self) -> Counter[str]:
        total = Counter(self.planning_calls)
        for outcome in [w.outcome for w in self.written] + self.failures:
            total.update(outcome.calls_by_operation)
        return total


def not_collected_note(instance: Instance, region: str, collected: tuple[str, ...]) -> str | None:
    if region == GLOBAL_REGION or region in collected:
        return None
    reason = "not in the instance's regions" if instance.regions else "not enabled for the account"
    return f"region {region} is not collected for account {instance.account_id}: {reason}"


REQUEST_ID = re.compile(r"\s*\(Request ID: [^)]*\)")


def lake_write_cause(lake: Lake, error: OSError) -> str:
    """One line for a lake that cannot be written (read-only, full, permission denied, S3 refusing): the lake's URL
    and the reason, without the temporary file's name."""
    reason = os.strerror(error.errno) if error.errno else " ".join(str(error).split())
    # Arrow's S3 errors start with the object's key, what went wrong follows, and the request's ID ends them.
    _, aws_error, after = reason.partition("AWS Error ")
    if aws_error:
        reason = REQUEST_ID.sub("", aws_error + after)
    return f"cannot write the lake at {lake.url}: {reason}"


def sync_partition(
    instance: Instance, region: str, entity_types: Iterable[EntityType], lake: Lake, profile: str | None
) -> PartitionSync:
    result = PartitionSync(instance.account_id, region)
    try:
        collection = open_collection(instance, region, profile)
        note = None
        if region != GLOBAL_REGION:
            note = not_collected_note(instance, region, regions_to_collect(instance, collection))
        # AssumeRole (once per account and process) and DescribeRegions (cached): no entity type's calls
        result.planning_calls = collection.calls.by_operation()
    except AccessError as error:
        result.error = str(error)  # it names the account and the role
        return result
    except AWS_ERRORS as error:  # DescribeRegions, when the endpoint dies under it
        result.cause = describe_cause(error)
        result.error = f"{instance.label}: {result.cause}"
        return result
    outcomes = empty_outcomes(entity_types, note) if note else collect_entity_types(entity_types, collection)
    for outcome in outcomes:
        if not outcome.ok or outcome.table is None:
            result.failures.append(outcome)
            continue
        account_region = None if region == GLOBAL_REGION else region
        try:
            path = lake.write_partition(outcome.entity_type.type, instance.account_id, account_region, outcome.table)
        except OSError as error:
            # Every other table would fail alike: the partition stops here, its previous data kept.
            result.cause = lake_write_cause(lake, error)
            result.error = f"{instance.label}: {result.cause}"
            break
        rows = outcome.table.num_rows
        # Copied through Python: a slice would keep the whole table's buffers alive.
        outcome.table = pa.Table.from_pylist(outcome.table.slice(0, HEAD_ROWS).to_pylist(), schema=outcome.table.schema)
        result.written.append(Written(outcome, path, rows))
    result.retried = collection.calls.retries_by_operation()
    result.throttled = collection.calls.throttled_by_operation()
    return result
