"""The `instance_events` sensor on a real Dagster instance: registry, accounts partitions and run requests of each
tick, moved and rejected events, idempotence, and no external ID anywhere an operator or a run can see it."""

from __future__ import annotations

import json
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import boto3
import pyarrow as pa
import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    Definitions,
    DeleteDynamicPartitionsRequest,
    build_sensor_context,
)

from aws_assets.defs.definitions import build_definitions
from aws_assets.inputs.instances import Instance
from aws_assets.inputs.registry import load_registry
from aws_assets.lake.storage import Lake

# Dagster warns about the dimension tags it sets itself on every account x region run (`dagster/partition/region`).
pytestmark = pytest.mark.filterwarnings("ignore:Non-compliant tag keys:DeprecationWarning")

PROD, DEV = "111111111111", "222222222222"
PROD_ROLE = f"arn:aws:iam::{PROD}:role/aws-assets-readonly"
DEV_ROLE = f"arn:aws:iam::{DEV}:role/aws-assets-readonly"
SECRET = "prod-s3cr3t-external-id"
DEV_SECRET = "dev-s3cr3t-external-id"


@dataclass
class Estate:
    defs: Definitions
    instance: DagsterInstance
    inbox: Path
    registry: Path
    lake: Lake

    def drop(self, name: str, event: dict | str) -> None:
        (self.inbox / name).write_text(event if isinstance(event, str) else json.dumps(event))

    def tick(self):
        """One sensor evaluation, then what the daemon does with its partition requests."""
        # Entered, as the daemon enters it: the context's resources are then torn down with it.
        with build_sensor_context(
            instance=self.instance, instance_ref=self.instance.get_ref(), definitions=self.defs,
            resources=self.defs.resources,
        ) as context:
            result = self.defs.resolve_sensor_def("instance_events").evaluate_tick(context)
        for request in result.dynamic_partitions_requests or []:
            if isinstance(request, AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    self.instance.delete_dynamic_partition(request.partitions_def_name, key)
        return result

    @property
    def accounts(self) -> list[str]:
        return sorted(self.instance.get_dynamic_partitions("accounts"))

    def inbox_files(self, folder: str = "") -> list[str]:
        directory = self.inbox / folder
        return sorted(p.name for p in directory.iterdir() if p.is_file()) if directory.exists() else []


@pytest.fixture(scope="module")
def definitions(tmp_path_factory) -> tuple[Path, Definitions]:
    """The definitions over the estates' folder, built once for the module (0.2 s each): the sensor keeps nothing
    between ticks but what is in the folder and the Dagster instance, which every estate has afresh."""
    folder = tmp_path_factory.mktemp("estate")
    return folder, build_definitions(instances_file=str(folder / "instances.json"), lake_root=str(folder / "lake"),
                                     inbox=str(folder / "inbox"))


@pytest.fixture
def estate(definitions, dagster_instances):
    folder, defs = definitions
    shutil.rmtree(folder)  # what the last test left: its inbox, registry and lake
    (folder / "inbox").mkdir(parents=True)
    with dagster_instances() as instance:
        yield Estate(defs, instance, folder / "inbox", folder / "instances.json", Lake(str(folder / "lake")))


def create(role=PROD_ROLE, secret=SECRET, **fields) -> dict:
    return {"action": "create", "roleArn": role, "externalId": secret, **fields}


def runs(result) -> list[tuple[str, str | None, tuple[str, ...]]]:
    """(job, account tag, regions synced besides the instance's own) of each requested run."""
    return [(r.job_name, r.tags.get("aws_assets/account"),
             tuple(r.run_config["ops"]["sync_accounts_op"]["config"]["extra_regions"]) if r.run_config else ())
            for r in result.run_requests]


def sync_runs(account: str, dropped_regions=()) -> list[tuple[str, str, tuple[str, ...]]]:
    """One run of the sync job for the account; a region dropped from its list is synced once more."""
    return [("sync", account, tuple(dropped_regions))]


def test_new_instance_is_registered_partitioned_and_synced_in_the_same_tick(estate):
    estate.drop("prod.json", create(name="prod", regions=["us-east-1", "eu-west-1"], accountId=PROD))
    result = estate.tick()

    assert load_registry(estate.registry) == {PROD: Instance(PROD_ROLE, SECRET, "prod", ("eu-west-1", "us-east-1"))}
    assert stat.S_IMODE(estate.registry.stat().st_mode) == 0o600
    assert result.dynamic_partitions_requests == [AddDynamicPartitionsRequest("accounts", [PROD])]
    assert estate.accounts == [PROD]
    assert runs(result) == sync_runs(PROD)
    for request in result.run_requests:
        assert request.tags["aws_assets/trigger"] == "instance_event"
        assert request.run_config["ops"]["sync_accounts_op"]["config"]["entries"] == [PROD]
    assert estate.inbox_files() == []
    assert estate.inbox_files("processed") == ["prod.json"]
    assert json.loads((estate.inbox / "processed" / "prod.json").read_text())["externalId"] == "<redacted>"


def test_instance_without_regions_requests_every_commercial_region(estate):
    estate.drop("dev.json", create(role=DEV_ROLE, secret=DEV_SECRET))
    result = estate.tick()
    # The run learns the enabled regions itself (DescribeRegions): nothing extra is requested.
    assert runs(result) == sync_runs(DEV)


def test_same_event_twice_changes_nothing_in_one_tick_or_the_next(estate):
    event = create(name="prod", regions=["eu-west-1"])
    estate.drop("a.json", event)
    estate.drop("b.json", event)
    first = estate.tick()
    assert runs(first) == sync_runs(PROD)
    registry_text = estate.registry.read_text()

    estate.drop("c.json", {**event, "action": "update"})
    second = estate.tick()
    assert second.run_requests == []
    assert not second.dynamic_partitions_requests
    assert estate.registry.read_text() == registry_text
    assert estate.accounts == [PROD]
    assert estate.inbox_files("processed") == ["a.json", "b.json", "c.json"]


def test_update_resyncs_the_new_regions_and_the_dropped_ones(estate):
    estate.drop("1.json", create(name="prod", regions=["eu-west-1", "us-east-1"]))
    estate.tick()
    estate.drop("2.json", create(action="update", name="prod", regions=["us-east-1", "ap-southeast-2"]))
    result = estate.tick()

    assert load_registry(estate.registry)[PROD].regions == ("ap-southeast-2", "us-east-1")
    # eu-west-1 is synced once more, so that its partitions become empty with a note instead of keeping old rows.
    assert runs(result) == sync_runs(PROD, dropped_regions=["eu-west-1"])
    assert not result.dynamic_partitions_requests


def test_update_of_the_external_id_alone_resyncs(estate):
    estate.drop("1.json", create(regions=["eu-west-1"]))
    estate.tick()
    estate.drop("2.json", create(action="update", secret="a-new-external-id", regions=["eu-west-1"]))
    result = estate.tick()
    assert load_registry(estate.registry)[PROD].external_id == "a-new-external-id"
    assert runs(result) == sync_runs(PROD)


def write_partitions(lake: Lake, *accounts: str) -> None:
    table = pa.table({"_key": ["k"]})
    for account in accounts:
        lake.write_partition("aws_vpc", account, "eu-west-1", table)
        lake.write_partition("aws_iam_role", account, None, table)


def test_delete_removes_the_instance_and_its_partitions_and_keeps_its_data(estate, capfd):
    estate.drop("prod.json", create(regions=["eu-west-1"]))
    estate.drop("dev.json", create(role=DEV_ROLE, secret=DEV_SECRET, regions=["eu-west-1"]))
    estate.tick()
    write_partitions(estate.lake, PROD, DEV)
    capfd.readouterr()

    estate.drop("delete-prod.json", {"action": "delete", "roleArn": PROD_ROLE})
    result = estate.tick()

    assert list(load_registry(estate.registry)) == [DEV]
    assert result.dynamic_partitions_requests == [DeleteDynamicPartitionsRequest("accounts", [PROD])]
    assert estate.accounts == [DEV]
    assert result.run_requests == []
    assert len(estate.lake.partition_files("aws_vpc")) == 2
    log = capfd.readouterr().err
    assert (f"delete-prod.json: deleted account {PROD} from the registry and the accounts partitions; its data stays "
            f"in the lake {estate.lake.url}") in log

    estate.drop("again.json", {"action": "delete", "accountId": PROD})
    again = estate.tick()
    assert (again.run_requests, again.dynamic_partitions_requests) == ([], [])
    assert f"again.json: account {PROD} is not registered" in capfd.readouterr().err


def test_delete_with_purge_data_removes_its_data_and_rebuilds_the_graph(estate):
    estate.drop("prod.json", create(regions=["eu-west-1"]))
    estate.drop("dev.json", create(role=DEV_ROLE, secret=DEV_SECRET, regions=["eu-west-1"]))
    estate.tick()
    write_partitions(estate.lake, PROD, DEV)

    estate.drop("delete-prod.json", {"action": "delete", "roleArn": PROD_ROLE, "purgeData": True})
    result = estate.tick()

    assert estate.lake.partition_files("aws_vpc") == [estate.lake.partition_path("aws_vpc", DEV, "eu-west-1")]
    assert estate.lake.partition_files("aws_iam_role") == [estate.lake.partition_path("aws_iam_role", DEV)]
    assert [r.job_name for r in result.run_requests] == ["build_graph"]
    assert estate.accounts == [DEV]


def test_create_then_delete_in_one_tick_requests_nothing(estate):
    estate.drop("1.json", create(regions=["eu-west-1"]))
    estate.drop("2.json", {"action": "delete", "roleArn": PROD_ROLE})
    result = estate.tick()
    assert (result.run_requests, result.dynamic_partitions_requests) == ([], [])
    assert load_registry(estate.registry) == {}
    assert estate.accounts == []


def test_delete_then_create_again_syncs_again(estate):
    estate.drop("1.json", create(regions=["eu-west-1"]))
    estate.tick()
    estate.drop("2.json", {"action": "delete", "roleArn": PROD_ROLE})
    estate.tick()
    estate.drop("3.json", create(regions=["eu-west-1"]))
    result = estate.tick()
    assert runs(result) == sync_runs(PROD)
    assert estate.accounts == [PROD]


GOOD = create(role=DEV_ROLE, secret=DEV_SECRET, regions=["eu-west-1"])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"action": "create", "roleArn": ', "bad.json:1:33: not valid JSON: Expecting value"),
        (create(role="arn:aws:iam::1234:role/x"), "bad.json: field 'roleArn' 'arn:aws:iam::1234:role/x' is not an IAM "
         "role ARN (arn:aws:iam::<12-digit account>:role/<name>)"),
        ({"action": "create", "roleArn": PROD_ROLE}, "bad.json: field 'externalId' is missing"),
        (create(accountId=DEV), f"bad.json: field 'accountId' {DEV} is not the account of roleArn {PROD_ROLE} "
         f"({PROD})"),
        (create(action="enable"), "bad.json: field 'action' is 'enable'; expected one of create, update, delete"),
        (create(region="eu-west-1"), "bad.json: unknown field(s) ['region']"),
    ],
    ids=["bad-json", "bad-arn", "missing-external-id", "mismatched-account", "unknown-action", "unknown-field"],
)
def test_malformed_event_is_rejected_with_its_reason_and_the_good_one_still_syncs(estate, capfd, body, reason):
    estate.drop("bad.json", body)
    estate.drop("good.json", GOOD)
    result = estate.tick()

    assert runs(result) == sync_runs(DEV)
    assert list(load_registry(estate.registry)) == [DEV]
    assert estate.accounts == [DEV]
    assert estate.inbox_files() == []
    assert estate.inbox_files("processed") == ["good.json"]
    assert estate.inbox_files("rejected") == ["bad.json", "bad.json.reason.txt"]
    recorded = (estate.inbox / "rejected" / "bad.json.reason.txt").read_text()
    assert recorded.startswith(reason)
    assert f"rejected {recorded.strip()}" in capfd.readouterr().err
    # the rejected event is kept as it came, to be fixed and dropped back
    assert (estate.inbox / "rejected" / "bad.json").read_text() == (
        body if isinstance(body, str) else json.dumps(body))


