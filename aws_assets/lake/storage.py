"""The Parquet lake: one file per table partition, replaced atomically, on a local path or an `s3://` URL.

Layout: `<root>/<table>/account=<id>/region=<region>/data.parquet`, `<root>/<table>/account=<id>/data.parquet`
for account-wide tables, and `<root>/<table>/data.parquet` for tables computed over the whole lake (relationships).
Every file carries its table's full Arrow schema, also when it has no rows. Every version a partition had is kept
under `<root>/_history/` (aws_assets.lake.history); tables that only grow (the change tables) are written in batches,
`<root>/<table>/through=<stamp>/data.parquet`, and keep no history.
"""

from __future__ import annotations

import os
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

import boto3
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from aws_assets.aws.session import custom_endpoint
from aws_assets.lake.history import (
    ADDED,
    FINGERPRINT_METADATA,
    FULL,
    HISTORY_FOLDER,
    VERSION_FILE_OPTIONS,
    VERSION_METADATA,
    Partition,
    labelled,
    next_version,
    parse_stamp,
    rows_fingerprint,
    stamp,
    version_path,
    version_time,
)

PARTITION_FILE = "data.parquet"
BATCH_FOLDER = "through="


def s3_filesystem() -> pafs.S3FileSystem:
    """Arrow's S3 client, with credentials resolved the way boto3 resolves them (profiles, SSO, roles)."""
    session = boto3.Session()
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials else None
    endpoint = custom_endpoint("s3")
    options = {"region": session.region_name or "us-east-1"}
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        options.update(endpoint_override=host, scheme=scheme)
    if frozen:
        options.update(access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token)
    return pafs.S3FileSystem(**options)


class PartitionFile(NamedTuple):
    path: str  # as the lake's filesystem names it
    size: int
    # What changes whenever the partition is rewritten: a rewrite is a rename onto the path (a new inode, with its
    # modification time) locally, and a new object (its LastModified) on S3.
    version: str


