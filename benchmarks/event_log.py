"""Milliseconds and CPU per materialization written to a Dagster instance: Dagster's SQLite storage as it ships
against the storage aws-assets ships (aws_assets/defs/storage.py, selected by aws_assets/app/dagster.yaml).

Each storage runs in a fresh process on a fresh DAGSTER_HOME: one op logs N asset materializations (40 asset keys x
N/40 partitions, with metadata as small as a sync's), as `sync_accounts_op` does for every table it writes. Both
instances must then hold every materialization, or the run fails.

    .venv/bin/python benchmarks/event_log.py [--events 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
SHIPPED_YAML = HERE.parent.parent / "aws_assets" / "app" / "dagster.yaml"
DAGSTER_DEFAULT_YAML = "telemetry:\n  enabled: false\n"
ASSET_KEYS = 40


def measure(events: int, dagster_yaml: str) -> dict[str, float | int | str]:
    """In this process: log `events` materializations on a fresh instance configured by `dagster_yaml`."""
    import logging

    from dagster import AssetKey, AssetMaterialization, DagsterInstance, in_process_executor, job, op

    figures: dict[str, float | int | str] = {}

    @op
    def materialize(context) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        for i in range(events):
            context.log_event(AssetMaterialization(
                asset_key=f"aws_type_{i % ASSET_KEYS}", partition=f"{i // ASSET_KEYS:012d}|eu-west-1",
                metadata={"dagster/row_count": i, "aws/api_calls": 3, "lake/path": f"/lake/{i}.parquet"}))
        figures["ms_per_event"] = (time.perf_counter() - started) / events * 1000
        figures["cpu_ms_per_event"] = (time.process_time() - cpu_started) / events * 1000

    @job(executor_def=in_process_executor)
    def write_events() -> None:
        materialize()

    home = tempfile.mkdtemp(prefix="event-log-")
    Path(home, "dagster.yaml").write_text(dagster_yaml)
    os.environ["DAGSTER_HOME"] = home
    logging.getLogger("dagster").setLevel(logging.WARNING)
    with DagsterInstance.get() as instance:
        figures["storage"] = type(instance.event_log_storage).__name__
        assert write_events.execute_in_process(instance=instance).success
        stored = instance.fetch_materializations(AssetKey("aws_type_0"), limit=events).records
        figures["stored_of_one_key"] = len(stored)
    return figures


def run_in_child(events: int, dagster_yaml: str) -> dict:
    command = [sys.executable, str(HERE), "--child", "--events", str(events), "--yaml", dagster_yaml]
    completed = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--yaml", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.events, args.yaml)))
        return 0
    rows = [("Dagster's SQLite storage (baseline)", run_in_child(args.events, DAGSTER_DEFAULT_YAML)),
            ("aws-assets' dagster.yaml", run_in_child(args.events, SHIPPED_YAML.read_text()))]
    expected = -(-args.events // ASSET_KEYS)
    print(f"{args.events} materializations, one op, fresh DAGSTER_HOME each\n")
    print(f"{'':40s} {'storage class':42s} {'ms/event':>9s} {'CPU ms/event':>13s}")
    for label, figures in rows:
        print(f"{label:40s} {figures['storage']:42s} {figures['ms_per_event']:9.2f} "
              f"{figures['cpu_ms_per_event']:13.2f}")
        if figures["stored_of_one_key"] != expected:
            print(f"FAILED: {label} holds {figures['stored_of_one_key']} materializations of one key, not {expected}")
            return 1
    print(f"\nspeed-up: {rows[0][1]['ms_per_event'] / rows[1][1]['ms_per_event']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
