"""The instance storage the shipped dagster.yaml selects (aws_assets/defs/storage.py) keeps every event, across
more runs than it keeps databases open, through a run's deletion and a wipe."""

import shutil

from dagster import AssetKey, AssetMaterialization, DagsterInstance, in_process_executor, job, op

from aws_assets.app.cli import DAGSTER_YAML
from aws_assets.defs.storage import OPEN_DATABASES, SqliteEventLogStorageWithOpenConnections

PER_RUN = 15


@op
def materialize(context) -> None:
    for i in range(PER_RUN):
        context.log_event(AssetMaterialization(asset_key="aws_s3_bucket", partition=f"{i:012d}"))


@job(executor_def=in_process_executor)
def write_events() -> None:
    materialize()


def test_every_event_of_every_run_is_kept_and_read_back(tmp_path, monkeypatch):
    shutil.copy(str(DAGSTER_YAML), tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, SqliteEventLogStorageWithOpenConnections)
        runs = [write_events.execute_in_process(instance=instance).run_id for _ in range(OPEN_DATABASES + 3)]
        for run_id in runs:  # the first runs' databases were closed to keep OPEN_DATABASES open: reopened to read
            materialized = [e for e in instance.all_logs(run_id) if e.dagster_event_type
                            and e.dagster_event_type.value == "ASSET_MATERIALIZATION"]
            assert len(materialized) == PER_RUN
        records = instance.fetch_materializations(AssetKey("aws_s3_bucket"), limit=1000).records
        assert len(records) == PER_RUN * len(runs)

        instance.delete_run(runs[0])
        assert instance.all_logs(runs[0]) == []
        assert len(instance.fetch_materializations(AssetKey("aws_s3_bucket"), limit=1000).records) == (
            PER_RUN * (len(runs) - 1))

        instance.wipe()
        assert instance.fetch_materializations(AssetKey("aws_s3_bucket"), limit=1000).records == []
        after = write_events.execute_in_process(instance=instance).run_id
        assert len(instance.fetch_materializations(AssetKey("aws_s3_bucket"), limit=1000).records) == PER_RUN
        assert len([e for e in instance.all_logs(after) if e.is_dagster_event]) > PER_RUN
