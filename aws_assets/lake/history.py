"""The lake's history: every version of every partition, kept as plain Parquet beside the current files, so that the
lake answers "what was there then" and "what changed".

Layout: `<root>/_history/<table>/day=<YYYY-MM-DD>/account=<id>/region=<region>/<stamp>.<kind>.parquet` (the
account and region folders as the partition has them). A version is written when a partition is written with
different contents than it holds; a rewrite with the same rows (apart from the volatile columns,
`aws_assets.model.entity.volatile_columns`) writes none. Kinds:

- `full`: the partition's rows as they were from then on (the first version of a partition, a table without a
  unique `_key`, or a schema that changed);
- `delta`: only what changed since the version before, each row labelled in the `_history` column: `added`,
  `removed` (the old row), `before` and `after` (the old and the new row of a changed entity). A table of a thousand
  entities with three changed stores six rows.

The partition as of a time is its last `full` version then, with each later `delta` up to that time applied (the
newest row of each `_key` wins, `removed` takes it out). The current file records the version it is (its schema
metadata), so a partition written before the lake kept history gets its old rows as a first version, dated by the
file's modification time, when it is next rewritten.

Plain Parquet rather than Delta Lake or Iceberg: the lake is 45,000 small partitions written concurrently by many
accounts' syncs (and pods) with no coordinator. A table format keeps one transaction log per table, which on S3 needs
a lock (DynamoDB) for concurrent writers and would serialise every partition of a type behind it; DuckDB reads
neither format here without downloading its extension, and neither `deltalake` nor `pyiceberg` is installed. One
file per version per partition keeps the lake's one-writer-per-partition rule and its atomic replacement.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from aws_assets.model.entity import volatile_columns

if TYPE_CHECKING:
    from aws_assets.lake.storage import Lake

HISTORY_FOLDER = "_history"
CHANGE_COLUMN = "_history"  # of a version file's rows: what the row is
ADDED, REMOVED, BEFORE, AFTER = "added", "removed", "before", "after"
FULL, DELTA = "full", "delta"
VERSION_METADATA = b"aws_assets.version"  # the current file's schema metadata: the stamp of the version it is
FINGERPRINT_METADATA = b"aws_assets.fingerprint"  # and the fingerprint of its rows (rows_fingerprint)
STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
# How version files are written: most are a few rows, so what Parquet adds to every file is most of their size. The
# Arrow schema (a copy of the Parquet schema with the descriptions) and the statistics are left out (readers take the
# table's declared schema); the current files keep both.
VERSION_FILE_OPTIONS = {"store_schema": False, "write_statistics": False, "use_dictionary": False}
# Up to this many rows (old and new) a rewrite is compared in Python (a partition: well under a millisecond);
# beyond, by DuckDB (a whole-lake table of edges).
PYTHON_COMPARED_ROWS = 20_000
STAMP = re.compile(r"^\d{8}T\d{12}Z$")
VERSION_FILE = re.compile(r"^(?P<stamp>\d{8}T\d{12}Z)\.(?P<kind>full|delta)\.parquet$")

Partition = tuple[str | None, str | None]  # (account, region), None where the table has no such level


class Version(NamedTuple):
    at: datetime
    kind: str  # FULL or DELTA
    path: str  # as the lake's filesystem names it
    partition: Partition


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime(STAMP_FORMAT)


def parse_stamp(text: str) -> datetime:
    """The time of a stamp (`stamp`); by its fixed positions, as strptime takes a hundred times longer (a day's
    change run parses every stamp of two days' versions)."""
    if not STAMP.match(text):
        raise ValueError(f"not a version stamp: {text!r}")
    return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
                    int(text[13:15]), int(text[15:21]), tzinfo=UTC)


def partition_folders(account_id: str | None, region: str | None) -> list[str]:
    return ([f"account={account_id}"] if account_id is not None else []) + (
        [f"region={region}"] if region is not None else [])


def version_path(lake: Lake, table: str, partition: Partition, at: datetime, kind: str) -> str:
    folders = [lake.history_base(table), f"day={at.astimezone(UTC):%Y-%m-%d}", *partition_folders(*partition)]
    return "/".join([*folders, f"{stamp(at)}.{kind}.parquet"])


