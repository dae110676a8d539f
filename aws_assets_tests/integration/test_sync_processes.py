"""The sync spread over processes, on a moto server: the same results and lake as one process, a process that dies
failing its own accounts alone and named, and a sync left early stopping every process with only whole partitions."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from aws_assets.aws.session import assume_role_session
from aws_assets.collection.limits import SyncLimits
from aws_assets.collection.processes import dumps, sync_accounts_in_processes, sync_processes
from aws_assets.inputs.instances import Instance
from aws_assets.lake.storage import Lake
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.model.settings import SettingError
from aws_assets.services.catalog import ENTITY_TYPES

REGIONS = ("eu-west-1", "us-west-2")
ACCOUNTS = ("220000000001", "220000000002", "220000000003")
LIMITS = SyncLimits(concurrency=4, partitions_per_account=2)


def instance(account: str) -> Instance:
    return Instance(f"arn:aws:iam::{account}:role/aws-assets-readonly", f"external-{account}", regions=REGIONS)


@pytest.fixture
def estate(moto_server):
    instances = [instance(account) for account in ACCOUNTS]
    for each in instances:
        session = assume_role_session(each)
        for region in REGIONS:
            session.client("ec2", region_name=region).create_vpc(CidrBlock="10.2.0.0/16")
        session.client("iam").create_user(UserName=f"user-{each.account_id}")
    return instances


def keys_by_table(lake: Lake) -> dict[str, list[str]]:
    return {table: sorted(lake.read_table(table).column("_key").to_pylist()) for table in sorted(lake.table_names())}


def written(results) -> set[tuple[str, str, str, int]]:
    return {(r.account_id, r.region, w.outcome.entity_type.type, w.rows) for r in results for w in r.written}


@pytest.mark.e2e  # whole syncs, each starting processes
def test_processes_give_the_results_and_the_lake_of_one_process(estate, tmp_path):
    spread, alone = Lake(str(tmp_path / "spread")), Lake(str(tmp_path / "alone"))
    spread_results = list(sync_accounts_in_processes(estate, spread, tmp_path / "locks", processes=2, limits=LIMITS))
    alone_results = list(sync_accounts_in_processes(estate, alone, tmp_path / "locks", processes=1, limits=LIMITS))

    partitions = {(a, r) for a in ACCOUNTS for r in (GLOBAL_REGION, *REGIONS)}
    assert sorted((r.account_id, r.region) for r in spread_results) == sorted(partitions)
    assert all(r.ok for r in spread_results), [r.errors for r in spread_results if not r.ok]
    assert written(spread_results) == written(alone_results)
    # The entity types came back by name, as the catalog's own objects.
    assert all(w.outcome.entity_type is ENTITY_TYPES[w.outcome.entity_type.type]
               for r in spread_results for w in r.written)
    assert keys_by_table(spread) == keys_by_table(alone)
    vpcs = spread.read_table("aws_vpc").to_pylist()
    assert {(v["accountId"], v["region"]) for v in vpcs} == {(a, r) for a in ACCOUNTS for r in REGIONS}
    assert multiprocessing.active_children() == []


def kill_when_started(name: str, killed: list[int]) -> None:
    """SIGKILL the process of that name as soon as it exists: it has reported nothing yet (it is still importing)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for child in multiprocessing.active_children():
            if child.name == name and child.pid:
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)
                return
        time.sleep(0.005)