@dataclass(frozen=True)
class Lake:
    root: str

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    @cached_property
    def filesystem(self) -> pafs.FileSystem:
        return s3_filesystem() if self.is_s3 else pafs.LocalFileSystem()

    @cached_property
    def _base(self) -> str:
        """The root as the filesystem names it: `bucket/prefix` on S3, an absolute path locally."""
        if self.is_s3:
            return self.root.removeprefix("s3://").rstrip("/")
        return os.path.abspath(self.root)

    @property
    def url(self) -> str:
        return f"s3://{self._base}" if self.is_s3 else self._base

    def table_url(self, table: str) -> str:
        return f"{self.url}/{table}"

    def partition_path(self, table: str, account_id: str | None = None, region: str | None = None) -> str:
        parts = [self._base, table]
        if account_id is not None:
            parts.append(f"account={account_id}")
        if region is not None:
            parts.append(f"region={region}")
        return "/".join([*parts, PARTITION_FILE])

    def history_base(self, table: str) -> str:
        """The folder of a table's versions (of every table's, for the empty name)."""
        return "/".join(part for part in (self._base, HISTORY_FOLDER, table) if part)

    def write_table(self, table: str, data: pa.Table, at: datetime | None = None) -> str:
        """Replace a table computed over the whole lake."""
        return self.write_partition(table, None, None, data, at)

    def write_partition(
        self, table: str, account_id: str | None, region: str | None, data: pa.Table, at: datetime | None = None
    ) -> str:
        """Replace one partition; readers see the old file or the new one, never a half-written one. What changed is
        kept first as the partition's version of `at` (default now) in the history."""
        path = self.partition_path(table, account_id, region)
        current = self._record_version(table, (account_id, region), path, data, at or datetime.now(UTC))
        self.write_file(path, current)
        return f"s3://{path}" if self.is_s3 else path

    def _record_version(self, table: str, partition: Partition, path: str, data: pa.Table, at: datetime) -> pa.Table:
        """Writes the version `data` makes of the partition, if it changes anything; returns `data` carrying the
        stamp of the version it is and the fingerprint of its rows."""
        fingerprint = rows_fingerprint(data)
        current = self._current_metadata(path)
        old_stamp = current.get(VERSION_METADATA, b"").decode() or None if current is not None else None
        # The same fingerprint: the same rows but for volatile columns, told from the current file's footer alone.
        if current is None or old_stamp is None or current.get(FINGERPRINT_METADATA) != fingerprint.encode():
            with self.filesystem.open_input_file(path) if current is not None else nullcontext() as source:
                old = pq.read_table(source) if source is not None else None
            if old is not None and old_stamp is None:
                # Written before the lake kept history: its rows become the partition's first version.
                old_stamp = stamp(self.filesystem.get_file_info(path).mtime or at)
                self.write_file(version_path(self, table, partition, parse_stamp(old_stamp), FULL),
                                labelled(old, ADDED), **VERSION_FILE_OPTIONS)
            found = next_version(old, data)
            if found is not None:
                kind, rows = found
                version_at = version_time(old_stamp, at)
                self.write_file(version_path(self, table, partition, version_at, kind), rows, **VERSION_FILE_OPTIONS)
                old_stamp = stamp(version_at)
        metadata = {**(data.schema.metadata or {}), VERSION_METADATA: (old_stamp or "").encode(),
                    FINGERPRINT_METADATA: fingerprint.encode()}
        return data.replace_schema_metadata(metadata)

    def _current_metadata(self, path: str) -> dict[bytes, bytes] | None:
        """The schema metadata of the partition's current file (its footer only); None: there is none."""
        if self.filesystem.get_file_info(path).type != pafs.FileType.File:
            return None
        with self.filesystem.open_input_file(path) as source:
            return dict(pq.ParquetFile(source).schema_arrow.metadata or {})

    def write_file(self, path: str, data: pa.Table, **parquet_options: Any) -> None:
        """One Parquet file at a path of the lake's filesystem, whole or not at all."""
        if self.is_s3:
            # One PUT: S3 makes the whole object visible at once.
            pq.write_table(data, path, filesystem=self.filesystem, **parquet_options)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{uuid.uuid4().hex}.tmp"
        try:
            pq.write_table(data, temporary, **parquet_options)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)

    def write_batch(self, table: str, through: datetime, data: pa.Table) -> str:
        """Adds a batch to a table that only grows (no history kept): what was computed up to `through`."""
        path = f"{self._base}/{table}/{BATCH_FOLDER}{stamp(through)}/{PARTITION_FILE}"
        self.write_file(path, data)
        return f"s3://{path}" if self.is_s3 else path

    def batches(self, table: str) -> list[tuple[datetime, str]]:
        """A batch table's batches, (through, folder), oldest first."""
        selector = pafs.FileSelector(f"{self._base}/{table}", allow_not_found=True)
        return sorted(
            (parse_stamp(info.base_name.removeprefix(BATCH_FOLDER)), info.path)
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.Directory and info.base_name.startswith(BATCH_FOLDER)
        )

    def exists(self) -> bool:
        """Whether anything was ever written at the root (a local directory, or objects under the S3 prefix)."""
        return self.filesystem.get_file_info(self._base).type == pafs.FileType.Directory

    def has_table(self, table: str) -> bool:
        return bool(self.partition_files(table))

    def partition_files(self, table: str) -> list[str]:
        return [partition.path for partition in self.partition_file_infos(table)]

    def partition_file_infos(self, table: str) -> list[PartitionFile]:
        """The table's partition files, with what tells a rewritten file from the one read before."""
        selector = pafs.FileSelector(f"{self._base}/{table}", recursive=True, allow_not_found=True)
        files = [
            info for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File and info.base_name == PARTITION_FILE
        ]
        if self.is_s3:
            return sorted(PartitionFile(info.path, info.size, str(info.mtime_ns)) for info in files)
        partitions = []
        for info in files:
            try:
                stat = os.stat(info.path)
            except FileNotFoundError:
                continue  # removed since it was listed
            partitions.append(PartitionFile(info.path, stat.st_size, f"{stat.st_ino}:{stat.st_mtime_ns}"))
        return sorted(partitions)

    def read_table(self, table: str, schema: pa.Schema | None = None) -> pa.Table:
        """Every partition of a table as one Arrow table (empty, with `schema`, when nothing is written yet)."""
        files = self.partition_files(table)
        if not files:
            if schema is None:
                raise FileNotFoundError(f"{self.table_url(table)}: no partitions written")
            return schema.empty_table()
        tables = [pq.read_table(f, filesystem=self.filesystem) for f in files]
        return pa.concat_tables(tables, promote_options="permissive")

    def delete_account(self, account_id: str) -> list[str]:
        """Removes every partition of one account, in every table, and their history; returns the tables'
        directories removed (the history's, one a day, go with them)."""
        removed = []
        for table in self._folders(self._base):
            removed += self._delete_folder(f"{table}/account={account_id}")
        for table in self._folders(self.history_base("")):
            for day in self._folders(table):
                self._delete_folder(f"{day}/account={account_id}")
        return sorted(removed)

    def table_names(self) -> list[str]:
        """The tables written (folders at the root), without the history's."""
        return sorted(path.rsplit("/", 1)[-1] for path in self._folders(self._base)
                      if not path.endswith(f"/{HISTORY_FOLDER}"))

    def _folders(self, path: str) -> list[str]:
        selector = pafs.FileSelector(path, recursive=False, allow_not_found=True)
        return [info.path for info in self.filesystem.get_file_info(selector) if info.type == pafs.FileType.Directory]

    def _delete_folder(self, path: str) -> list[str]:
        if self.filesystem.get_file_info(path).type != pafs.FileType.Directory:
            return []
        self.filesystem.delete_dir(path)
        return [f"s3://{path}" if self.is_s3 else path]