def list_versions(lake: Lake, table: str, since: datetime | None = None,
                  before: datetime | None = None) -> list[Version]:
    """The table's versions, oldest first: only those after `since` and before `before`, listing only the days
    between theirs."""
    filesystem = lake.filesystem
    days = filesystem.get_file_info(pafs.FileSelector(lake.history_base(table), allow_not_found=True))
    first_day = "" if since is None else f"day={since.astimezone(UTC):%Y-%m-%d}"
    last_day = "day=9" if before is None else f"day={before.astimezone(UTC):%Y-%m-%d}"
    # Stamps have a fixed width, so they compare as text: only the versions kept are parsed.
    after, until = ("" if since is None else stamp(since)), ("9" if before is None else stamp(before))
    versions = []
    for day in days:
        if day.type != pafs.FileType.Directory or not first_day <= day.base_name <= last_day:
            continue
        for info in filesystem.get_file_info(pafs.FileSelector(day.path, recursive=True)):
            match = VERSION_FILE.match(info.base_name)
            if info.type == pafs.FileType.File and match and after < match["stamp"] < until:
                versions.append(Version(parse_stamp(match["stamp"]), match["kind"], info.path,
                                        _partition_of(info.path)))
    return sorted(versions)


def version_name(lake: Lake, version: Version) -> str:
    """What names a version whatever its kind (prune makes an old delta a full version of the same time): its
    partition's folders under the history's and its stamp, `<table>/day=.../account=.../region=.../<stamp>`."""
    return version.path.removeprefix(f"{lake.history_base('')}/").removesuffix(f".{version.kind}.parquet")


def version_stamp(name: str) -> str:
    """The stamp of a version's name (`version_name`)."""
    text = name.rsplit("/", 1)[-1]
    if not STAMP.match(text):
        raise ValueError(f"not a version's name: {name!r}")
    return text


def history_tables(lake: Lake) -> list[str]:
    folders = lake.filesystem.get_file_info(pafs.FileSelector(lake.history_base(""), allow_not_found=True))
    return sorted(f.base_name for f in folders if f.type == pafs.FileType.Directory)


def by_partition(versions: Iterable[Version]) -> dict[Partition, list[Version]]:
    grouped: dict[Partition, list[Version]] = defaultdict(list)
    for version in versions:
        grouped[version.partition].append(version)
    return {partition: sorted(found) for partition, found in grouped.items()}


def _partition_of(path: str) -> Partition:
    folders = dict(part.split("=", 1) for part in path.split("/") if "=" in part)
    return folders.get("account"), folders.get("region")


# ---- writing a version -------------------------------------------------------------------------------------------


def next_version(old: pa.Table | None, new: pa.Table) -> tuple[str, pa.Table] | None:
    """The version file that takes a partition from `old` (None: never written) to `new`: (kind, rows), or None
    when nothing but volatile columns changed."""
    if old is None or not old.schema.equals(new.schema):
        return FULL, labelled(new, ADDED)
    compared = [name for name in new.schema.names if name not in volatile_columns(new.schema)]
    if old.select(compared).equals(new.select(compared)):
        return None
    if not (has_unique_keys(old) and has_unique_keys(new)):
        return FULL, labelled(new, ADDED)
    pairs = changed_rows(old, new, compared)
    if not pairs:  # the same rows in another order
        return None
    old = pa.Table.from_arrays(old.columns, schema=new.schema)
    removed = [o for n, o in pairs if n is None]
    added = [n for n, o in pairs if o is None]
    modified = [(n, o) for n, o in pairs if n is not None and o is not None]
    def rows(table: pa.Table, numbers: list[int | None]) -> pa.Table:
        return table.take(pa.array(numbers, pa.int64()))

    parts = [
        labelled(rows(old, [o for _, o in modified]), BEFORE),
        labelled(rows(old, removed), REMOVED),
        labelled(rows(new, [n for n, _ in modified]), AFTER),
        labelled(rows(new, added), ADDED),
    ]
    return DELTA, pa.concat_tables(parts)


def rows_fingerprint(table: pa.Table) -> str:
    """A digest of the table's rows but its volatile columns, as Arrow serialises them: equal for the same rows in
    the same order (a rewrite that only moves volatile columns), so that the current file's footer tells an
    unchanged rewrite without reading the file. Unequal digests only mean the rows are compared."""
    compared = [name for name in table.schema.names if name not in volatile_columns(table.schema)]
    plain = table.select(compared)
    plain = pa.Table.from_arrays(plain.columns, schema=pa.schema([f.remove_metadata() for f in plain.schema]))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, plain.schema) as writer:
        writer.write_table(plain.combine_chunks())
    return hashlib.sha256(sink.getvalue()).hexdigest()[:32]


def labelled(rows: pa.Table, change: str) -> pa.Table:
    return rows.append_column(CHANGE_COLUMN, pa.array([change] * rows.num_rows, pa.string()))


def has_unique_keys(table: pa.Table) -> bool:
    if "_key" not in table.schema.names:
        return False
    keys = table.column("_key")
    return keys.null_count == 0 and pc.count_distinct(keys).as_py() == table.num_rows


