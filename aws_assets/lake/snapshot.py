"""Reading a lake of many small partition files fast: only the columns a computation needs, the files read
concurrently, and a local snapshot per table that the next read refreshes file by file.

A lake of 200 accounts x 17 regions holds some 45,000 partition files, and opening them, not decoding them, is what
costs. `LakeSnapshot.read(table, schema)` lists the table's partition files with their size and version (inode and
modification time locally, LastModified on S3), reuses the rows of every file it read before with the same size and
version, reads the others (only the columns of
`schema`), and keeps the result as an Arrow IPC file in the cache folder, memory-mapped by the next read. A table's
snapshot is its files' rows in the order of its manifest, which records each file's row count, so dropping a
changed file's rows is a slice.

A snapshot is keyed by the lake, the table and the schema read, so computations reading different columns keep
different snapshots. It is written atomically (temporary file, then rename) and its manifest names the data file it
describes, so a reader sees a whole old snapshot or a whole new one. The cache only saves time: a missing,
unreadable or mismatched snapshot is rebuilt from the lake, which stays the only source of truth.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from aws_assets.lake.storage import Lake

MANIFEST_VERSION = 1  # of the manifest's format
# Threads reading partition files at once. A local file costs CPU (its footer and columns decoded): one thread more
# than the cores keeps them busy, and more only contend (measured on the benchmark lake, 2 cores: 3 threads 15 s,
# 8 threads 20 s). An S3 object costs a round trip, so many requests are kept in flight.
LOCAL_READ_THREADS = (os.cpu_count() or 1) + 1
S3_READ_THREADS = 16


@dataclass
class ReadStats:
    """What a read took from the snapshot and what it read from the lake."""

    files: int = 0
    reused_files: int = 0
    read_files: int = 0
    rows: int = 0

    def add(self, other: ReadStats) -> None:
        self.files += other.files
        self.reused_files += other.reused_files
        self.read_files += other.read_files
        self.rows += other.rows


def read_partition(lake: Lake, path: str, schema: pa.Schema) -> pa.Table:
    """One partition file with exactly the columns of `schema`: a column the file predates is null, a column whose
    stored type differs (an all-null column) is cast."""
    with lake.filesystem.open_input_file(path) as source:
        # A column the file lacks is left out of what `read` returns (rather than refused).
        data = pq.ParquetFile(source).read(columns=schema.names, use_threads=False)
    if data.schema.equals(schema):  # every file this version wrote: nothing to conform
        return data
    columns = []
    for field in schema:
        if data.schema.get_field_index(field.name) < 0:
            columns.append(pa.nulls(data.num_rows, field.type))
            continue
        column = data.column(field.name)
        columns.append(column if column.type == field.type else column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def read_partitions(lake: Lake, paths: list[str], schema: pa.Schema) -> list[pa.Table]:
    if len(paths) < 2:
        return [read_partition(lake, path, schema) for path in paths]
    with ThreadPoolExecutor(S3_READ_THREADS if lake.is_s3 else LOCAL_READ_THREADS) as pool:
        return list(pool.map(lambda path: read_partition(lake, path, schema), paths))


@dataclass(frozen=True)
class _Snapshot:
    files: list[list]  # [path, size, version, rows], in the order of the data's rows
    data: pa.Table


class LakeSnapshot:
    """Tables of one lake, read through a snapshot cache in `cache_folder` (None: no cache, every file is read)."""

    def __init__(self, lake: Lake, cache_folder: str | None) -> None:
        self.lake = lake
        self.folder = None
        if cache_folder:
            self.folder = Path(cache_folder) / hashlib.sha256(lake.url.encode()).hexdigest()[:16]
        self.stats = ReadStats()

    def read(self, table: str, schema: pa.Schema) -> pa.Table:
        """Every partition of `table`, only the columns of `schema`, in one Arrow table."""
        listed = self.lake.partition_file_infos(table)
        key = self._key(table, schema)
        cached = self._load(key, schema)
        known = {} if cached is None else _row_ranges(cached.files)
        unchanged = [f for f in listed if known.get(f.path, (None,))[0] == (f.size, f.version)]
        changed = [f for f in listed if known.get(f.path, (None,))[0] != (f.size, f.version)]
        read = read_partitions(self.lake, [f.path for f in changed], schema)
        parts = [cached.data.slice(*known[f.path][1]) for f in unchanged] if cached else []
        data = pa.concat_tables([*parts, *read]).combine_chunks() if parts or read else schema.empty_table()
        files = [[f.path, f.size, f.version, known[f.path][1][1]] for f in unchanged]
        files += [[f.path, f.size, f.version, part.num_rows] for f, part in zip(changed, read)]
        if self.folder is not None and (changed or cached is None or len(unchanged) != len(cached.files)):
            self._store(self.folder, key, table, schema, files, data)
        self.stats.add(ReadStats(len(listed), len(unchanged), len(changed), data.num_rows))
        return data

    def _key(self, table: str, schema: pa.Schema) -> str:
        fingerprint = hashlib.sha256(f"{table}\n{schema.to_string(show_field_metadata=False)}".encode())
        return f"{table}-{fingerprint.hexdigest()[:16]}"

    def _load(self, key: str, schema: pa.Schema) -> _Snapshot | None:
        if self.folder is None:
            return None
        try:
            manifest = json.loads((self.folder / f"{key}.json").read_text())
            if manifest.get("version") != MANIFEST_VERSION:
                return None
            data = ipc.open_file(pa.memory_map(str(self.folder / manifest["data"]))).read_all()
        except (OSError, ValueError, KeyError, pa.ArrowException):
            return None  # no snapshot yet, or one this version cannot read: rebuilt from the lake
        if not data.schema.equals(schema) or data.num_rows != sum(f[3] for f in manifest["files"]):
            return None
        return _Snapshot(manifest["files"], data)

    def _store(self, folder: Path, key: str, table: str, schema: pa.Schema, files: list[list], data: pa.Table) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        data_name = f"{key}.{uuid.uuid4().hex}.arrow"
        with pa.OSFile(str(folder / data_name), "wb") as sink, ipc.new_file(sink, schema) as writer:
            writer.write_table(data)
        manifest = {"version": MANIFEST_VERSION, "lake": self.lake.url, "table": table, "data": data_name,
                    "files": files}
        temporary = folder / f"{key}.json.{uuid.uuid4().hex}.tmp"
        temporary.write_text(json.dumps(manifest))
        os.replace(temporary, folder / f"{key}.json")
        for old in folder.glob(f"{key}.*.arrow"):
            if old.name != data_name:
                old.unlink(missing_ok=True)  # a reader that mapped it keeps its pages until it is done


def _row_ranges(files: list[list]) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """path -> ((size, version), (first row, row count)) of a manifest's files."""
    ranges = {}
    offset = 0
    for path, size, version, rows in files:
        ranges[path] = ((size, version), (offset, rows))
        offset += rows
    return ranges

