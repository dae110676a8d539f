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


def _last_materializations(instance: DagsterInstance) -> list[tuple[str, str | None, str | None]]:
    """Per asset key, what the asset-key table says of its last materialization: run, partition."""
    records = instance.get_asset_records([AssetKey("aws_s3_bucket"), AssetKey("aws_iam_role")])
    return sorted((record.asset_entry.asset_key.to_user_string(), record.asset_entry.last_run_id,
                   record.asset_entry.last_materialization.dagster_event.partition) for record in records)


@op
def materialize_two_keys(context) -> None:
    for key in ("aws_s3_bucket", "aws_iam_role", "aws_s3_bucket"):
        context.log_event(AssetMaterialization(asset_key=key, partition=f"{context.run_id[:8]}-{key}",
                                               tags={"dagster/data_version": context.run_id[:8]}))


@job(executor_def=in_process_executor)
def write_two_keys() -> None:
    materialize_two_keys()


def test_the_asset_key_table_says_what_dagsters_own_storage_says(tmp_path, monkeypatch):
    """The asset's row is updated in place (an asset seen before) or inserted (a new one), as Dagster's upsert
    does; every event's tags are kept; and the tables and columns are still known after a wipe."""
    said = {}
    for name, yaml in (("ours", DAGSTER_YAML.read_text()), ("dagster's", "telemetry:\n  enabled: false\n")):
        home = tmp_path / name
        home.mkdir()
        (home / "dagster.yaml").write_text(yaml)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with DagsterInstance.get() as instance:
            runs = [write_two_keys.execute_in_process(instance=instance).run_id for _ in range(2)]
            last = _last_materializations(instance)
            assert last == sorted([("aws_iam_role", runs[1], f"{runs[1][:8]}-aws_iam_role"),
                                   ("aws_s3_bucket", runs[1], f"{runs[1][:8]}-aws_s3_bucket")])
            said[name] = [(key, runs.index(run), partition.split("-", 1)[1]) for key, run, partition in last]
            tags = instance.event_log_storage.get_event_tags_for_asset(AssetKey("aws_s3_bucket"))
            assert sorted(t["dagster/data_version"] for t in tags) == sorted(run[:8] for run in runs for _ in "ab")
            instance.wipe()
            again = write_two_keys.execute_in_process(instance=instance).run_id
            assert {run for _, run, _ in _last_materializations(instance)} == {again}
    assert said["ours"] == said["dagster's"]
