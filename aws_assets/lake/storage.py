"""The Parquet lake: one file per table partition, replaced atomically, on a local path or an `s3://` URL.

Layout: `<root>/<table>/account=<id>/region=<region>/data.parquet`, `<root>/<table>/account=<id>/data.parquet`
for account-wide tables, and `<root>/<table>/data.parquet` for tables computed over the whole lake (relationships).
Every file carries its table's full Arrow schema, also when it has no rows.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import boto3
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from aws_assets.aws.session import custom_endpoint

PARTITION_FILE = "data.parquet"


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

    def write_table(self, table: str, data: pa.Table) -> str:
        """Replace a table computed over the whole lake."""
        return self.write_partition(table, None, None, data)

    def write_partition(self, table: str, account_id: str | None, region: str | None, data: pa.Table) -> str:
        """Replace one partition; readers see the old file or the new one, never a half-written one."""
        path = self.partition_path(table, account_id, region)
        if self.is_s3:
            # One PUT: S3 makes the whole object visible at once.
            pq.write_table(data, path, filesystem=self.filesystem)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            temporary = f"{path}.{uuid.uuid4().hex}.tmp"
            try:
                pq.write_table(data, temporary)
                os.replace(temporary, path)
            finally:
                if os.path.exists(temporary):
                    os.remove(temporary)
        return f"s3://{path}" if self.is_s3 else path

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
        """Removes every partition of one account, in every table; returns the directories removed."""
        tables = pafs.FileSelector(self._base, recursive=False, allow_not_found=True)
        removed = []
        for table in self.filesystem.get_file_info(tables):
            account_dir = f"{table.path}/account={account_id}"
            if table.type == pafs.FileType.Directory and (
                self.filesystem.get_file_info(account_dir).type == pafs.FileType.Directory
            ):
                self.filesystem.delete_dir(account_dir)
                removed.append(f"s3://{account_dir}" if self.is_s3 else account_dir)
        return sorted(removed)