def test_delete_naming_another_role_is_rejected_and_deletes_nothing(estate):
    estate.drop("1.json", create(regions=["eu-west-1"]))
    estate.tick()
    estate.drop("2.json", {"action": "delete", "roleArn": f"arn:aws:iam::{PROD}:role/something-else"})
    result = estate.tick()
    assert list(load_registry(estate.registry)) == [PROD]
    assert estate.accounts == [PROD]
    assert not result.dynamic_partitions_requests
    assert "is registered with role" in (estate.inbox / "rejected" / "2.json.reason.txt").read_text()


def test_external_id_appears_in_no_log_run_request_or_record(estate, capfd):
    estate.drop("prod.json", create(name="prod"))
    estate.drop("bad.json", create(role=DEV_ROLE, secret=DEV_SECRET, accountId=PROD))
    estate.drop("odd.json", create(role=DEV_ROLE, secret="not allowed " + DEV_SECRET))
    result = estate.tick()
    assert runs(result) == sync_runs(PROD)

    log = capfd.readouterr()
    visible = [log.out, log.err, repr(result)]
    visible += [json.dumps([r.tags, r.run_config, r.run_key], default=str) for r in result.run_requests]
    visible += [p.read_text() for p in (estate.inbox / "processed").iterdir()]
    visible += [p.read_text() for p in (estate.inbox / "rejected").iterdir() if p.name.endswith(".reason.txt")]
    for secret in (SECRET, DEV_SECRET):
        assert not [text for text in visible if secret in text]
    assert "rejected odd.json: field 'externalId' must be" in log.err
    assert SECRET in estate.registry.read_text()  # the registry is the one place that holds it


