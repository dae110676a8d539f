"""The lake as it was at a time, from its history (aws_assets.lake.history): what `aws-assets sql --as-of` reads.

`LakeAsOf(lake, at).read(table, schema)` reads like `LakeSnapshot.read`: each partition's last full version up to
`at` and its deltas after it, only the columns of `schema`, the files read concurrently. A table that only grows
(the change tables, written in batches) is read whole, without the rows dated after `at`.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from aws_assets.lake.history import by_partition, list_versions, replay, versions_as_of, with_change_column
from aws_assets.lake.snapshot import ReadStats, read_partitions
from aws_assets.lake.storage import Lake

DATED_COLUMN = "changedAt"  # of a batch table's rows: when it happened


class LakeAsOf:
    def __init__(self, lake: Lake, at: datetime) -> None:
        self.lake = lake
        self.at = at
        self.stats = ReadStats()

    def read(self, table: str, schema: pa.Schema) -> pa.Table:
        if self.lake.batches(table):
            return self._read_batches(table, schema)
        versions = {
            p: versions_as_of(found, self.at) for p, found in by_partition(list_versions(self.lake, table)).items()
        }
        read_schema = with_change_column(
            schema if "_key" in schema.names else schema.insert(0, pa.field("_key", pa.string()))
        )
        paths = [v.path for found in versions.values() for v in found]
        files = iter(read_partitions(self.lake, paths, read_schema))
        parts = [replay([next(files) for _ in found]).select(schema.names) for found in versions.values() if found]
        data = pa.concat_tables(parts) if parts else schema.empty_table()
        self.stats.add(ReadStats(files=len(paths), read_files=len(paths), rows=data.num_rows))
        return data

    def _read_batches(self, table: str, schema: pa.Schema) -> pa.Table:
        paths = self.lake.partition_files(table)
        parts = read_partitions(self.lake, paths, schema)
        data = pa.concat_tables(parts) if parts else schema.empty_table()
        if DATED_COLUMN in schema.names:
            data = data.filter(
                pc.less_equal(data.column(DATED_COLUMN), pa.scalar(self.at, data.schema.field(DATED_COLUMN).type))
            )
        self.stats.add(ReadStats(files=len(paths), read_files=len(paths), rows=data.num_rows))
        return data
