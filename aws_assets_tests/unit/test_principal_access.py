"""`principal_access` from hand-built lake rows: each class of error the old per-target engine made (issue 11, 1 to
8) asserted on the rows, and a hypothesis property that every row (and every pair without one) says what the
evaluator says, action by action."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_assets.analysis.evaluation import Result, evaluate
from aws_assets.analysis.policy_sets import PolicyIndex
from aws_assets.analysis.principal_access import (
    ACCESS_SCHEMA,
    PrincipalAccess,
    Targets,
    principal_shares,
    target_actions,
)
from aws_assets_tests.policy_documents import allow, deny
from aws_assets_tests.policy_documents import document_text as doc

A, B = "111111111111", "222222222222"
ENTITY_TABLES = ("aws_iam_user", "aws_iam_role", "aws_iam_policy", "aws_s3_bucket", "aws_lambda_function",
                 "aws_dynamodb_table")





def user(account: str, name: str, *documents: str, groups: tuple[str, ...] = (), boundary: str | None = None,
         attached: tuple[str, ...] = ()) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    arn = f"arn:aws:iam::{account}:user/{name}"
    row = {"arn": arn, "accountId": account, "username": name, "path": "/", "tags": [], "groupNames": list(groups),
           "attachedPolicyArns": list(attached), "permissionsBoundaryArn": boundary}
    return row, [{"_key": f"{arn}:inline-policy/p{n}", "document": d, "userArn": arn} for n, d in enumerate(documents)]


def role(account: str, name: str, trust: str, *documents: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    arn = f"arn:aws:iam::{account}:role/{name}"
    row = {"arn": arn, "accountId": account, "roleName": name, "path": "/", "tags": [], "attachedPolicyArns": [],
           "permissionsBoundaryArn": None, "trustPolicy": trust, "serviceLinked": False}
    return row, [{"_key": f"{arn}:inline-policy/p{n}", "document": d, "roleArn": arn} for n, d in enumerate(documents)]


def lake(*principals: tuple[dict[str, Any], list[dict[str, Any]]], **tables: list[dict[str, Any]]) -> dict[str, list]:
    found: dict[str, list[dict[str, Any]]] = {name: list(rows) for name, rows in tables.items()}
    for row, inline in principals:
        kind = "aws_iam_user" if "username" in row else "aws_iam_role"
        found.setdefault(kind, []).append(row)
        found.setdefault(f"{kind}_policy", []).extend(inline)
    return found


def bucket(account: str, name: str, policy: str | None = None) -> dict[str, Any]:
    return {"arn": f"arn:aws:s3:::{name}", "accountId": account, "tags": [], "policy": policy}


def function(account: str, region: str, name: str, policy: str | None = None) -> dict[str, Any]:
    return {"arn": f"arn:aws:lambda:{region}:{account}:function:{name}", "accountId": account, "tags": [],
            "resourcePolicy": policy}


def table(account: str, name: str) -> dict[str, Any]:
    return {"arn": f"arn:aws:dynamodb:us-east-1:{account}:table/{name}", "accountId": account, "tags": []}


def build(tables: dict[str, list[dict[str, Any]]]) -> tuple[PolicyIndex, list[dict[str, Any]]]:
    index = PolicyIndex(tables)
    targets = Targets.of((row["arn"], name, row["arn"], row.get("accountId"))
                         for name in ENTITY_TABLES for row in tables.get(name, ()))
    access = PrincipalAccess(index, targets).table()
    assert access.schema == ACCESS_SCHEMA
    return index, access.to_pylist()


def row_of(rows: list[dict[str, Any]], principal: str, target: str) -> dict[str, Any] | None:
    found = [row for row in rows if row["principalArn"] == principal and row["targetArn"] == target]
    assert len(found) <= 1
    return found[0] if found else None


ALICE = f"arn:aws:iam::{A}:user/alice"


# ---- the classes of error of the old engine ---------------------------------------------------------------------


def test_1_a_wildcard_reaches_another_account_only_where_its_resource_policy_allows():
    shared = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "s3:ListBucket",
                  "Resource": "arn:aws:s3:::b-shared"})
    _, rows = build(lake(user(A, "alice", doc(allow("*"))),
                         aws_s3_bucket=[bucket(B, "b-shared", shared), bucket(B, "b-private")],
                         aws_dynamodb_table=[table(B, "orders"), table(A, "orders")]))
    assert row_of(rows, ALICE, f"arn:aws:dynamodb:us-east-1:{B}:table/orders") is None  # no resource side
    assert row_of(rows, ALICE, "arn:aws:s3:::b-private") is None
    shared_row = row_of(rows, ALICE, "arn:aws:s3:::b-shared")
    assert shared_row is not None
    assert (shared_row["actions"], shared_row["grantedBy"], shared_row["crossAccount"]) == (
        ["s3:ListBucket"], "both", True)
    own = row_of(rows, ALICE, f"arn:aws:dynamodb:us-east-1:{A}:table/orders")
    assert own is not None and own["admin"] and "dynamodb:PutItem" in own["actions"]


def test_2_a_pattern_keeps_its_region_and_resource_type_for_allows_and_denies():
    east = f"arn:aws:lambda:us-east-1:{A}:function:f"
    west = f"arn:aws:lambda:us-west-2:{A}:function:f"
    functions = [function(A, "us-east-1", "f"), function(A, "us-west-2", "f")]
    _, rows = build(lake(user(A, "alice", doc(allow("lambda:*", f"arn:aws:lambda:us-east-1:{A}:function:*"))),
                         user(A, "bob", doc(allow("*"), deny("lambda:*", f"arn:aws:lambda:us-east-1:{A}:function:*"))),
                         aws_lambda_function=functions))
    alice_east = row_of(rows, ALICE, east)
    assert alice_east is not None and "lambda:InvokeFunction" in alice_east["actions"]
    assert row_of(rows, ALICE, west) is None
    bob = f"arn:aws:iam::{A}:user/bob"
    bob_west, bob_east = row_of(rows, bob, west), row_of(rows, bob, east)
    assert bob_west is not None and "lambda:InvokeFunction" in bob_west["actions"] and not bob_west["deniedActions"]
    assert bob_east is not None and "lambda:InvokeFunction" in bob_east["deniedActions"]
    assert bob_east["deniedBy"] == [f"identity:arn:aws:iam::{A}:user/bob:inline-policy/p0#1"]


def test_3_a_pattern_for_part_of_a_resource_does_not_count_for_the_whole():
    _, rows = build(lake(user(A, "alice", doc(allow("s3:*", "arn:aws:s3:::acme-prod-data/*"),
                                              allow("dynamodb:*", f"arn:aws:dynamodb:*:{A}:table/orders/index/*"))),
                         aws_s3_bucket=[bucket(A, "acme-prod-data")], aws_dynamodb_table=[table(A, "orders")]))
    assert row_of(rows, ALICE, "arn:aws:s3:::acme-prod-data") is None
    assert row_of(rows, ALICE, f"arn:aws:dynamodb:us-east-1:{A}:table/orders") is None


def test_4_conditions_are_kept_per_action():
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    deploy = f"arn:aws:iam::{A}:role/deploy"
    _, rows = build(lake(
        user(A, "alice", doc(allow("s3:GetBucketPolicy", "arn:aws:s3:::b-*", Condition=mfa), allow("s3:ListBucket")),
             doc(allow("iam:*"), deny("iam:PassRole", Condition={"StringNotEquals": {"iam:PassedToService": "x"}}))),
        role(A, "deploy", doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                               "Action": "sts:AssumeRole"})),
        aws_s3_bucket=[bucket(A, "b-data")]))
    data = row_of(rows, ALICE, "arn:aws:s3:::b-data")
    assert data is not None
    assert (data["actions"], data["conditionalActions"], data["conditionKeys"]) == (
        ["s3:ListBucket"], ["s3:GetBucketPolicy"], ["aws:MultiFactorAuthPresent"])
    on_role = row_of(rows, ALICE, deploy)
    assert on_role is not None
    assert "iam:GetRole" in on_role["actions"] and "iam:PassRole" not in on_role["actions"]
    assert on_role["conditionalActions"] == ["iam:PassRole"] and on_role["conditionKeys"] == ["iam:PassedToService"]


def test_5_a_service_the_lake_does_not_hold_reaches_nothing_else():
    _, rows = build(lake(user(A, "alice", doc(allow("*", f"arn:aws:sqs:*:{A}:*"))),
                         aws_s3_bucket=[bucket(A, "b-data")], aws_dynamodb_table=[table(A, "orders")]))
    assert [row for row in rows if row["principalArn"] == ALICE] == []


def test_6_aws_managed_policies_cannot_be_changed():
    managed = {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "accountId": A, "document": doc(allow("s3:Get*"))}
    _, rows = build(lake(user(A, "alice", doc(allow("iam:*"))), aws_iam_policy=[managed]))
    found = row_of(rows, ALICE, managed["arn"])
    assert found is not None
    assert "iam:GetPolicy" in found["actions"] and "iam:CreatePolicyVersion" not in found["actions"]
    assert not found["admin"] and "iam:CreatePolicyVersion" not in found["deniedActions"]


def test_an_aws_managed_policy_is_never_decided_with_the_accounts_own_policies():
    # Both policies match the same statements (iam:* on *, and a Deny without MFA): the AWS managed one, listed
    # first, may not be changed at all, and the customer's may be changed with MFA; neither decides for the other.
    managed = {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "accountId": A, "document": doc(allow("s3:Get*"))}
    own = {"arn": f"arn:aws:iam::{A}:policy/deploy", "accountId": A, "document": doc(allow("s3:Get*"))}
    require_mfa = deny("*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
    index, rows = build(lake(user(A, "alice", doc(allow("iam:*"), require_mfa)), aws_iam_policy=[managed, own]))
    for target in (managed["arn"], own["arn"]):
        row = row_of(rows, ALICE, target)
        assert row is not None
        for action in target_actions(target):
            listed = next((column for column in ("actions", "conditionalActions", "deniedActions")
                           if action in row[column]), None)
            assert listed == _answer(index, ALICE, action, target), (target, action)
    assert "iam:CreatePolicyVersion" in row_of(rows, ALICE, own["arn"])["conditionalActions"]
    assert "iam:CreatePolicyVersion" not in {action for column in ("actions", "conditionalActions")
                                             for action in row_of(rows, ALICE, managed["arn"])[column]}


def test_7_a_trusted_session_is_not_every_session_of_its_role():
    target = f"arn:aws:iam::{B}:role/target"
    _, rows = build(lake(
        role(A, "deploy", doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                               "Action": "sts:AssumeRole"}), doc(allow("sts:AssumeRole"))),
        role(B, "target", doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:sts::{A}:assumed-role/deploy/s1"},
                               "Action": "sts:AssumeRole"})),
        role(B, "open", doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/deploy"},
                             "Action": "sts:AssumeRole"}))))
    deploy = f"arn:aws:iam::{A}:role/deploy"
    assert row_of(rows, deploy, target) is None
    opened = row_of(rows, deploy, f"arn:aws:iam::{B}:role/open")
    assert opened is not None and opened["actions"] == ["sts:AssumeRole"] and opened["grantedBy"] == "both"


def test_8_policy_variables_are_resolved_for_the_principal():
    change = allow("iam:ChangePassword", f"arn:aws:iam::{A}:user/${{aws:username}}")
    _, rows = build(lake(user(A, "alice", doc(change)), user(A, "bob", doc(change))))
    assert row_of(rows, ALICE, ALICE)["actions"] == ["iam:ChangePassword"]  # type: ignore[index]
    assert row_of(rows, ALICE, f"arn:aws:iam::{A}:user/bob") is None


def test_a_variable_reading_the_resource_is_resolved_for_each_target():
    tagged = [{**bucket(A, name), "tags": [("team", "red")]} for name in ("red-data", "blue-data")]
    _, rows = build(lake(user(A, "alice", doc(allow("s3:ListBucket", "arn:aws:s3:::${aws:ResourceTag/team}-data"))),
                         aws_s3_bucket=tagged))
    assert row_of(rows, ALICE, "arn:aws:s3:::red-data")["actions"] == ["s3:ListBucket"]  # type: ignore[index]
    assert row_of(rows, ALICE, "arn:aws:s3:::blue-data") is None


def test_groups_make_no_rows_their_members_rows_say_via_the_group_and_a_boundary_limits():
    group = {"arn": f"arn:aws:iam::{A}:group/devs", "accountId": A, "groupName": "devs",
             "attachedPolicyArns": [f"arn:aws:iam::{A}:policy/read"]}
    managed = [{"arn": f"arn:aws:iam::{A}:policy/read", "accountId": A, "document": doc(allow("s3:*"))},
               {"arn": f"arn:aws:iam::{A}:policy/lists", "accountId": A, "document": doc(allow("s3:List*"))}]
    _, rows = build(lake(user(A, "alice", groups=("devs",), boundary=f"arn:aws:iam::{A}:policy/lists"),
                         aws_iam_group=[group], aws_iam_policy=managed, aws_s3_bucket=[bucket(A, "b-data")]))
    found = row_of(rows, ALICE, "arn:aws:s3:::b-data")
    assert found is not None
    assert found["via"] == ["group:devs"] and found["limitedBy"] == [f"boundary:arn:aws:iam::{A}:policy/lists"]
    assert found["actions"] and all(action.startswith("s3:List") for action in found["actions"])
    assert {row["principalType"] for row in rows} <= {"aws_iam_user", "aws_iam_role"}


def test_an_scp_removes_what_the_identity_grants_and_names_its_policy():
    organisation = {
        "aws_organization": [{"organizationId": "o-1", "managementAccountId": B}],
        "aws_organization_root": [{"rootId": "r-1", "enabledPolicyTypes": ["SERVICE_CONTROL_POLICY"]}],
        "aws_organizational_unit": [],
        "aws_organization_account": [
            {"memberAccountId": A, "parentId": "r-1", "organizationId": "o-1", "managementAccount": False},
            {"memberAccountId": B, "parentId": "r-1", "organizationId": "o-1", "managementAccount": True}],
        "aws_organizations_policy": [
            {"policyId": "p-full", "arn": "p-full", "policyType": "SERVICE_CONTROL_POLICY", "targetIds": ["r-1", A],
             "document": doc(allow("*"))},
            {"policyId": "p-keep", "arn": "p-keep", "policyType": "SERVICE_CONTROL_POLICY", "targetIds": [A],
             "document": doc(deny("s3:DeleteBucket"))}],
    }
    _, rows = build(lake(user(A, "alice", doc(allow("s3:*"))), aws_s3_bucket=[bucket(A, "b-data")], **organisation))
    found = row_of(rows, ALICE, "arn:aws:s3:::b-data")
    assert found is not None and found["deniedActions"] == ["s3:DeleteBucket"]
    assert found["limitedBy"] == ["scp:p-keep"] and found["deniedBy"] == ["scp:p-keep#0"]


# ---- the property: a row and the evaluator never disagree -------------------------------------------------------

ACTIONS = ["*", "s3:*", "s3:Get*", "s3:ListBucket", "s3:DeleteBucket", "lambda:*", "lambda:InvokeFunction",
           "iam:*", "iam:ChangePassword", "iam:GetUser", "dynamodb:*", "dynamodb:GetItem", "sts:AssumeRole"]
RESOURCES = ["*", "arn:aws:s3:::b-*", "arn:aws:s3:::b-1", "arn:aws:s3:::b-1/*", f"arn:aws:lambda:*:{A}:function:*",
             f"arn:aws:lambda:us-east-1:{B}:function:f-1", f"arn:aws:iam::{A}:user/${{aws:username}}",
             "arn:aws:iam::*:role/r-*", f"arn:aws:dynamodb:us-east-1:{A}:table/t-1", "arn:aws:*:*:*:*"]
CONDITIONS = [None, {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
              {"StringEquals": {"aws:PrincipalAccount": A}},
              {"StringLike": {"aws:PrincipalArn": "*alice*"}}]
PRINCIPALS = [f"arn:aws:iam::{A}:root", f"arn:aws:iam::{B}:root", "*", f"arn:aws:iam::{A}:user/alice",
              f"arn:aws:iam::{B}:role/r-1"]

statements = st.builds(
    lambda effect, action, resource, condition, not_action: {
        "Effect": effect, "NotAction" if not_action else "Action": action, "Resource": resource,
        **({"Condition": condition} if condition else {})},
    st.sampled_from(["Allow", "Allow", "Deny"]), st.sampled_from(ACTIONS), st.sampled_from(RESOURCES),
    st.sampled_from(CONDITIONS), st.sampled_from([False, False, False, True]),
)
documents = st.lists(statements, min_size=1, max_size=3).map(lambda s: doc(*s))
resource_policies = st.none() | st.lists(st.builds(
    lambda effect, principal, action: {"Effect": effect, "Principal": {"AWS": principal} if principal != "*" else "*",
                                       "Action": action},
    st.sampled_from(["Allow", "Allow", "Deny"]), st.sampled_from(PRINCIPALS), st.sampled_from(ACTIONS)),
    min_size=1, max_size=2)


def _with_resource(policy: list[dict[str, Any]] | None, arn: str) -> str | None:
    return None if policy is None else doc(*({**statement, "Resource": [arn, f"{arn}/*"]} for statement in policy))


def organisation(scp: str, rcp: str) -> dict[str, list[dict[str, Any]]]:
    """o-1: B manages; A sits in ou-1 under the root. FullAWSAccess at every level, `scp` and `rcp` on A."""
    return {
        "aws_organization": [{"organizationId": "o-1", "managementAccountId": B}],
        "aws_organization_root": [{"rootId": "r-1", "enabledPolicyTypes": [
            "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]}],
        "aws_organizational_unit": [{"organizationalUnitId": "ou-1", "parentId": "r-1"}],
        "aws_organization_account": [
            {"memberAccountId": A, "parentId": "ou-1", "organizationId": "o-1", "managementAccount": False},
            {"memberAccountId": B, "parentId": "r-1", "organizationId": "o-1", "managementAccount": True}],
        "aws_organizations_policy": [
            {"policyId": "p-full", "arn": "p-full", "policyType": "SERVICE_CONTROL_POLICY",
             "targetIds": ["r-1", "ou-1", A, B], "document": doc(allow("*"))},
            {"policyId": "p-scp", "arn": "p-scp", "policyType": "SERVICE_CONTROL_POLICY", "targetIds": ["ou-1"],
             "document": scp},
            {"policyId": "p-rcp", "arn": "p-rcp", "policyType": "RESOURCE_CONTROL_POLICY", "targetIds": [A],
             "document": rcp}],
    }


# A policy AWS owns among the account's own (the boundary): no one may change it, whatever their policies say.
AWS_MANAGED = {"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "accountId": A, "document": doc(allow("s3:Get*"))}


@st.composite
def estates(draw: Any) -> dict[str, list[dict[str, Any]]]:
    principals = []
    boundary = {"arn": f"arn:aws:iam::{A}:policy/boundary", "accountId": A, "document": draw(documents)}
    for account in (A, B):
        for name in ("alice", "bob"):
            limited = account == A and name == "bob" and draw(st.booleans())
            principals.append(user(account, name, *draw(st.lists(documents, max_size=2)),
                                   boundary=boundary["arn"] if limited else None))
        trust = doc({"Effect": "Allow", "Principal": {"AWS": draw(st.sampled_from(PRINCIPALS))},
                     "Action": "sts:AssumeRole"})
        principals.append(role(account, "r-1", trust, *draw(st.lists(documents, max_size=2))))
    buckets = [bucket(account, f"b-{n}", _with_resource(draw(resource_policies), f"arn:aws:s3:::b-{n}"))
               for account, n in ((A, 1), (A, 2), (B, 3))]
    functions = []
    for account, region in ((A, "us-east-1"), (B, "us-east-1"), (A, "eu-west-1")):
        arn = f"arn:aws:lambda:{region}:{account}:function:f-1"
        functions.append({**function(account, region, "f-1"), "resourcePolicy": _with_resource(
            draw(resource_policies), arn)})
    rcp = doc({"Effect": "Deny", "Principal": "*", "Action": draw(st.sampled_from(["s3:*", "sts:AssumeRole"])),
               "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": A}}})
    return lake(*principals, aws_s3_bucket=buckets, aws_lambda_function=functions,
                aws_dynamodb_table=[table(A, "t-1"), table(B, "t-1")], aws_iam_policy=[boundary, AWS_MANAGED],
                **(organisation(draw(documents), rcp) if draw(st.booleans()) else {}))


def _answer(index: PolicyIndex, principal: str, action: str, target: str) -> str | None:
    assembled = index.assemble(principal, action, target)
    decision = evaluate(assembled.request, assembled.policies)
    if decision.allowed:
        return "actions"
    if decision.conditional is not None and decision.conditional.best_case is Result.ALLOWED:
        return "conditionalActions"
    return "deniedActions" if decision.result is Result.EXPLICITLY_DENIED else None


# Each example checks every principal, target and action against the evaluator (a quarter of a second): a tenth of
# the profile's examples, 30 in the thorough one, and never fewer than 10.
@settings(max_examples=max(10, settings.default.max_examples // 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(estates())
def test_every_row_and_every_pair_without_one_agree_with_the_evaluator(tables):
    index, rows = build(tables)
    by_pair = {(row["principalArn"], row["targetArn"]): row for row in rows}
    targets = [row["arn"] for name in ENTITY_TABLES for row in tables.get(name, ())]
    for principal in index.principals():
        for target in targets:
            row = by_pair.get((principal.arn, target))
            for action in target_actions(target):
                expected = _answer(index, principal.arn, action, target)
                listed = next((column for column in ("actions", "conditionalActions", "deniedActions")
                               if row is not None and action in row[column]), None)
                if listed is None:
                    # Absent: never allowed (a Deny of an action no Allow covers is not listed).
                    assert expected in (None, "deniedActions"), (principal.arn, action, target, row)
                else:
                    assert listed == expected, (principal.arn, action, target, row)


def test_forked_workers_give_the_same_rows_in_the_same_order_and_never_split_an_account():
    accounts = [str(number) for number in range(100000000001, 100000000008)]
    principals = []
    for position, account in enumerate(accounts):
        principals += [user(account, f"user-{n}", doc(allow(["s3:Get*", "lambda:*"]))) for n in range(3)]
        trust = doc({"Effect": "Allow", "Principal": {"AWS": accounts[position - 1]}, "Action": "sts:AssumeRole"})
        principals.append(role(account, "deploy", trust, doc(allow())))
    shared_logs = [allow("s3:GetObject", Principal={"AWS": accounts[0]})]
    tables = lake(*principals,
                  aws_s3_bucket=[bucket(a, f"logs-{a}", _with_resource(shared_logs, f"arn:aws:s3:::logs-{a}"))
                                 for a in accounts],
                  aws_lambda_function=[function(a, "us-east-1", "api") for a in accounts])
    index = PolicyIndex(tables)
    targets = Targets.of((row["arn"], name, row["arn"], row.get("accountId"))
                         for name in ENTITY_TABLES for row in tables.get(name, ()))

    alone = PrincipalAccess(index, targets).table()
    forked = PrincipalAccess(index, targets).table(workers=3, parallel_from=1)

    assert forked.equals(alone)
    rows = alone.to_pylist()
    assert len({row["principalArn"] for row in rows}) == len(principals)
    assert {row["accountId"] for row in rows if row["crossAccount"]} == set(accounts)  # the deploy roles' reach
    ordered = sorted(index.principals(), key=lambda p: p.arn)
    # 28 principals in 12 shares of 3 or more, an account never split: one share an account
    shares = principal_shares(ordered, 3)
    assert [position for share in shares for position in share] == list(range(len(ordered)))
    assert [{ordered[position].account for position in share} for share in shares] == [{a} for a in accounts]
