"""What the region dimension costs a sync of the simulated organisation: the regions the accounts collect (the
dynamic `regions` dimension of today) against every commercial region as a partition, the regions an account does
not collect materialized as empty partitions with a note (what a static dimension needs to show nothing missing).

    .venv/bin/python benchmarks/region_partitions.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(variable, None)

from dagster import DagsterInstance  # noqa: E402

from aws_assets.defs.definitions import build_definitions  # noqa: E402
from aws_assets.defs.jobs import SYNC_JOB  # noqa: E402
from aws_assets.defs.sync import QUIET  # noqa: E402
from aws_assets.model.regions import commercial_regions  # noqa: E402
from aws_assets.sim.organisation import seed, start_moto_server  # noqa: E402


def main() -> int:
    server, endpoint = start_moto_server()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    org = seed(endpoint)
    ok = True
    try:
        for label, extra_regions in [("the regions the accounts collect", []),
                                     ("every commercial region", list(commercial_regions()))]:
            with tempfile.TemporaryDirectory() as work:
                instances_file = org.write_instances_file(Path(work) / "instances.json")
                defs = build_definitions(instances_file=str(instances_file), lake_root=str(Path(work) / "lake"))
                run_config = {**QUIET, "ops": {"sync_accounts_op": {"config": {"extra_regions": extra_regions}}}}
                with DagsterInstance.ephemeral() as instance:
                    started = time.monotonic()
                    result = defs.resolve_job_def(SYNC_JOB).execute_in_process(
                        instance=instance, run_config=run_config, raise_on_error=False)
                    seconds = time.monotonic() - started
                materializations = sum(1 for event in result.all_events if event.is_step_materialization
                                       or event.event_type_value == "ASSET_MATERIALIZATION")
                files = sum(1 for _ in (Path(work) / "lake").rglob("*.parquet"))
                ok = ok and result.success
                print(f"{label}: {'ok' if result.success else 'FAILED'}, {seconds:.1f}s, {materializations} "
                      f"materializations, {files} Parquet files")
    finally:
        server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