def changed_rows(old: pa.Table, new: pa.Table, columns: list[str]) -> list[tuple[int | None, int | None]]:
    """(new row, old row) of each `_key` whose compared columns differ, None on the side that lacks it. A
    partition's rows are compared in Python; a whole-lake table's by DuckDB, which compares the lists and maps
    Arrow's kernels cannot (only row numbers come back, so the rows keep their types)."""
    if old.num_rows + new.num_rows <= PYTHON_COMPARED_ROWS:
        old_rows = {row["_key"]: (number, row) for number, row in enumerate(old.select(columns).to_pylist())}
        pairs: list[tuple[int | None, int | None]] = []
        for number, row in enumerate(new.select(columns).to_pylist()):
            found = old_rows.pop(row["_key"], None)
            if found is None or found[1] != row:
                pairs.append((number, None if found is None else found[0]))
        return pairs + [(None, number) for number, _ in old_rows.values()]

    def numbered(table: pa.Table) -> pa.Table:
        return table.select(columns).append_column("_row", pa.array(range(table.num_rows), pa.int64()))

    old_rows, new_rows = numbered(old), numbered(new)  # noqa: F841 - DuckDB reads the local variables by name
    differs = " OR ".join(f'n."{c}" IS DISTINCT FROM o."{c}"' for c in columns if c != "_key")
    with _duckdb().cursor() as con:
        return con.execute(
            f"SELECT n._row, o._row FROM new_rows n FULL JOIN old_rows o ON n._key = o._key "
            f"WHERE n._key IS NULL OR o._key IS NULL{f' OR {differs}' if differs else ''} ORDER BY n._row, o._row"
        ).fetchall()


@cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    """One in-memory database for the process: a connection costs 30 ms, a cursor of it (one per call, so threads
    keep apart) nothing."""
    return duckdb.connect()


def version_time(previous: str | None, at: datetime) -> datetime:
    """`at`, or just after the version before when the clock says otherwise: a partition's versions stay ordered."""
    if previous is not None and at <= parse_stamp(previous):
        return parse_stamp(previous) + timedelta(microseconds=1)
    return at


# ---- reading the past --------------------------------------------------------------------------------------------


def with_change_column(schema: pa.Schema) -> pa.Schema:
    return schema.append(pa.field(CHANGE_COLUMN, pa.string()))


def replay(versions: list[pa.Table]) -> pa.Table:
    """A partition's rows from its versions, a `full` one first then `delta`s, oldest first (each with the change
    column, which the result drops)."""
    if len(versions) == 1:
        return versions[0].drop_columns([CHANGE_COLUMN])
    rows = pa.concat_tables(versions)
    rows = last_row_per_key(rows.filter(pc.not_equal(rows.column(CHANGE_COLUMN), BEFORE)))
    rows = rows.filter(pc.not_equal(rows.column(CHANGE_COLUMN), REMOVED))
    return rows.drop_columns([CHANGE_COLUMN])


def last_row_per_key(table: pa.Table) -> pa.Table:
    """The table with only the last row of each `_key` (in the order the rows came)."""
    positions = table.select(["_key"]).append_column("_position", pa.array(range(table.num_rows), pa.int64()))
    latest = positions.group_by("_key").aggregate([("_position", "max")]).column("_position_max")
    return table.take(pc.take(latest, pc.sort_indices(latest)))


def versions_as_of(versions: list[Version], at: datetime) -> list[Version]:
    """Of a partition's versions (oldest first), those its state at `at` is read from: the last full one then and
    the deltas after it."""
    seen = [v for v in versions if v.at <= at]
    fulls = [i for i, v in enumerate(seen) if v.kind == FULL]
    return seen[fulls[-1]:] if fulls else []


def read_version(lake: Lake, version: Version, schema: pa.Schema | None = None) -> pa.Table:
    """A version file whole, with its change column; with the table's `schema`, in its types and marks (a column
    the version predates is null)."""
    with lake.filesystem.open_input_file(version.path) as source:
        # Not pq.read_table: its dataset machinery costs more than reading a small file (a day's changes read one
        # per changed partition).
        data = pq.ParquetFile(source).read(use_threads=False)
    if schema is None:
        return data
    wanted = with_change_column(schema)
    if data.schema.equals(wanted, check_metadata=False):  # the common case: a version of the table as it is
        return pa.Table.from_arrays(data.columns, schema=wanted)
    found = {f.name: f.type for f in data.schema}
    columns = [pa.nulls(data.num_rows, f.type) if f.name not in found
               else data.column(f.name) if found[f.name] == f.type
               else data.column(f.name).cast(f.type) for f in wanted]
    return pa.Table.from_arrays(columns, schema=wanted)


def state_before(lake: Lake, versions: list[Version], version: Version, schema: pa.Schema) -> pa.Table | None:
    """The partition as it was just before `version` (of its `versions`, oldest first), in the table's `schema`;
    None: it did not exist."""
    earlier = versions_as_of([v for v in versions if v.at < version.at], version.at)
    return replay([read_version(lake, v, schema) for v in earlier]) if earlier else None