def test_registered_but_unpartitioned_account_is_synced_when_its_event_comes_back(estate):
    """What a tick that died after writing the registry leaves behind: the event, back, requests the runs."""
    estate.drop("prod.json", create(regions=["eu-west-1"]))
    estate.tick()
    estate.instance.delete_dynamic_partition("accounts", PROD)
    estate.drop("prod.json", create(regions=["eu-west-1"]))
    result = estate.tick()
    assert runs(result) == sync_runs(PROD)
    assert estate.accounts == [PROD]


def test_empty_or_missing_inbox_is_a_quiet_skip(estate, tmp_path):
    assert estate.tick().skip_message == f"no events in {estate.inbox}"
    estate.inbox.rmdir()
    # The demo's default inbox did not exist: each tick said so, as if something were wrong. It is made instead.
    assert estate.tick().skip_message == f"no events in {estate.inbox}"
    assert estate.inbox.is_dir()
    assert not estate.registry.exists()


def test_malformed_registry_fails_the_tick_and_keeps_the_events(estate):
    estate.registry.write_text('[{"roleArn": "arn:aws:iam::1:role/r", "externalId": "x1"}]')
    estate.drop("prod.json", create())
    with pytest.raises(Exception, match="instances.json: instance 1: field 'roleArn'"):
        estate.tick()
    assert estate.inbox_files() == ["prod.json"]


