"""The lake's history over daily syncs of the benchmark lake: its size against full copies, the time to compute a
day's changes, and an `--as-of` query against a current one.

The lake is the relationships benchmark's (benchmarks/relationships.py: 200 accounts x 17 regions hold 1,088,002
entities), generated in this process. Then each day is a sync: every partition of every entity table is written
again with `Lake.write_partition`, as the collectors' runs write it, with `--changed` of the entities (1%, chosen at
random) given a new value of a non-volatile column (`displayName`), and then `entity_changes` is computed as its
asset computes it. Reported:

- the lake after the days (current files and `_history/`) against `days` full copies of the current files, the
  baseline of keeping every sync whole;
- the seconds of one day's sync writes with history, against the same partitions written as plain Parquet;
- the seconds to compute the last day's changes (`compute_entity_changes`: the target is under 10 s at full scale);
- a query over every entity (`SELECT _type, count(*) FROM entities GROUP BY 1`) opened current (warm snapshot
  cache, and without one) and `--as-of` the middle day.

    .venv/bin/python benchmarks/history.py [--accounts 200] [--regions 17] [--days 30] [--changed 0.01]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from relationships import REGIONS, write_accounts  # noqa: E402 - the benchmark lake's generator, beside this file

from aws_assets.graph.changes import compute_entity_changes  # noqa: E402
from aws_assets.graph.tables import open_lake  # noqa: E402
from aws_assets.lake.storage import Lake  # noqa: E402
from aws_assets.services.catalog import ENTITY_TYPES  # noqa: E402

QUERY = "SELECT _type, count(*) FROM entities GROUP BY 1"
FIRST_SYNC = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def size_of(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def partitions(lake: Lake) -> list[tuple[str, str, str | None, str]]:
    """(table, account, region, path) of every entity partition."""
    found = []
    for table in ENTITY_TYPES:
        for path in lake.partition_files(table):
            folders = dict(part.split("=", 1) for part in path.split("/") if "=" in part)
            found.append((table, folders["account"], folders.get("region"), path))
    return found


def changed(table: pa.Table, share: float, day: int, rng: np.random.Generator) -> tuple[pa.Table, int]:
    """The partition with `share` of its rows given a new displayName (not the rows of a `_key` the generator
    repeats, which the change tables compare by the key's last row)."""
    counts = table.group_by("_key").aggregate([("_key", "count")])
    repeated = counts.filter(pc.greater(counts.column("_key_count"), 1)).column("_key")
    mask = pc.and_(pa.array(rng.random(table.num_rows) < share), pc.invert(pc.is_in(table.column("_key"), repeated)))
    renamed = pc.binary_join_element_wise(table.column("displayName"), pa.scalar(f"day-{day}"), "~")
    column = pc.if_else(mask, renamed, table.column("displayName"))
    index = table.schema.get_field_index("displayName")
    return table.set_column(index, table.schema.field(index), column), pc.sum(mask).as_py() or 0


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--changed", type=float, default=0.01, help="share of the entities changed a day")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="history-benchmark-"))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    root, cache = work / "lake", work / "cache"
    regions = tuple(REGIONS[: args.regions])
    generated, _ = timed(lambda: write_accounts((str(root), str(work / "compacted")), args.accounts, regions, 1, 0,
                                                args.accounts))
    shutil.rmtree(work / "compacted")
    lake = Lake(str(root))
    shutil.rmtree(lake.history_base(""))  # the generated lake is the first sync's, dated below
    entity_partitions = partitions(lake)
    entities = sum(pq.ParquetFile(p).metadata.num_rows for *_, p in entity_partitions)
    for table, account, region, path in entity_partitions:
        data = pq.read_table(path)
        os.remove(path)  # written anew: its first version
        lake.write_partition(table, account, region, data, FIRST_SYNC)
    current_bytes = size_of(root) - size_of(Path(lake.history_base("")))
    print(f"benchmark lake: {args.accounts} accounts x {len(regions)} regions, {entities:,} entities in "
          f"{len(entity_partitions):,} partitions, {current_bytes / 2**20:.1f} MiB (generated in {generated:.0f} s)")
    compute_entity_changes(lake).write(lake)  # the first sync's: everything added

    rng = np.random.default_rng(args.seed)
    write_seconds = plain_seconds = changes_seconds = 0.0
    day_changes = 0
    for day in range(1, args.days):
        at = FIRST_SYNC + timedelta(days=day)
        tables = []
        day_changes = 0
        for table, account, region, path in entity_partitions:
            data, count = changed(pq.read_table(path), args.changed, day, rng)
            tables.append((table, account, region, data))
            day_changes += count
        started = time.perf_counter()
        for table, account, region, data in tables:
            lake.write_partition(table, account, region, data, at)
        write_seconds = time.perf_counter() - started
        plain = work / "plain"
        started = time.perf_counter()
        for number, (_, _, _, data) in enumerate(tables):
            target = plain / f"{number}.parquet"
            target.parent.mkdir(exist_ok=True)
            pq.write_table(data, target)
        plain_seconds = time.perf_counter() - started
        shutil.rmtree(plain)
        changes_seconds, batch = timed(lambda: compute_entity_changes(lake))
        batch.write(lake)
        if len(batch.rows) != day_changes:
            print(f"day {day}: {len(batch.rows)} changes computed, {day_changes} made", file=sys.stderr)
            return 1
    history_bytes = size_of(Path(lake.history_base("")))
    lake_bytes = size_of(root)
    copies = args.days * current_bytes
    print(f"after {args.days} daily syncs, {args.changed:.1%} of the entities changed a day:")
    print(f"  lake {lake_bytes / 2**20:.1f} MiB (current {current_bytes / 2**20:.1f} MiB, history "
          f"{history_bytes / 2**20:.1f} MiB, change batches {(lake_bytes - history_bytes - current_bytes) / 2**20:.1f}"
          f" MiB) against {args.days} full copies {copies / 2**20:.1f} MiB: {lake_bytes / copies:.1%}")
    print(f"  one day's sync writes {write_seconds:.1f} s with history, {plain_seconds:.1f} s as plain Parquet")
    print(f"  one day's entity changes ({day_changes:,}) computed in {changes_seconds:.2f} s")

    os.environ["AWS_ASSETS_CACHE"] = str(cache)
    open_lake(str(root))  # warms the snapshot cache
    warm, _ = timed(lambda: open_lake(str(root)).sql(QUERY).fetchall())
    os.environ["AWS_ASSETS_CACHE"] = str(work / "cold-cache")
    cold, _ = timed(lambda: open_lake(str(root)).sql(QUERY).fetchall())
    middle = FIRST_SYNC + timedelta(days=args.days // 2, hours=1)
    as_of, rows = timed(lambda: open_lake(str(root), as_of=middle).sql(QUERY).fetchall())
    total = sum(count for _, count in rows)
    print(f"  {QUERY!r}: current {warm:.2f} s (warm snapshot cache), {cold:.2f} s (cold); --as-of day "
          f"{args.days // 2} {as_of:.2f} s ({total:,} entities)")
    return 0 if total == entities else 1


if __name__ == "__main__":
    sys.exit(main())
