import json
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
from botocore.awsrequest import AWSResponse
from dagster import AssetKey, materialize

from aws_assets.analysis.permissions import allows, required_permission, write_reasons
from aws_assets.aws.calls import CallCounter
from aws_assets.aws.collect import collect_entity_types
from aws_assets.aws.partition import PartitionCollection
from aws_assets.aws.session import assume_role_session
from aws_assets.defs.assets.entities import build_service_assets
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.graph.edges import build_edges, check_edges, endpoint_tables
from aws_assets.inputs.instances import Instance
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.relationships import organizations as org_relationships
from aws_assets.services import account, organizations
from aws_assets.services.organizations import Placed, PolicyDetails
from aws_assets_tests.conftest import ACCOUNT_ID, INSTANCE, serve_in_pages
from aws_assets_tests.integration.conftest import RCP, SCP, document
from aws_assets_tests.unit.test_read_only_role import extra_policies, security_audit

ENTITY_TYPES = organizations.SERVICE.entity_types


def collect(aws: PartitionCollection) -> dict[str, dict[str, dict]]:
    """Each entity type's rows by name."""
    return {
        entity_type.type: {row["name"]: row for row in entity_type.to_table(
            entity_type.collect(aws), aws.account_id, aws.region).to_pylist()}
        for entity_type in ENTITY_TYPES
    }


def expected_calls(parents: int, policies: int, **overrides: int) -> dict[str, int]:
    calls = {"sts:AssumeRole": 1, "organizations:DescribeOrganization": 1, "organizations:ListRoots": 1,
             "organizations:ListOrganizationalUnitsForParent": parents,
             "organizations:ListAccountsForParent": parents, "organizations:ListPolicies": 2,
             "organizations:DescribePolicy": policies, "organizations:ListTargetsForPolicy": policies, **overrides}
    return dict(sorted(calls.items()))


def test_the_tree_its_accounts_and_its_policies(org, global_partition):
    rows = collect(global_partition)

    [organization] = rows["aws_organization"].values()
    assert (organization["_key"], organization["arn"], organization["_class"]) == (
        org["arn"], org["arn"], ["Organization"])
    assert (organization["organizationId"], organization["featureSet"], organization["managementAccountId"]) == (
        org["id"], "ALL", ACCOUNT_ID)
    assert organization["region"] == GLOBAL_REGION

    [root] = rows["aws_organization_root"].values()
    assert (root["_key"], root["rootId"], root["organizationId"], root["_class"]) == (
        org["root_arn"], org["root"], org["id"], ["Group", "Organization"])
    assert RCP in root["enabledPolicyTypes"]

    units = rows["aws_organizational_unit"]
    assert {name: unit["parentId"] for name, unit in units.items()} == {
        "Workloads": org["root"], "Prod": org["Workloads"], "Sandbox": org["root"]}
    assert {name: unit["organizationalUnitId"] for name, unit in units.items()} == {
        "Workloads": org["Workloads"], "Prod": org["Prod"], "Sandbox": org["Sandbox"]}
    assert units["Prod"]["_key"] == f"arn:aws:organizations::{ACCOUNT_ID}:ou/{org['id']}/{org['Prod']}"

    accounts = rows["aws_organization_account"]
    assert {name: (a["memberAccountId"], a["parentId"]) for name, a in accounts.items()} == {
        "master": (ACCOUNT_ID, org["root"]), "prod-app": (org["prod-app"], org["Prod"]),
        "sandbox": (org["sandbox"], org["Sandbox"]), "legacy": (org["legacy"], org["root"])}
    assert {name for name, a in accounts.items() if a["managementAccount"]} == {"master"}
    prod_app = accounts["prod-app"]
    assert prod_app["_key"] == f"arn:aws:organizations::{ACCOUNT_ID}:account/{org['id']}/{org['prod-app']}"
    assert (prod_app["email"], prod_app["status"], prod_app["state"], prod_app["joinedMethod"]) == (
        "prod-app@example.com", "ACTIVE", "ACTIVE", "CREATED")
    assert prod_app["joinedOn"].tzinfo is not None
    assert prod_app["webLink"] == f"https://console.aws.amazon.com/organizations/v2/home/accounts/{org['prod-app']}"
    assert all(a["accountId"] == ACCOUNT_ID and a["_class"] == ["Account"] for a in accounts.values())

    policies = rows["aws_organizations_policy"]
    assert {name: (p["policyType"], p["awsManaged"]) for name, p in policies.items()} == {
        "FullAWSAccess": (SCP, True), "deny-leave": (SCP, False), "deny-s3-delete": (SCP, False),
        "RCPFullAWSAccess": (RCP, True), "deny-outside-reads": (RCP, False)}
    assert sorted(policies["deny-s3-delete"]["targetIds"]) == sorted([org["Workloads"], org["sandbox"]])
    assert policies["deny-leave"]["targetIds"] == [org["root"]]
    assert policies["deny-outside-reads"]["targetIds"] == [org["Prod"]]
    # AWS attaches the default SCP to every root, OU and account.
    assert set(policies["FullAWSAccess"]["targetIds"]) >= {org["root"], org["Workloads"], org["prod-app"]}
    deny_leave = policies["deny-leave"]
    assert json.loads(deny_leave["document"]) == json.loads(document("Deny", "organizations:LeaveOrganization"))
    assert (deny_leave["policyId"], deny_leave["description"], deny_leave["collectionErrors"]) == (
        org["deny-leave"], "deny-leave guardrail", [])
    assert deny_leave["_class"] == ["ControlPolicy"]

    # Four parents (the root and three OUs), five policies; fetched once for the five entity types.
    assert global_partition.calls.by_operation() == expected_calls(parents=4, policies=5)


