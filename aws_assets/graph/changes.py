"""Reading what changed from the lake's history: the versions written since the last change batch, each made the
rows of a change table (aws_assets.analysis.changes). What the change assets run.

Where a run resumes: a version is stamped when its writer starts (`Lake.write_partition`), then its file reaches
the lake, so a run can read a version stamped later than one still being written, which then arrives with an older
stamp. Each run therefore lists the versions stamped after `LATE_VERSION_WINDOW` before the last batch's, but those
the last batch records it (or a run before it) read: its `read` record, in the batch file's metadata, holds every
version of that window already read. A version reaches the lake well within the window of its stamp (one footer
read, one comparison, one write), so each is read exactly once.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

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
    stamp,
    state_before,
    version_name,
    version_stamp,
)
from aws_assets.lake.snapshot import LOCAL_READ_THREADS, S3_READ_THREADS
from aws_assets.lake.storage import PARTITION_FILE, Lake
from aws_assets.services.catalog import ENTITY_TYPES

LATE_VERSION_WINDOW = timedelta(hours=1)
READ_METADATA = b"aws_assets.read_versions"  # a batch file's metadata: the versions of its window read


@dataclass(frozen=True)
class ResumePoint:
    """Where a run starts: the versions stamped after `after`, but those in `read` (names, `version_name`)."""

    last: datetime | None = None  # the last batch's stamp; None: no batch yet
    after: datetime | None = None
    read: frozenset[str] = frozenset()


def resume_point(lake: Lake, table: str) -> ResumePoint:
    batches = lake.batches(table)
    if not batches:
        return ResumePoint()
    last, folder = batches[-1]
    metadata = pq.read_schema(f"{folder}/{PARTITION_FILE}", filesystem=lake.filesystem).metadata or {}
    if READ_METADATA not in metadata:  # a batch written before batches kept the record: from its stamp
        return ResumePoint(last, last)
    names = zlib.decompress(base64.b64decode(metadata[READ_METADATA])).decode()
    return ResumePoint(last, last - LATE_VERSION_WINDOW, frozenset(names.split("\n")) - {""})


@dataclass
class ChangeBatch:
    table: str
    rows: list[Row] = field(default_factory=list)
    resume: ResumePoint = ResumePoint()
    read: list[str] = field(default_factory=list)  # the versions read (`version_name`)
    newest: datetime | None = None  # the newest version read
    versions: int = 0  # version files read

    @property
    def through(self) -> datetime | None:
        """The batch's stamp: the newest version read, or just after the last batch when that is later (a version
        that arrived late), so that batches keep their order; None: no version since the last batch."""
        if self.newest is None or self.resume.last is None or self.newest > self.resume.last:
            return self.newest
        return self.resume.last + timedelta(microseconds=1)

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.rows, schema=CHANGE_SCHEMAS[self.table])

    def record(self) -> bytes:
        """The versions read, by this run or those before, that the next run lists again."""
        assert self.through is not None
        after = stamp(self.through - LATE_VERSION_WINDOW)
        names = sorted(name for name in self.resume.read.union(self.read) if version_stamp(name) > after)
        return base64.b64encode(zlib.compress("\n".join(names).encode()))

    def write(self, lake: Lake) -> str | None:
        """Adds the batch to its table, with its record of what it read, unless no version was new."""
        if self.through is None:
            return None
        data = self.to_table()
        data = data.replace_schema_metadata({**(data.schema.metadata or {}), READ_METADATA: self.record()})
        return lake.write_batch(self.table, self.through, data)


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
    resume = resume_point(lake, change_table)
    batch = ChangeBatch(change_table, resume=resume)
    new = [(table, version) for table in tables for version in list_versions(lake, table, resume.after)
           if version_name(lake, version) not in resume.read]
    schemas = table_schemas()
    history = _History(lake)
    threads = S3_READ_THREADS if lake.is_s3 else LOCAL_READ_THREADS
    with ThreadPoolExecutor(threads) as pool:
        read = pool.map(lambda found: read_version(lake, found[1], schemas[found[0]]), new)
        for (table, version), data in zip(new, read):
            batch.rows += changes(data, history.earlier(table, version), version.at, version.kind)
            batch.versions += 1
            batch.read.append(version_name(lake, version))
            batch.newest = max(batch.newest or version.at, version.at)
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
