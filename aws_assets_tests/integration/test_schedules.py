"""The sync schedules and the shipped dagster.yaml's concurrency limits."""

import datetime
import shutil

import pytest
from dagster import DagsterInstance, build_schedule_context

from aws_assets.app.cli import DAGSTER_YAML
from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.jobs import ACCOUNT_TAG
from aws_assets.defs.schedules import ScheduleError, build_sync_schedules
from aws_assets.inputs.instances import Instance
from aws_assets.inputs.registry import save_registry
from aws_assets.model.settings import SYNC_SCHEDULE

pytestmark = pytest.mark.filterwarnings("ignore:Non-compliant tag keys:DeprecationWarning")

PROD, DEV = "111111111111", "222222222222"
TICK = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture
def registered(tmp_path):
    registry = tmp_path / "instances.json"
    save_registry(registry, {
        PROD: Instance(f"arn:aws:iam::{PROD}:role/ro", "prod-external-id", "prod", ("eu-west-1", "us-east-1")),
        DEV: Instance(f"arn:aws:iam::{DEV}:role/ro", "dev-external-id"),
    })
    return registry


def evaluate(defs, instance, name):
    # Entered, as the daemon enters it: the context's resources are then torn down with it.
    with build_schedule_context(instance=instance, scheduled_execution_time=TICK, resources=defs.resources,
                                repository_def=defs.get_repository_def()) as context:
        return defs.resolve_schedule_def(name).evaluate_tick(context)


def test_schedule_resyncs_every_registered_instance_and_adds_missing_partitions(registered, tmp_path,
                                                                               dagster_instances):
    defs = build_definitions(instances_file=str(registered), lake_root=str(tmp_path / "lake"))
    with dagster_instances() as instance:
        instance.add_dynamic_partitions("accounts", [PROD])  # DEV was written into the file by hand
        result = evaluate(defs, instance, "sync")
        assert sorted(instance.get_dynamic_partitions("accounts")) == [PROD, DEV]

    # One run of the sync job per account, tagged with it: dagster.yaml keeps an account's runs apart.
    assert [(r.job_name, r.run_config["ops"]["sync_accounts_op"]["config"]["entries"], r.tags[ACCOUNT_TAG])
            for r in result.run_requests] == [("sync", [PROD], PROD), ("sync", [DEV], DEV)]
    assert {r.tags["aws_assets/trigger"] for r in result.run_requests} == {"schedule"}
    # One run per account and tick: a retried tick launches nothing twice, the next tick runs again.
    assert [r.run_key for r in result.run_requests] == [f"2026-12-01T02:00:{PROD}", f"2026-12-01T02:00:{DEV}"]
    assert "prod-external-id" not in repr(result)


def test_no_instances_is_a_skip(tmp_path, dagster_instances):
    defs = build_definitions(instances_file=str(tmp_path / "absent.json"), lake_root=str(tmp_path / "lake"))
    with dagster_instances() as instance:
        result = evaluate(defs, instance, "sync")
    assert result.run_requests == []
    assert result.skip_message == f"no integration instances registered in {tmp_path / 'absent.json'}"


def test_cadence_comes_from_the_environment(monkeypatch, tmp_path):
    assert {s.cron_schedule for s in build_definitions().schedules} == {SYNC_SCHEDULE.default}
    monkeypatch.setenv("AWS_ASSETS_SYNC_SCHEDULE", "*/30 * * * *")
    defs = build_definitions(instances_file=str(tmp_path / "i.json"))
    assert {s.name: s.cron_schedule for s in defs.schedules} == {"sync": "*/30 * * * *"}


@pytest.mark.parametrize("cron", ["every day", "0 2 * *", "61 * * * *"])
def test_invalid_cadence_is_a_clear_error_at_load(monkeypatch, cron):
    monkeypatch.setenv("AWS_ASSETS_SYNC_SCHEDULE", cron)
    with pytest.raises(ScheduleError) as error:
        build_definitions()
    assert str(error.value) == (f"AWS_ASSETS_SYNC_SCHEDULE={cron!r} is not a cron schedule: five fields, "
                                "e.g. '0 2 * * *' (daily at 02:00 UTC)")
    with pytest.raises(ScheduleError):
        build_sync_schedules(cron)


def test_shipped_dagster_yaml_limits_runs_globally_and_per_account(tmp_path, monkeypatch):
    shutil.copy(DAGSTER_YAML, tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # the shipped storage lives in $DAGSTER_HOME, as Dagster's does
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        queue = instance.get_concurrency_config().run_queue_config
        coordinator = type(instance.run_coordinator).__name__
    assert queue.max_concurrent_runs == 4
    assert queue.tag_concurrency_limits == [
        {"key": "aws_assets/account", "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
        {"key": "dagster/partition/account", "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
    ]
    assert coordinator == "QueuedRunCoordinator"