def test_every_page_of_every_list(org, account_session, global_partition):
    unpaged = collect(global_partition)
    seeder = account_session.client("organizations")
    # A second partition on the same session: its clients, made after these handlers, get a page per item.
    paged = PartitionCollection(global_partition.session, ACCOUNT_ID, GLOBAL_REGION, CallCounter())
    for operation, key, fetch in (
        ("ListOrganizationalUnitsForParent", "OrganizationalUnits",
         lambda p: seeder.list_organizational_units_for_parent(ParentId=p["ParentId"])["OrganizationalUnits"]),
        ("ListAccountsForParent", "Accounts",
         lambda p: seeder.list_accounts_for_parent(ParentId=p["ParentId"])["Accounts"]),
        ("ListPolicies", "Policies", lambda p: seeder.list_policies(Filter=p["Filter"])["Policies"]),
        ("ListTargetsForPolicy", "Targets",
         lambda p: seeder.list_targets_for_policy(PolicyId=p["PolicyId"])["Targets"]),
    ):
        serve_in_pages(paged, "organizations", operation, key, fetch, token="NextToken")

    assert collect(paged) == unpaged
    calls = paged.calls.by_operation()
    # A page per item, and one (empty) for a parent without any: the root has 2 OUs and 2 accounts, Workloads 1
    # OU, Prod and Sandbox 1 account each.
    assert calls["organizations:ListOrganizationalUnitsForParent"] == 2 + 1 + 1 + 1
    assert calls["organizations:ListAccountsForParent"] == 2 + 1 + 1 + 1
    assert calls["organizations:ListPolicies"] == 3 + 2
    targets = sum(len(policy["targetIds"]) for policy in unpaged["aws_organizations_policy"].values())
    assert calls["organizations:ListTargetsForPolicy"] == targets


