"""The parallel sync engine on a moto server: the same lake as a serial sync, limits held per account, one sync of
an account at a time, a failing account failing alone, and a stopped sync leaving only whole partitions."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from botocore.awsrequest import AWSResponse
from dagster import AssetKey, DagsterInstance

from aws_assets.aws.session import assume_role_session
from aws_assets.collection.access import open_collection
from aws_assets.collection.engine import DEFAULT_LIMITS, sync_accounts
from aws_assets.collection.limits import SyncLimits
from aws_assets.collection.partition import PartitionSync
from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.sync import sync
from aws_assets.inputs.instances import Instance
from aws_assets.inputs.registry import save_registry
from aws_assets.lake.storage import Lake
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets_tests.conftest import RawBody, reset_moto
from aws_assets_tests.faults import moto_fault_layer, serve_in_thread

REGIONS = ("eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2", "eu-central-1")
ACCOUNTS = ("210000000001", "210000000002", "210000000003", "210000000004")
SERIAL = SyncLimits(concurrency=1, partitions_per_account=1)


def instance(account: str) -> Instance:
    return Instance(f"arn:aws:iam::{account}:role/aws-assets-readonly", f"external-{account}", regions=REGIONS)


@pytest.fixture
def estate(moto_server):
    """A VPC with a subnet in every region of every account, seeded from one thread (moto's writes are not
    thread-safe)."""
    instances = [instance(account) for account in ACCOUNTS]
    for each in instances:
        session = assume_role_session(each)
        for region in REGIONS:
            ec2 = session.client("ec2", region_name=region)
            vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
            ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")
    return instances


def run(instances, lake: Lake, tmp_path: Path, limits: SyncLimits = DEFAULT_LIMITS, **options) -> list[PartitionSync]:
    return list(sync_accounts(instances, lake, tmp_path / "locks", limits=limits, **options))


def keys_by_table(lake: Lake) -> dict[str, list[str]]:
    return {table: sorted(lake.read_table(table).column("_key").to_pylist()) for table in sorted(lake.table_names())}


def peak_overlap(results: list[PartitionSync]) -> int:
    """The most partitions running at once, from the engine's record of each partition's start and finish."""
    edges = sorted([(r.started, 1) for r in results] + [(r.finished, -1) for r in results])
    peak = running = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_a_parallel_sync_writes_the_same_lake_as_a_serial_one(estate, tmp_path):
    parallel, serial = Lake(str(tmp_path / "parallel")), Lake(str(tmp_path / "serial"))
    parallel_results = run(estate, parallel, tmp_path, SyncLimits(concurrency=4, partitions_per_account=3))
    serial_results = run(estate, serial, tmp_path, SERIAL)

    partitions = {(a, r) for a in ACCOUNTS for r in (GLOBAL_REGION, *REGIONS)}
    assert {(r.account_id, r.region) for r in parallel_results} == partitions
    assert len(parallel_results) == len(partitions)
    assert all(r.ok for r in parallel_results + serial_results)
    assert keys_by_table(parallel) == keys_by_table(serial)
    vpcs = parallel.read_table("aws_vpc").to_pylist()
    assert sorted({(v["accountId"], v["region"]) for v in vpcs}) == sorted((a, r) for a in ACCOUNTS for r in REGIONS)
    assert sum(r.calls_by_operation()["ec2:DescribeVpcs"] for r in parallel_results) == len(ACCOUNTS) * len(REGIONS)


def test_an_account_runs_at_most_its_limit_of_partitions_at_once(estate, tmp_path):
    results = run(estate, Lake(str(tmp_path / "lake")), tmp_path, SyncLimits(concurrency=4, partitions_per_account=2))
    assert len(results) == len(ACCOUNTS) * (1 + len(REGIONS))
    for account in ACCOUNTS:
        assert peak_overlap([r for r in results if r.account_id == account]) <= 2


def test_two_syncs_of_one_account_never_overlap(estate, tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    both: list[list[PartitionSync]] = [[], []]

    def one_sync(index: int) -> None:
        both[index] = run(estate[:1], lake, tmp_path, SyncLimits(partitions_per_account=3))

    threads = [threading.Thread(target=one_sync, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = sorted(both, key=lambda results: min(r.started for r in results))
    assert len(first) == len(second) == 1 + len(REGIONS)
    assert all(r.ok for r in first + second)
    assert max(r.finished for r in first) <= min(r.started for r in second)


def test_an_account_whose_lock_is_held_is_skipped_by_name_and_the_others_sync(estate, tmp_path):
    from aws_assets.collection.locks import account_lock

    with account_lock(tmp_path / "locks", ACCOUNTS[0], wait_seconds=1):
        results = run(estate[:2], Lake(str(tmp_path / "lake")), tmp_path, SyncLimits(lock_wait_seconds=0))
    [skipped] = [r for r in results if not r.ok]
    assert skipped.account_id == ACCOUNTS[0]
    assert skipped.errors == [f"account {ACCOUNTS[0]}: skipped, another sync of it still ran after 0s"]
    assert {r.account_id for r in results if r.ok} == {ACCOUNTS[1]}
    assert len([r for r in results if r.ok]) == 1 + len(REGIONS)


def deny_ec2(failing: Instance) -> None:
    """Every EC2 call of the failing account is refused, as an SCP would refuse it: registered on the account's
    session, whose clients copy its handlers when they are created."""

    def refuse(request, **_):
        body = (b'<?xml version="1.0"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied'
                b'</Message></Error></Errors></Response>')
        return AWSResponse(request.url, 403, {}, RawBody(body))

    open_collection(failing, GLOBAL_REGION, None).session._session.register("before-send.ec2.*", refuse)


def test_a_failing_account_fails_alone_and_named_and_the_others_are_written(estate, tmp_path):
    failing = Instance("arn:aws:iam::219999999999:role/aws-assets-readonly", "external-failing", regions=REGIONS)
    deny_ec2(failing)
    lake = Lake(str(tmp_path / "lake"))
    results = run([failing, *estate[:2]], lake, tmp_path)

    failed = [r for r in results if not r.ok]
    assert {(r.account_id, r.region) for r in failed} == {(failing.account_id, region) for region in REGIONS}
    assert all("UnauthorizedOperation" in " ".join(r.errors) for r in failed)
    assert all(r.ok for r in results if r.account_id != failing.account_id)
    vpc_accounts = {row["accountId"] for row in lake.read_table("aws_vpc").to_pylist()}
    assert vpc_accounts == set(ACCOUNTS[:2])
    # Its account-wide partition (IAM, the account) does not call EC2 and is written.
    assert failing.account_id in lake.read_table("aws_account").column("accountId").to_pylist()


def test_a_stopped_sync_leaves_only_whole_partitions_and_the_next_sync_completes(estate, tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    stop = threading.Event()
    finished = []
    for result in sync_accounts(estate, lake, tmp_path / "locks", limits=SyncLimits(concurrency=2,
                                partitions_per_account=2), stop=stop):
        finished.append(result)
        stop.set()  # what Ctrl-C does: the partitions running finish, no new one starts
    total = len(ACCOUNTS) * (1 + len(REGIONS))
    assert 1 <= len(finished) < total
    every_file = [f for f in Path(lake.root).rglob("*") if f.is_file()]
    assert every_file and all(f.suffix == ".parquet" for f in every_file)
    for file in every_file:
        pq.read_table(file)  # readable, the history's versions too: every write is whole or absent
    # Nothing but the finished partitions' tables: no partition was left half done.
    files = [f for table in lake.table_names() for f in (Path(lake.root) / table).rglob("*") if f.is_file()]
    assert {str(f) for f in files} == {w.path for r in finished for w in r.written}

    again = run(estate, lake, tmp_path)
    assert len(again) == total and all(r.ok for r in again)


def test_leaving_the_results_loop_stops_the_sync(estate, tmp_path):
    """Ctrl-C in the caller raises KeyboardInterrupt in its loop: the generator closes, and the sync stops."""
    lake = Lake(str(tmp_path / "lake"))
    results = sync_accounts(estate, lake, tmp_path / "locks", limits=SyncLimits(concurrency=1,
                            partitions_per_account=1))
    with pytest.raises(KeyboardInterrupt):
        for _ in results:
            raise KeyboardInterrupt
    written = list(Path(lake.root).rglob("*.parquet"))
    assert written and all(pq.read_table(f) is not None for f in written)
    assert len(run(estate, lake, tmp_path)) == len(ACCOUNTS) * (1 + len(REGIONS))


def test_the_sync_job_records_every_partition_and_fails_naming_the_failed_ones(estate, tmp_path):
    failing = Instance("arn:aws:iam::218888888888:role/aws-assets-readonly", "external-failing-2", regions=REGIONS)
    deny_ec2(failing)
    registry = tmp_path / "instances.json"
    save_registry(registry, {i.account_id: i for i in [failing, *estate[:2]]})
    defs = build_definitions(instances_file=str(registry), lake_root=str(tmp_path / "lake"))
    with DagsterInstance.ephemeral() as dagster_instance:
        report = sync([failing, *estate[:2]], defs, dagster_instance, concurrency=3)
        vpc_partitions = dagster_instance.get_materialized_partitions(AssetKey("aws_vpc"))
        account_partitions = dagster_instance.get_materialized_partitions(AssetKey("aws_account"))
        [run_record] = [r for r in dagster_instance.get_runs() if r.job_name == "sync"]
        failure = [e for e in dagster_instance.all_logs(run_record.run_id) if e.dagster_event
                   and e.dagster_event.is_step_failure][0].dagster_event.step_failure_data.user_failure_data
    assert vpc_partitions == {f"{a}|{r}" for a in ACCOUNTS[:2] for r in REGIONS}
    assert account_partitions == {failing.account_id, *ACCOUNTS[:2]}
    assert not report.ok
    assert {(f.account_id, f.region) for f in report.failures} == {(failing.account_id, r) for r in REGIONS}
    assert failure.description.startswith(f"{len(REGIONS)} partition(s) failed: ")
    for region in REGIONS:
        assert f"{failing.account_id} {region}: aws_" in failure.description
    assert report.graph is not None and report.graph.ok


@pytest.fixture
def throttling_server(aws_env, monkeypatch):
    """moto behind the fault layer, which throttles every third request of the account the test names."""
    layer = moto_fault_layer()
    server, endpoint = serve_in_thread(layer)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    reset_moto(endpoint)
    yield layer
    reset_moto(endpoint)
    server.shutdown()


def test_a_throttled_account_does_not_hold_up_the_others(throttling_server, tmp_path):
    throttled, other = (Instance(f"arn:aws:iam::{account}:role/aws-assets-readonly", f"external-{account}",
                                 regions=("us-east-1",)) for account in ACCOUNTS[:2])
    throttling_server.configure(throttle=1 / 3, throttled_accounts=[throttled.account_id])
    results = run([throttled, other], Lake(str(tmp_path / "lake")), tmp_path)

    assert all(r.ok for r in results), [r.errors for r in results]
    arrivals = throttling_server.arrivals
    throttled_requests = [i for i, account in enumerate(arrivals) if account == throttled.account_id]
    other_requests = [i for i, account in enumerate(arrivals) if account == other.account_id]
    # The other account, listed second, is done while the throttled one still waits out its backoffs.
    assert other_requests[-1] < throttled_requests[-1]
    finished = {account: max(r.finished for r in results if r.account_id == account)
                for account in (throttled.account_id, other.account_id)}
    assert finished[other.account_id] < finished[throttled.account_id]
    by_account = {account: sum(sum(r.throttled.values()) for r in results if r.account_id == account)
                  for account in (throttled.account_id, other.account_id)}
    assert by_account[other.account_id] == 0
    assert by_account[throttled.account_id] > 0
