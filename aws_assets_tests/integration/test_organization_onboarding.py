"""One instances-file entry stands for a whole AWS Organization: its members are listed at run time, filtered by OU
and exclusion, and each is synced through its own role."""

import datetime
import json

import boto3
import pytest
from botocore.exceptions import ClientError
from dagster import AssetKey, build_schedule_context, materialize

from aws_assets.defs.assets.entities import build_service_assets
from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.jobs import ACCOUNT_TAG
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.inputs.instances import Instance, InstanceError, OrganizationScope, load_instances, parse_instances
from aws_assets.inputs.organization import expand, member_instances
from aws_assets.inputs.registry import load_registry, save_registry
from aws_assets.model.settings import SettingError
from aws_assets.services.catalog import SERVICES
from aws_assets_tests.conftest import ACCOUNT_ID, INSTANCE

ROLE_NAME = "aws-assets-readonly"


def organization_entry(**scope) -> Instance:
    return Instance(INSTANCE.role_arn, INSTANCE.external_id, "acme", ("eu-west-1",),
                    OrganizationScope(ROLE_NAME, **scope))


def synced_accounts(membership) -> list[str]:
    return [instance.account_id for instance in membership.instances]


def test_every_active_member_is_synced_through_its_role(org):
    membership = expand([organization_entry()])
    assert synced_accounts(membership) == [ACCOUNT_ID, *sorted([org["prod-app"], org["sandbox"], org["legacy"]])]
    member = membership.instance(org["sandbox"])
    assert member.role_arn == f"arn:aws:iam::{org['sandbox']}:role/{ROLE_NAME}"
    assert member.external_id == INSTANCE.external_id and member.regions == ("eu-west-1",)
    assert member.name == "sandbox" and member.organization is None
    assert membership.skipped == {} and membership.failed == {}


def test_excluded_and_suspended_members_are_skipped_with_their_reason(org, account_session):
    account_session.client("organizations").close_account(AccountId=org["sandbox"])
    membership = expand([organization_entry(exclude_accounts=(org["legacy"],), member_external_id="member-id")])
    assert synced_accounts(membership) == [ACCOUNT_ID, org["prod-app"]]
    assert membership.instance(org["prod-app"]).external_id == "member-id"
    assert membership.skipped == {org["legacy"]: "excluded by acme (111122223333)'s excludeAccounts",
                                  org["sandbox"]: "suspended in the organisation of acme (111122223333)"}


def test_organizational_units_select_the_accounts_under_them_however_deep(org):
    assert synced_accounts(expand([organization_entry(organizational_units=(org["Workloads"],))])) == [
        ACCOUNT_ID, org["prod-app"]]
    both = expand([organization_entry(organizational_units=(org["Prod"], org["Sandbox"]))])
    assert synced_accounts(both) == [ACCOUNT_ID, *sorted([org["prod-app"], org["sandbox"]])]


def test_a_plain_entry_for_a_member_overrides_it(org):
    plain = Instance(f"arn:aws:iam::{org['legacy']}:role/special", "legacy-id", "legacy", ("us-east-1",))
    membership = expand([organization_entry(), plain])
    assert synced_accounts(membership).count(org["legacy"]) == 1
    assert membership.instance(org["legacy"]) == plain


def test_members_joining_and_leaving_between_two_syncs(org, account_session):
    entry = organization_entry()
    before = set(synced_accounts(expand([entry])))
    client = account_session.client("organizations")
    client.remove_account_from_organization(AccountId=org["legacy"])
    joined = client.create_account(AccountName="newcomer", Email="newcomer@example.com")["CreateAccountStatus"][
        "AccountId"]
    after = set(synced_accounts(expand([entry])))
    assert before - after == {org["legacy"]} and after - before == {joined}


def test_an_entry_whose_members_cannot_be_listed_fails_alone_and_is_still_synced_itself(org):
    lost = Instance(INSTANCE.role_arn, INSTANCE.external_id, "lost", None,
                    OrganizationScope(ROLE_NAME, organizational_units=("ou-zzzz-00000000",)))
    outsider = Instance("arn:aws:iam::999988887777:role/r", "outsider-id", "outsider", None,
                        OrganizationScope(ROLE_NAME))
    membership = expand([lost, outsider])
    assert synced_accounts(membership) == [ACCOUNT_ID, "999988887777"]
    assert "organizationalUnits [ou-zzzz-00000000] names an OU the organisation does not have" in membership.failed[
        "lost (111122223333)"]
    assert membership.failed["outsider (999988887777)"] == (
        "outsider (999988887777): account 999988887777 is in no AWS Organization")
    assert all("outsider-id" not in reason for reason in membership.failed.values())