def test_sqs_inbox_on_moto(moto, tmp_path, monkeypatch, dagster_instances):
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="aws-assets-instance-events")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(create(regions=["eu-west-1"])))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(create(role=DEV_ROLE, secret=DEV_SECRET, accountId=PROD)))
    monkeypatch.setenv("AWS_ASSETS_REJECTED", str(tmp_path / "rejected"))
    defs = build_definitions(instances_file=str(tmp_path / "instances.json"), lake_root=str(tmp_path / "lake"),
                             inbox=queue)
    with dagster_instances() as instance:
        estate = Estate(defs, instance, tmp_path, tmp_path / "instances.json", Lake(str(tmp_path / "lake")))
        result = estate.tick()
        assert runs(result) == sync_runs(PROD)
        assert list(load_registry(estate.registry)) == [PROD]
        assert estate.accounts == [PROD]
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    [record, reason] = sorted((tmp_path / "rejected").iterdir())
    assert reason.read_text().endswith(f"field 'accountId' {PROD} is not the account of roleArn {DEV_ROLE} ({DEV})\n")
    assert json.loads(record.read_text())["externalId"] == "<redacted>"


def execute(estate: Estate, result) -> None:
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    for request in result.run_requests:
        job = estate.defs.resolve_job_def(request.job_name)
        run = job.execute_in_process(instance=estate.instance, tags=request.tags,
                                     run_config={**quiet, **request.run_config}, raise_on_error=False)
        assert run.success, request.tags
        assert estate.instance.get_run_by_id(run.run_id).tags["aws_assets/account"] == PROD


@pytest.mark.e2e  # whole sync runs one after another: the slow path, not the quick subset
def test_registered_instance_syncs_at_once_through_the_requested_runs(moto, estate):
    """The runs of the tick, executed against moto: the registry is what the AwsAccounts resource reads."""
    from aws_assets.aws.session import assume_role_session

    seeded = assume_role_session(Instance(PROD_ROLE, SECRET)).client("ec2", region_name="eu-west-1")
    vpc_id = seeded.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    estate.drop("prod.json", create(name="prod", regions=["eu-west-1"]))
    execute(estate, estate.tick())
    vpcs = estate.lake.read_table("aws_vpc").to_pylist()
    assert [(row["accountId"], row["region"]) for row in vpcs if vpc_id in row["_key"]] == [(PROD, "eu-west-1")]
    assert estate.lake.read_table("aws_account").column("accountId").to_pylist() == [PROD]
    assert estate.instance.get_materialized_partitions(AssetKey("aws_vpc")) == {f"{PROD}|eu-west-1"}

    # eu-west-1 dropped from the list: the update's run writes it once more, empty, with the reason.
    estate.drop("update.json", create(action="update", name="prod", regions=["us-east-1"]))
    execute(estate, estate.tick())
    assert [row["region"] for row in estate.lake.read_table("aws_vpc").to_pylist() if vpc_id in row["_key"]] == []
    [dropped] = [record.asset_materialization for record in estate.instance.fetch_materializations(
        AssetRecordsFilter(AssetKey("aws_vpc"), asset_partitions=[f"{PROD}|eu-west-1"]), limit=1).records]
    assert dropped.metadata["dagster/row_count"].value == 0
    assert dropped.metadata["note"].value == (
        f"region eu-west-1 is not collected for account {PROD}: not in the instance's regions")
    assert estate.instance.get_materialized_partitions(AssetKey("aws_vpc")) == {
        f"{PROD}|eu-west-1", f"{PROD}|us-east-1"}