def test_denied_describe_policy_costs_that_document_only(org, global_partition):
    def remember(params, context, **_):
        context["policy_id"] = params["PolicyId"]

    def deny(context, **_):
        if context["policy_id"] != org["deny-leave"]:
            return None
        http = AWSResponse("https://organizations.us-east-1.amazonaws.com", 400, {}, None)
        return http, {"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                      "ResponseMetadata": {"HTTPStatusCode": 400}}

    global_partition.session.events.register("before-parameter-build.organizations.DescribePolicy", remember)
    global_partition.session.events.register_last("before-call.organizations.DescribePolicy", deny)

    policies = collect(global_partition)["aws_organizations_policy"]

    denied = policies["deny-leave"]
    assert (denied["document"], denied["targetIds"], denied["policyType"]) == (None, [org["root"]], SCP)
    assert denied["collectionErrors"] == ["organizations:DescribePolicy: AccessDeniedException"]
    assert all(p["document"] and not p["collectionErrors"] for name, p in policies.items() if name != "deny-leave")


def test_an_account_in_no_organisation_has_empty_tables_with_a_note(global_partition):
    outcomes = list(collect_entity_types(ENTITY_TYPES, global_partition))

    assert [o.entity_type.type for o in outcomes] == [t.type for t in ENTITY_TYPES]
    for outcome in outcomes:
        assert outcome.ok and outcome.table.num_rows == 0
        assert outcome.table.schema == outcome.entity_type.schema
        assert outcome.note == f"account {ACCOUNT_ID} is not in an AWS Organization"
    assert global_partition.calls.by_operation() == {"organizations:DescribeOrganization": 1, "sts:AssumeRole": 1}


def member_partition(account_id: str) -> PartitionCollection:
    calls = CallCounter()
    member = Instance(f"arn:aws:iam::{account_id}:role/aws-assets-readonly", INSTANCE.external_id)
    return PartitionCollection(assume_role_session(member, calls=calls), account_id, GLOBAL_REGION, calls)


def refuse(aws: PartitionCollection, operation: str) -> None:
    """Answer `operation` as AWS answers a caller it does not allow (moto lets any member list the roots)."""

    def deny(**_):
        http = AWSResponse("https://organizations.us-east-1.amazonaws.com", 400, {}, None)
        return http, {"Error": {"Code": "AccessDeniedException",
                                "Message": "You don't have permissions to access this resource."},
                      "ResponseMetadata": {"HTTPStatusCode": 400}}

    aws.session.events.register_last(f"before-call.organizations.{operation}", deny)


def test_a_member_account_has_empty_tables_naming_its_management_account(org):
    member = member_partition(org["legacy"])
    refuse(member, "ListRoots")

    outcomes = list(collect_entity_types(ENTITY_TYPES, member))

    assert all(o.ok and o.table.num_rows == 0 for o in outcomes), [o.error for o in outcomes]
    assert {o.note for o in outcomes} == {
        f"account {org['legacy']} is a member of organization {org['id']}, which only its management account "
        f"({ACCOUNT_ID}) or a delegated administrator can list (organizations:ListRoots: AccessDeniedException)"}
    assert member.calls.by_operation() == {"organizations:DescribeOrganization": 1, "organizations:ListRoots": 1,
                                           "sts:AssumeRole": 1}


def test_the_management_account_refused_fails_naming_the_permission(org, global_partition):
    refuse(global_partition, "ListRoots")

    outcome = next(collect_entity_types(ENTITY_TYPES, global_partition))

    assert not outcome.ok and outcome.table is None
    assert "ListRoots failed in account " + ACCOUNT_ID in outcome.error
    assert "lacks this read permission" in outcome.error


def test_the_note_reaches_the_materialization(moto, tmp_path, dagster_instances):
    instances_file = tmp_path / "instances.json"
    # An external ID of its own: the process keeps one session per instance, which must not outlive this moto into
    # another test's (its credentials would name no account there).
    instances_file.write_text(json.dumps([{"roleArn": INSTANCE.role_arn, "externalId": "organizations-note-test"}]))
    with dagster_instances() as instance:
        instance.add_dynamic_partitions("accounts", [ACCOUNT_ID])
        result = materialize(
            [build_service_assets(organizations.SERVICE)], instance=instance, partition_key=ACCOUNT_ID,
            resources={"aws": AwsAccounts(instances_file=str(instances_file)),
                       "lake": LakeResource(root=str(tmp_path / "lake"))},
        )
    assert result.success
    events = result.get_asset_materialization_events()
    assert {event.asset_key for event in events} == {AssetKey(t.type) for t in ENTITY_TYPES}
    for event in events:
        metadata = event.materialization.metadata
        assert metadata["dagster/row_count"].value == 0
        assert metadata["note"].value == f"account {ACCOUNT_ID} is not in an AWS Organization"


def test_every_call_is_a_read_the_read_only_role_allows(org, global_partition):
    collect(global_partition)
    operations = set(global_partition.calls.by_operation()) - {"sts:AssumeRole"}
    assert {operation for operation in operations if write_reasons(operation)} == set()
    policies = [security_audit(), *extra_policies()]
    assert {op for op in operations if not allows(policies, required_permission(op))} == set()


# ---- transforms -------------------------------------------------------------------------------------------------

MANAGEMENT, DELEGATED = "111111111111", "222222222222"
ORG_ARN = f"arn:aws:organizations::{MANAGEMENT}:organization/o-a1b2c3d4e5"
ORGANIZATION = {"Id": "o-a1b2c3d4e5", "Arn": ORG_ARN, "FeatureSet": "ALL", "MasterAccountId": MANAGEMENT,
                "MasterAccountEmail": "aws-root@example.com"}
FULL_AWS_ACCESS = {"Id": "p-FullAWSAccess", "Arn": "arn:aws:organizations::aws:policy/service_control_policy/"
                   "p-FullAWSAccess", "Name": "FullAWSAccess", "Description": "Allows access to every operation",
                   "Type": SCP, "AwsManaged": True}


def test_the_management_accounts_view_is_keyed_by_arn_any_other_and_aws_managed_policies_by_account():
    assert organizations.organization_rows(ORGANIZATION, MANAGEMENT)[0]["_key"] == ORG_ARN
    # A delegated administrator sees the same organisation: its rows never share a key with the management account's.
    assert organizations.organization_rows(ORGANIZATION, DELEGATED)[0]["_key"] == f"{ORG_ARN}@{DELEGATED}"
    # The default SCP has one ARN in every organisation.
    policy = PolicyDetails(FULL_AWS_ACCESS, document("Allow", "*"), [{"TargetId": "r-a1b2"}])
    assert organizations.policy_row(policy, ORGANIZATION, MANAGEMENT)["_key"] == (
        f"{FULL_AWS_ACCESS['Arn']}@{MANAGEMENT}")


def test_aws_shaped_suspended_and_invited_accounts():
    joined = datetime(2019, 4, 1, tzinfo=UTC)
    member = {"Id": DELEGATED, "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/o-a1b2c3d4e5/{DELEGATED}",
              "Email": "old@example.com", "Name": "old-project", "Status": "SUSPENDED", "State": "SUSPENDED",
              "JoinedMethod": "INVITED", "JoinedTimestamp": joined}
    [row] = organizations.member_rows([Placed(member, "ou-a1b2-c3d4e5f6")], ORGANIZATION, MANAGEMENT)
    assert (row["status"], row["state"], row["joinedMethod"], row["joinedOn"], row["parentId"]) == (
        "SUSPENDED", "SUSPENDED", "INVITED", joined, "ou-a1b2-c3d4e5f6")
    assert row["managementAccount"] is False


def test_refused_targets_are_unknown_not_none():
    policy = PolicyDetails(FULL_AWS_ACCESS, None, None, ["organizations:ListTargetsForPolicy: AccessDeniedException"])
    row = organizations.policy_row(policy, ORGANIZATION, MANAGEMENT)
    assert (row["document"], row["targetIds"]) == (None, None)
    assert organizations.policy_row(PolicyDetails(FULL_AWS_ACCESS, "{}", []), ORGANIZATION, MANAGEMENT)[
        "targetIds"] == []


def test_a_consolidated_billing_organisation_is_not_asked_for_policies(account_session, global_partition):
    account_session.client("organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")

    rows = collect(global_partition)

    assert rows["aws_organizations_policy"] == {}
    assert rows["aws_organization"][next(iter(rows["aws_organization"]))]["featureSet"] == "CONSOLIDATED_BILLING"
    assert "organizations:ListPolicies" not in global_partition.calls.by_operation()


# ---- relationships ----------------------------------------------------------------------------------------------


def test_the_tree_the_accounts_and_the_policies_as_edges(org, global_partition):
    tables = {t.type: t.to_table(t.collect(global_partition), ACCOUNT_ID, GLOBAL_REGION) for t in ENTITY_TYPES}
    # Two accounts of the organisation are collected themselves; the others are not.
    tables["aws_account"] = pa.concat_tables([account.AWS_ACCOUNT.to_table(
        [{"_key": account.account_key(a), "name": a}], a, GLOBAL_REGION) for a in (ACCOUNT_ID, org["prod-app"])])
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    key = {row["name"]: row["_key"] for table in tables.values() for row in table.to_pylist()}
    rows = {row["_key"]: row for table in tables.values() for row in table.to_pylist()}

    edges = {}
    for relationship in org_relationships.RELATIONSHIPS:
        table = build_edges(con, relationship)
        problems = check_edges(con, table, endpoint_tables(relationship))
        assert problems == {"unique_keys": 0, "no_duplicate_edges": 0, "endpoints_exist": 0}, relationship.type
        assert {row["accountId"] for row in table.to_pylist()} <= {ACCOUNT_ID}
        edges[relationship.type] = {(row["_fromEntityKey"], row["_toEntityKey"]) for row in table.to_pylist()}

    def pairs(*names: tuple[str, str]) -> set[tuple[str, str]]:
        return {(key[a], key[b]) for a, b in names}

    assert edges["aws_organization_has_root"] == {(org["arn"], org["root_arn"])}
    assert edges["aws_organization_root_has_organizational_unit"] == pairs(("Root", "Workloads"), ("Root", "Sandbox"))
    assert edges["aws_organizational_unit_has_unit"] == pairs(("Workloads", "Prod"))
    assert edges["aws_organization_root_has_account"] == pairs(("Root", "master"), ("Root", "legacy"))
    assert edges["aws_organizational_unit_has_organization_account"] == pairs(
        ("Prod", "prod-app"), ("Sandbox", "sandbox"))
    assert edges["aws_organization_account_is_account"] == {
        (key["master"], f"arn:aws:iam::{ACCOUNT_ID}:root"),
        (key["prod-app"], f"arn:aws:iam::{org['prod-app']}:root")}
    assert edges["aws_organizations_policy_assigned_organization_root"] >= pairs(
        ("deny-leave", "Root"), ("FullAWSAccess", "Root"))
    assert edges["aws_organizations_policy_assigned_organizational_unit"] >= pairs(
        ("deny-s3-delete", "Workloads"), ("deny-outside-reads", "Prod"))
    assert edges["aws_organizations_policy_assigned_organization_account"] >= pairs(("deny-s3-delete", "sandbox"))
    # Exactly the targets each policy names, no more.
    assigned = {pair for name, pairs_ in edges.items() if "_assigned_" in name for pair in pairs_}
    assert len(assigned) == sum(len(rows[key[name]]["targetIds"]) for name in (
        "FullAWSAccess", "deny-leave", "deny-s3-delete", "RCPFullAWSAccess", "deny-outside-reads"))


def test_two_views_of_one_organisation_stay_apart():
    """The management account's view and a delegated administrator's: each tree joins within its own account."""
    root = {"Id": "r-a1b2", "Arn": f"arn:aws:organizations::{MANAGEMENT}:root/o-a1b2c3d4e5/r-a1b2", "Name": "Root"}
    viewers = (MANAGEMENT, DELEGATED)
    con = duckdb.connect()
    con.register("aws_organization", pa.concat_tables([organizations.ORGANIZATION.to_table(
        organizations.organization_rows(ORGANIZATION, viewer), viewer, GLOBAL_REGION) for viewer in viewers]))
    con.register("aws_organization_root", pa.concat_tables([organizations.ROOT.to_table(
        organizations.root_rows([root], ORGANIZATION, viewer), viewer, GLOBAL_REGION) for viewer in viewers]))
    [has_root] = [r for r in org_relationships.RELATIONSHIPS if r.type == "aws_organization_has_root"]

    edges = build_edges(con, has_root).to_pylist()

    assert {(e["_fromEntityKey"], e["_toEntityKey"], e["accountId"]) for e in edges} == {
        (ORG_ARN, root["Arn"], MANAGEMENT), (f"{ORG_ARN}@{DELEGATED}", f"{root['Arn']}@{DELEGATED}", DELEGATED)}