def test_a_member_partition_is_collected_through_the_member_role(org, tmp_path, dagster_instances):
    instances_file = tmp_path / "instances.json"
    instances_file.write_text(json.dumps([{
        "roleArn": INSTANCE.role_arn, "externalId": INSTANCE.external_id, "regions": ["eu-west-1"],
        "organization": {"memberRoleName": ROLE_NAME}}]))
    aws = AwsAccounts(instances_file=str(instances_file))
    lake = LakeResource(root=str(tmp_path / "lake"))
    with dagster_instances() as dagster_instance:
        dagster_instance.add_dynamic_partitions("accounts", [org["prod-app"]])
        result = materialize([build_service_assets(SERVICES[0])], instance=dagster_instance,
                             resources={"aws": aws, "lake": lake}, partition_key=org["prod-app"])
    assert result.success
    [row] = lake.lake().read_table("aws_account").to_pylist()
    assert row["accountId"] == org["prod-app"]
    with pytest.raises(InstanceError, match="has no integration instance"):
        aws.instance("999988887777")
    assert AssetKey("aws_account") in {event.asset_key for event in result.get_asset_materialization_events()}


def test_member_instances_reads_state_before_the_older_status():
    entry = organization_entry()
    accounts = [{"Id": "444455556666", "Name": "closing", "Status": "ACTIVE", "State": "PENDING_CLOSURE"},
                {"Id": "555566667777", "Name": "old-style", "Status": "SUSPENDED"},
                {"Id": "666677778888", "Name": "fine", "State": "ACTIVE"}]
    members, skipped = member_instances(entry, accounts, covered=set())
    assert [m.account_id for m in members] == ["666677778888"]
    assert skipped == {"444455556666": "pending closure in the organisation of acme (111122223333)",
                       "555566667777": "suspended in the organisation of acme (111122223333)"}


ORGANIZATION_ENTRY = {"roleArn": INSTANCE.role_arn, "externalId": "entry-secret",
                      "organization": {"memberRoleName": "path/aws-assets", "memberExternalId": "member-secret",
                                       "excludeAccounts": ["444455556666"],
                                       "organizationalUnits": ["ou-ab12-cdef3456"]}}


def test_an_organisation_entry_round_trips_through_the_registry(tmp_path):
    [entry] = parse_instances(json.dumps([ORGANIZATION_ENTRY]), "instances.json")
    assert entry.organization == OrganizationScope("path/aws-assets", "member-secret", ("444455556666",),
                                                   ("ou-ab12-cdef3456",))
    assert "secret" not in repr(entry)
    save_registry(tmp_path / "registry.json", {entry.account_id: entry})
    assert load_registry(tmp_path / "registry.json") == {entry.account_id: entry}
    assert load_instances(tmp_path / "registry.json") == [entry]


@pytest.mark.parametrize(("organization", "message"), [
    ("acme", "field 'organization' must be an object with memberRoleName"),
    ({}, "field 'memberRoleName' is missing"),
    ({"memberRoleName": "r", "ous": []}, "unknown field(s) ['ous']"),
    ({"memberRoleName": "/r"}, "is not an IAM role name"),
    ({"memberRoleName": "r", "excludeAccounts": ["4444"]}, "field 'excludeAccounts': ['4444'] are not 12-digit"),
    ({"memberRoleName": "r", "organizationalUnits": "ou-ab12-cdef3456"}, "must be a list of OU IDs"),
    ({"memberRoleName": "r", "organizationalUnits": ["r-ab12"]}, "['r-ab12'] are not OU IDs"),
    ({"memberRoleName": "r", "memberExternalId": "x"}, "'memberExternalId' must be 2-1224 characters"),
])
def test_a_malformed_organisation_field_is_named(organization, message):
    raw = [{"name": "acme", "roleArn": INSTANCE.role_arn, "externalId": "entry-secret", "organization": organization}]
    with pytest.raises(InstanceError) as error:
        parse_instances(json.dumps(raw), "instances.json")
    assert "instances.json: instance 1 (acme): field 'organization'" in str(error.value)
    assert message in str(error.value) and "secret" not in str(error.value)