@pytest.mark.e2e  # whole syncs, each starting processes
def test_a_process_that_dies_fails_its_accounts_alone_and_named(estate, tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    killed: list[int] = []
    killer = threading.Thread(target=kill_when_started, args=("sync-share-1", killed))
    killer.start()
    results = list(sync_accounts_in_processes(estate, lake, tmp_path / "locks", processes=2, limits=LIMITS))
    killer.join()
    assert killed
    # Shares are dealt in turn: the second process had the second account only.
    failed = [r for r in results if not r.ok]
    assert [(r.account_id, r.region) for r in failed] == [(ACCOUNTS[1], GLOBAL_REGION)]
    assert "exited with code -9" in failed[0].error and ACCOUNTS[1] in failed[0].error
    others = {(r.account_id, r.region) for r in results if r.ok}
    assert others == {(a, r) for a in (ACCOUNTS[0], ACCOUNTS[2]) for r in (GLOBAL_REGION, *REGIONS)}


@pytest.mark.e2e  # whole syncs, each starting processes
def test_leaving_the_loop_stops_every_process_and_leaves_whole_partitions(estate, tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    results = sync_accounts_in_processes(estate, lake, tmp_path / "locks", processes=2,
                                         limits=SyncLimits(concurrency=2, partitions_per_account=1))
    with pytest.raises(KeyboardInterrupt):
        for _ in results:
            raise KeyboardInterrupt  # what Ctrl-C does in the caller's loop
    results.close()  # as the caller's frame unwinding does
    assert multiprocessing.active_children() == []
    files = list(Path(lake.root).rglob("*.parquet"))
    assert files and all(pq.read_table(f) is not None for f in files)
    assert not [f for f in Path(lake.root).rglob("*") if f.is_file() and f.suffix != ".parquet"]
    again = list(sync_accounts_in_processes(estate, lake, tmp_path / "locks", processes=2, limits=LIMITS))
    assert len(again) == len(ACCOUNTS) * (1 + len(REGIONS)) and all(r.ok for r in again)


def test_the_setting_sets_the_processes_and_the_default_needs_accounts_to_share(monkeypatch):
    monkeypatch.setenv("AWS_ASSETS_SYNC_PROCESSES", "3")
    assert sync_processes(10) == 3
    assert sync_processes(2) == 2  # never more processes than accounts
    monkeypatch.setenv("AWS_ASSETS_SYNC_PROCESSES", "0")
    with pytest.raises(SettingError, match=r"AWS_ASSETS_SYNC_PROCESSES='0': expected a number of processes"):
        sync_processes(10)
    monkeypatch.delenv("AWS_ASSETS_SYNC_PROCESSES")
    assert sync_processes(3) == 1  # too few accounts for a process of their own
    assert sync_processes(1000) == max(1, min(len(os.sched_getaffinity(0)) - 1, 8))  # a core left for the events


def test_a_result_travels_with_its_entity_types_by_name():
    import pickle

    from aws_assets.aws.collect import Outcome
    from aws_assets.collection.partition import PartitionSync

    vpc = ENTITY_TYPES["aws_vpc"]
    result = PartitionSync("220000000001", "eu-west-1", failures=[Outcome(vpc, None, 1, 0.1, error="denied")])
    payload = dumps(result)
    assert b"entity_type_named" in payload and b"EntityType" not in payload
    assert pickle.loads(payload).failures[0].entity_type is vpc


def test_a_dead_process_fails_each_account_it_had_not_finished_saying_how_far_it_got():
    from aws_assets.collection.partition import PartitionSync
    from aws_assets.collection.processes import ReportedPartitions

    share = [instance(account) for account in ACCOUNTS]
    reported = ReportedPartitions()
    for region in (GLOBAL_REGION, *REGIONS):  # the first account finished
        reported.add(PartitionSync(ACCOUNTS[0], region, account_partitions=3))
    reported.add(PartitionSync(ACCOUNTS[1], GLOBAL_REGION, account_partitions=3))  # the second got one of three
    failed = reported.unfinished(share, "its collection process exited with code -9")
    assert [(r.account_id, r.region, r.cause) for r in failed] == [
        (ACCOUNTS[1], GLOBAL_REGION, "its collection process exited with code -9"),
        (ACCOUNTS[2], GLOBAL_REGION, "its collection process exited with code -9")]
    assert failed[0].error.endswith("exited with code -9 after 1 of its 3 partitions; the others were not collected")
    assert failed[1].error == f"{share[2].label}: its collection process exited with code -9"
