"""Keeping the lake's history to its retention (`AWS_ASSETS_HISTORY_DAYS`): what is older than the cutoff goes.

Of each partition's versions before the cutoff only the last is kept, made a full version (the partition as it was
then), so that the lake still answers for every time after the cutoff; batches of the tables that only grow (the
change tables) whose rows all predate the cutoff are removed, but each table's newest, which records where the next
change run resumes (aws_assets.graph.changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from aws_assets.lake.history import (
    ADDED,
    FULL,
    VERSION_FILE_OPTIONS,
    by_partition,
    history_tables,
    labelled,
    list_versions,
    replay,
    version_path,
    versions_as_of,
)
from aws_assets.lake.storage import Lake
from aws_assets.model.settings import HISTORY_DAYS, positive_count, settings


def history_days() -> int:
    """The retention, `AWS_ASSETS_HISTORY_DAYS`."""
    return positive_count(HISTORY_DAYS, settings().history_days, "how many days of history to keep")


@dataclass
class Pruned:
    versions: int = 0  # version files removed
    folded: int = 0  # partitions whose old versions were folded into one full version
    batches: int = 0  # batches of the change tables removed


def prune(lake: Lake, before: datetime) -> Pruned:
    pruned = Pruned()
    for table in history_tables(lake):
        # Only the days before the cutoff are listed: a partition's versions up to its last old one are all there.
        for partition, old in by_partition(list_versions(lake, table, before=before)).items():
            if not old or old == [v for v in old if v.kind == FULL][-1:]:
                continue  # nothing before the cutoff but the version it starts from
            last = old[-1]
            if last.kind != FULL:
                rows = replay([pq.read_table(v.path, filesystem=lake.filesystem)
                               for v in versions_as_of(old, last.at)])
                lake.write_file(version_path(lake, table, partition, last.at, FULL), labelled(rows, ADDED),
                                **VERSION_FILE_OPTIONS)
                pruned.folded += 1
            for version in old:
                if version.path != version_path(lake, table, partition, last.at, FULL):
                    lake.filesystem.delete_file(version.path)
                    pruned.versions += 1
        _remove_empty_folders(lake, lake.history_base(table))
    for table in lake.table_names():
        for through, path in lake.batches(table)[:-1]:
            if through < before:
                lake.filesystem.delete_dir(path)
                pruned.batches += 1
    return pruned


def _remove_empty_folders(lake: Lake, path: str) -> bool:
    """Removes the folders under `path` that hold no file; whether `path` itself holds none."""
    empty = True
    for info in lake.filesystem.get_file_info(pafs.FileSelector(path, allow_not_found=True)):
        if info.type == pafs.FileType.Directory and _remove_empty_folders(lake, info.path):
            lake.filesystem.delete_dir(info.path)
        else:
            empty = False
    return empty
