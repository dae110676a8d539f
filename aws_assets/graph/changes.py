"""Reading what changed from the lake's history: the versions written since the last change batch, each made the
rows of a change table (aws_assets.analysis.changes). What the change assets run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from aws_assets.analysis.changes import (
    CHANGE_SCHEMAS,
    ENTITY_CHANGES_TABLE,
    FINDING_CHANGES_TABLE,
    RELATIONSHIP_CHANGES_TABLE,
    Row,
    as_delta,
    entity_changes,
    finding_changes,
    relationship_changes,
)
from aws_assets.analysis.findings import FINDINGS_TABLE
from aws_assets.graph.tables import relationship_schemas, table_schemas
from aws_assets.inputs.people import PERSON_TYPE
from aws_assets.lake.history import (
    FULL,
    Partition,
    Version,
    by_partition,
    list_versions,
    read_version,
    state_before,
)
from aws_assets.lake.snapshot import LOCAL_READ_THREADS, S3_READ_THREADS
from aws_assets.lake.storage import Lake
from aws_assets.services.catalog import ENTITY_TYPES


@dataclass
class ChangeBatch:
    table: str
    rows: list[Row] = field(default_factory=list)
    through: datetime | None = None  # the newest version read; None: no version since the last batch
    versions: int = 0  # version files read

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=CHANGE_SCHEMAS[self.table])

    def write(self, lake: Lake) -> str | None:
        """Adds the batch to its table, unless no version was new."""
        return None if self.through is None else lake.write_batch(self.table, self.through, self.to_table())


def last_batch(lake: Lake, table: str) -> datetime | None:
    batches = lake.batches(table)
    return batches[-1][0] if batches else None


def entity_tables() -> list[str]:
    return [*ENTITY_TYPES, PERSON_TYPE]


def compute_entity_changes(lake: Lake, tables: Iterable[str] | None = None) -> ChangeBatch:
    return _compute(lake, ENTITY_CHANGES_TABLE, tables or entity_tables(), _deltas_to(entity_changes))


def compute_relationship_changes(lake: Lake, tables: Iterable[str] | None = None) -> ChangeBatch:
    return _compute(lake, RELATIONSHIP_CHANGES_TABLE, tables or relationship_schemas(),
                    _deltas_to(relationship_changes))


def compute_finding_changes(lake: Lake) -> ChangeBatch:
    def changes(version: pa.Table, before: Callable[[], pa.Table | None], at: datetime, kind: str) -> list[Row]:
        return finding_changes(before(), version, at)

    return _compute(lake, FINDING_CHANGES_TABLE, [FINDINGS_TABLE], changes)


Changes = Callable[[pa.Table, Callable[[], pa.Table | None], datetime, str], list[Row]]


def _deltas_to(rows_of: Callable[[pa.Table, datetime], list[Row]]) -> Changes:
    def changes(version: pa.Table, before: Callable[[], pa.Table | None], at: datetime, kind: str) -> list[Row]:
        delta = as_delta(version, kind, before() if kind == FULL else None)
        return [] if delta is None else rows_of(delta, at)

    return changes


def _compute(lake: Lake, change_table: str, tables: Iterable[str], changes: Changes) -> ChangeBatch:
    since = last_batch(lake, change_table)
    batch = ChangeBatch(change_table)
    new = [(table, version) for table in tables for version in list_versions(lake, table, since)]
    schemas = table_schemas()
    history = _History(lake)
    threads = S3_READ_THREADS if lake.is_s3 else LOCAL_READ_THREADS
    with ThreadPoolExecutor(threads) as pool:
        read = pool.map(lambda found: read_version(lake, found[1], schemas[found[0]]), new)
        for (table, version), data in zip(new, read):
            batch.rows += changes(data, history.earlier(table, version), version.at, version.kind)
            batch.versions += 1
            batch.through = max(batch.through or version.at, version.at)
    return batch


class _History:
    """A table's versions, listed once a run, for the state of a partition before a version."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.versions: dict[str, dict[Partition, list[Version]]] = {}

    def earlier(self, table: str, version: Version) -> Callable[[], pa.Table | None]:
        """The partition's state before the version, read only when asked (a full version after another)."""
        def read() -> pa.Table | None:
            if table not in self.versions:
                self.versions[table] = by_partition(list_versions(self.lake, table))
            found = self.versions[table].get(version.partition, [])
            return state_before(self.lake, found, version, table_schemas()[table])

        return read