def member_role(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{ROLE_NAME}"


def sync_organisation(tmp_path, **organization) -> int:
    from aws_assets.app.cli import main

    instances_file = tmp_path / "instances.json"
    instances_file.write_text(json.dumps([{
        "name": "acme", "roleArn": INSTANCE.role_arn, "externalId": "entry-secret", "regions": ["eu-west-1"],
        "organization": {"memberRoleName": ROLE_NAME, **organization}}]))
    return main(["sync", "--instances", str(instances_file), "--lake", str(tmp_path / "lake"),
                 "--dagster-home", str(tmp_path / "home"), "--concurrency", "2"])


def lake_rows(tmp_path, table: str) -> list[dict]:
    return LakeResource(root=str(tmp_path / "lake")).lake().read_table(table).to_pylist()


@pytest.mark.e2e  # the whole command: the sync of every member, then the graph build
def test_sync_of_one_organisation_entry_syncs_its_members_and_lists_what_it_skipped(org, refusing_aws, tmp_path,
                                                                                   capsys):
    refusing_aws({role: "entry-secret" for role in [INSTANCE.role_arn, member_role(org["prod-app"]),
                                                    member_role(org["sandbox"])]})
    status = sync_organisation(tmp_path, excludeAccounts=[org["legacy"]])
    output = "".join(capsys.readouterr())
    # Each member's organisation tables are empty, as AWS refuses a member's ListRoots: only the management account's
    # partition lists the organisation.
    assert status == 0, output
    assert f"skipped {org['legacy']}: excluded by acme (111122223333)'s excludeAccounts" in output
    assert "entry-secret" not in output
    assert {row["accountId"] for row in lake_rows(tmp_path, "aws_account")} == {
        ACCOUNT_ID, org["prod-app"], org["sandbox"]}
    accounts = lake_rows(tmp_path, "aws_organization_account")
    assert {row["accountId"] for row in accounts} == {ACCOUNT_ID}
    assert {row["memberAccountId"] for row in accounts} >= {org["prod-app"], org["sandbox"], org["legacy"]}


@pytest.mark.e2e  # the whole command: the sync of every member, then the graph build
def test_a_member_whose_role_cannot_be_assumed_fails_alone_and_named(org, refusing_aws, tmp_path, capsys):
    # sandbox has no role; legacy's expects another external ID: AWS refuses both AssumeRole calls alike.
    refusing_aws({INSTANCE.role_arn: "entry-secret", member_role(org["prod-app"]): "entry-secret",
                  member_role(org["legacy"]): "another-secret"})
    status = sync_organisation(tmp_path)
    output = "".join(capsys.readouterr())
    assert status == 1, output
    for member in (org["sandbox"], org["legacy"]):
        assert f"account {member}: cannot assume role {member_role(member)}: AccessDenied" in output
    assert "entry-secret" not in output and "another-secret" not in output
    assert {row["accountId"] for row in lake_rows(tmp_path, "aws_account")} == {ACCOUNT_ID, org["prod-app"]}


def test_in_process_moto_refuses_only_inside_the_opt_in(org, moto):
    from aws_assets.sim.teach_moto import refusals_in_process

    sts, missing = boto3.client("sts"), f"arn:aws:iam::{org['sandbox']}:role/missing"
    assert sts.assume_role(RoleArn=missing, RoleSessionName="test")
    with refusals_in_process(), pytest.raises(ClientError, match="AccessDenied"):
        sts.assume_role(RoleArn=missing, RoleSessionName="test")
    assert sts.assume_role(RoleArn=missing, RoleSessionName="test")


@pytest.mark.e2e  # whole sync runs one after another: the slow path, not the quick subset
def test_the_scheduled_run_of_an_organisation_entry_follows_its_membership(org, account_session, refusing_aws,
                                                                          tmp_path, dagster_instances):
    """The schedule requests one run for the entry; each run lists the members when it starts: a newcomer is synced,
    an account that left is not, and its data stays in the lake."""
    instances_file = tmp_path / "instances.json"
    instances_file.write_text(json.dumps([{
        "name": "acme", "roleArn": INSTANCE.role_arn, "externalId": INSTANCE.external_id, "regions": ["eu-west-1"],
        "organization": {"memberRoleName": ROLE_NAME}}]))
    refusing_aws({role: INSTANCE.external_id for role in [INSTANCE.role_arn, *(
        member_role(org[name]) for name in ("prod-app", "sandbox", "legacy"))]})
    defs = build_definitions(instances_file=str(instances_file), lake_root=str(tmp_path / "lake"))
    lake = LakeResource(root=str(tmp_path / "lake")).lake()

    def scheduled_run(dagster_instance, tick: datetime.datetime) -> set[str]:
        with build_schedule_context(instance=dagster_instance, scheduled_execution_time=tick,
                                    resources=defs.resources, repository_def=defs.get_repository_def()) as context:
            [request] = defs.resolve_schedule_def("sync").evaluate_tick(context).run_requests
        assert request.tags[ACCOUNT_TAG] == ACCOUNT_ID
        result = defs.resolve_job_def(request.job_name).execute_in_process(
            run_config=request.run_config, instance=dagster_instance, tags=request.tags)
        assert result.success
        return {event.partition.split("|")[0] for event in result.get_asset_materialization_events()
                if event.asset_key == AssetKey("aws_account")}

    with dagster_instances() as dagster_instance:
        first = scheduled_run(dagster_instance, datetime.datetime(2026, 12, 1, 2, tzinfo=datetime.UTC))
        assert first == {ACCOUNT_ID, org["prod-app"], org["sandbox"], org["legacy"]}
        client = account_session.client("organizations")
        client.remove_account_from_organization(AccountId=org["legacy"])
        joined = client.create_account(AccountName="newcomer", Email="newcomer@example.com")[
            "CreateAccountStatus"]["AccountId"]
        refusing_aws({member_role(joined): INSTANCE.external_id})
        second = scheduled_run(dagster_instance, datetime.datetime(2026, 12, 2, 2, tzinfo=datetime.UTC))
        assert second == {ACCOUNT_ID, org["prod-app"], org["sandbox"], joined}
        assert joined in dagster_instance.get_dynamic_partitions("accounts")
    in_lake = {row["accountId"] for row in lake.read_table("aws_account").to_pylist()}
    assert in_lake == first | second  # legacy's data is kept, not purged


@pytest.mark.e2e  # whole sync runs one after another: the slow path, not the quick subset
def test_an_organisation_spread_over_runs_syncs_each_account_in_exactly_one(org, refusing_aws, tmp_path,
                                                                            monkeypatch, dagster_instances):
    monkeypatch.setenv("AWS_ASSETS_ORGANIZATION_RUNS", "3")
    instances_file = tmp_path / "instances.json"
    instances_file.write_text(json.dumps([{
        "name": "acme", "roleArn": INSTANCE.role_arn, "externalId": INSTANCE.external_id, "regions": ["eu-west-1"],
        "organization": {"memberRoleName": ROLE_NAME}}]))
    members = [org[name] for name in ("prod-app", "sandbox", "legacy")]
    refusing_aws({role: INSTANCE.external_id for role in [INSTANCE.role_arn, *map(member_role, members)]})
    defs = build_definitions(instances_file=str(instances_file), lake_root=str(tmp_path / "lake"))
    tick = datetime.datetime(2026, 12, 1, 2, tzinfo=datetime.UTC)
    with dagster_instances() as dagster_instance:
        with build_schedule_context(instance=dagster_instance, scheduled_execution_time=tick,
                                    resources=defs.resources, repository_def=defs.get_repository_def()) as context:
            requests = defs.resolve_schedule_def("sync").evaluate_tick(context).run_requests
        # Three runs, each its own tag value, so that they run at once while no share overlaps itself.
        assert [r.tags[ACCOUNT_TAG] for r in requests] == [f"{ACCOUNT_ID}.{share}" for share in range(3)]
        synced_by_run = []
        for request in requests:
            result = defs.resolve_job_def(request.job_name).execute_in_process(
                run_config=request.run_config, instance=dagster_instance, tags=request.tags)
            assert result.success
            synced_by_run.append([event.partition.split("|")[0] for event in result.get_asset_materialization_events()
                                  if event.asset_key == AssetKey("aws_account")])
    every_sync = [account for run in synced_by_run for account in run]
    assert sorted(every_sync) == sorted([ACCOUNT_ID, *members])  # each account once, in one run
    assert ACCOUNT_ID in synced_by_run[0]
    assert all(int(account) % 3 == share for share, run in enumerate(synced_by_run) for account in run
               if account != ACCOUNT_ID)


def test_a_bad_number_of_organisation_runs_stops_the_definitions_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ASSETS_ORGANIZATION_RUNS", "many")
    with pytest.raises(SettingError, match="AWS_ASSETS_ORGANIZATION_RUNS='many': expected how many runs"):
        build_definitions(instances_file=str(tmp_path / "instances.json"))
