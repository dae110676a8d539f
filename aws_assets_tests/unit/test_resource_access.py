"""Who may use each resource with a resource-based policy (`resource_access`) and the external access findings,
on hand-built lake rows: each test asserts the rows, their decisions and the findings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_assets.analysis import findings
from aws_assets.analysis.authorization_reference import actions_on, resource_types_of, separators_absorbed
from aws_assets.analysis.evaluation import PolicySet, Request, Result, evaluate
from aws_assets.analysis.organization_policies import RCP, organization_policies
from aws_assets.analysis.resource_access import (
    PRINCIPAL_SIDE_ALLOWS,
    RESOURCE_ACCESS_TABLE,
    SIGNED_CALLER,
    PolicyResource,
    input_columns,
    known_principals,
    resource_access_from_tables,
    resource_access_rows,
)
from aws_assets.analysis.statements import Policy
from aws_assets.analysis.zone_of_trust import zones_of_trust
from aws_assets.graph.tables import table_schemas

MANAGEMENT, PROD, LONER, OUTSIDE = "111111111111", "222222222222", "444444444444", "999999999999"
ORG, OTHER_ORG = "o-aaaa1111", "o-zzzz9999"
BUCKET = "arn:aws:s3:::acme-data"
OBJECTS = f"{BUCKET}/*"
ROLE = f"arn:aws:iam::{PROD}:role/deploy"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
RESTRICT_TO_ORG = {"Version": "2012-10-17", "Statement": [{
    "Sid": "OnlyOurOrg", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
}]}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, action: Any, resource: Any = OBJECTS, condition: dict | None = None,
          sid: str = "Grant") -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}
    return {**statement, "Condition": condition} if condition else statement


def organization_tables(rcp: dict | None = None) -> dict[str, list[dict[str, Any]]]:
    """Organisation ORG: MANAGEMENT and PROD; LONER is ingested, in no organisation the lake holds."""
    return {
        "aws_account": [{"accountId": account} for account in (MANAGEMENT, PROD, LONER)],
        "aws_organization": [{"organizationId": ORG, "managementAccountId": MANAGEMENT}],
        "aws_organization_root": [{"rootId": "r-ab12", "enabledPolicyTypes": [RCP] if rcp else []}],
        "aws_organizational_unit": [],
        "aws_organization_account": [
            {"memberAccountId": MANAGEMENT, "parentId": "r-ab12", "organizationId": ORG, "managementAccount": True},
            {"memberAccountId": PROD, "parentId": "r-ab12", "organizationId": ORG, "managementAccount": False},
        ],
        "aws_organizations_policy": [{"policyId": "p-perimeter", "arn": "arn:aws:organizations::p-perimeter",
                                      "policyType": RCP, "document": json.dumps(rcp), "targetIds": ["r-ab12"]}]
        if rcp else [],
        "aws_iam_user": [],
    }


def bucket_row(policy: str, account: str = PROD, name: str = "acme-data") -> dict[str, Any]:
    arn = f"arn:aws:s3:::{name}"
    return {"_key": arn, "arn": arn, "accountId": account, "region": "us-east-1", "policy": policy}


def role_row(trust: str, arn: str = ROLE) -> dict[str, Any]:
    return {"_key": arn, "arn": arn, "accountId": arn.split(":")[4], "region": "global", "trustPolicy": trust}


def access(buckets=(), roles=(), rcp=None, zones=None, organization_entries=()) -> list[dict[str, Any]]:
    tables = {**organization_tables(rcp), "aws_s3_bucket": list(buckets), "aws_iam_role": list(roles)}
    return resource_access_from_tables(tables, zones or {}, organization_entries).to_pylist()


def found(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """ruleId -> the resource keys it flags, the rules reading only the columns they declare."""
    declared = {table: [{c: row[c] for c in columns} for row in rows]
                for table, columns in findings.EXTERNAL_ACCESS_READS.items()}
    by_rule: dict[str, list[str]] = {}
    for finding in findings.evaluate(declared, NOW, [r for r in findings.RULES if r.id.startswith("AWS-ACCESS")]):
        by_rule.setdefault(finding.rule_id, []).append(finding.resource_key)
    return by_rule


def brief(rows: list[dict[str, Any]]) -> set[tuple]:
    return {(r["principal"], r["principalKind"], r["requestResource"], tuple(r["actions"]), r["decision"],
             r["conditional"], r["external"]) for r in rows}


# ---- the declarations --------------------------------------------------------------------------------------------


def test_every_type_declaring_a_resource_policy_is_read_with_the_roles():
    columns = input_columns()
    assert columns["aws_s3_bucket"][-1] == "policy"
    assert columns["aws_lambda_function"][-1] == "resourcePolicy"
    assert columns["aws_api_gateway_rest_api"][-1] == "policy"
    assert columns["aws_iam_role"][-1] == "trustPolicy"
    schemas = table_schemas()
    for table, names in columns.items():
        assert set(names) <= set(schemas[table].names), table


def test_actions_are_those_of_the_resource_type_the_pattern_names():
    objects, bucket = actions_on("s3", OBJECTS), actions_on("s3", BUCKET)
    assert "s3:GetObject" in objects and "s3:GetBucketPolicy" not in objects
    assert "s3:GetBucketPolicy" in bucket and "s3:GetObject" not in bucket
    assert set(actions_on("sts", ROLE)) >= {"sts:AssumeRole", "sts:TagSession"}
    assert actions_on("execute-api", f"arn:aws:execute-api:us-east-1:{PROD}:a1b2c3/*") == (
        "execute-api:InvalidateCache", "execute-api:Invoke", "execute-api:ManageConnections")



def test_a_concrete_arn_names_the_type_whose_template_takes_its_separators_best():
    """Concrete ARNs are matched by each template's regular expression, patterns by the walk: both agree."""
    alias, function = "arn:aws:lambda:us-east-1:111111111111:function:f:live", "arn:aws:lambda:us-east-1:1:function:f"
    assert resource_types_of("lambda", alias) == {"function alias", "function version"}
    assert resource_types_of("lambda", f"{function}:*") >= resource_types_of("lambda", alias)
    assert resource_types_of("lambda", function) == {"function"}
    assert separators_absorbed("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::b/logs/a.gz") == 1
    assert separators_absorbed("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::b/k") == 0
    assert separators_absorbed("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::b") is None
    assert separators_absorbed("arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::b/k") == 1  # an object: 0
    assert separators_absorbed("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
                               "arn:aws:iam::1:role/team/deploy") == 1
    assert separators_absorbed("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
                               "arn:aws:iam::1:role/te*") == 0

# ---- rows, decisions and findings --------------------------------------------------------------------------------


def test_a_public_bucket_is_one_everyone_row_and_a_critical_finding():
    rows = access([bucket_row(document(allow("*", "s3:GetObject")))])
    assert brief(rows) == {("*", "everyone", OBJECTS, ("s3:GetObject",), "Allowed", False, True)}
    assert rows[0]["requestPrincipal"] == "anonymous" and json.loads(rows[0]["statements"])[0]["statement"] == "Grant"
    assert found(rows) == {"AWS-ACCESS-001": [BUCKET]}


def test_wildcard_actions_are_expanded_exactly_for_the_resource_type():
    rows = access([bucket_row(document(allow({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "s3:Get*",
                                             [BUCKET, OBJECTS])))])
    by_resource = {r["requestResource"]: set(r["actions"]) for r in rows}
    assert "s3:GetObject" in by_resource[OBJECTS] and "s3:GetBucketPolicy" not in by_resource[OBJECTS]
    assert "s3:GetBucketPolicy" in by_resource[BUCKET] and "s3:GetObject" not in by_resource[BUCKET]
    assert all(action.startswith("s3:Get") for actions in by_resource.values() for action in actions)


@pytest.mark.parametrize("zones, entries, org, external", [
    ({}, (), ORG, False),  # the default zone: the organisation the lake holds
    ({PROD: "account"}, (), ORG, True),
    ({}, (), OTHER_ORG, True),
    ({MANAGEMENT: "account"}, (MANAGEMENT,), ORG, True),  # the organisation's entry sets its members' zone
    ({MANAGEMENT: "account"}, (), ORG, False),  # a plain entry sets its own account's only
])
def test_a_bucket_shared_with_an_organisation_is_external_only_outside_the_zone(zones, entries, org, external):
    policy = document(allow("*", "s3:GetObject", condition={"StringEquals": {"aws:PrincipalOrgID": org}}))
    rows = access([bucket_row(policy)], zones=zones, organization_entries=entries)
    [row] = rows
    assert (row["principalKind"], row["principalOrgId"], row["decision"], row["conditional"]) == (
        "organization", org, "ImplicitlyDenied", True)
    assert row["conditionKeys"] == ["aws:PrincipalOrgID"]
    assert row["external"] is external
    assert found(rows) == ({"AWS-ACCESS-003": [BUCKET]} if external else {})


def test_another_account_is_external_and_an_account_of_the_organisation_is_not():
    policy = document(allow({"AWS": [f"arn:aws:iam::{OUTSIDE}:root", f"arn:aws:iam::{MANAGEMENT}:role/reader"]},
                            "s3:GetObject"))
    rows = access([bucket_row(policy)])
    assert {(r["principalKind"], r["principalAccount"], r["external"], r["decision"]) for r in rows} == {
        ("account", OUTSIDE, True, "Allowed"), ("principal", MANAGEMENT, False, "Allowed")}
    assert found(rows) == {"AWS-ACCESS-003": [BUCKET]}
    assert {r["principalKind"] for r in access([bucket_row(policy)], zones={PROD: "account"}) if r["external"]} == {
        "account", "principal"}


@pytest.mark.parametrize("condition, external", [
    ({"StringEquals": {"aws:SourceAccount": PROD}}, False),
    ({"ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/*"}}, False),
    ({"StringEquals": {"aws:SourceAccount": OUTSIDE}}, True),
    (None, True),
])
def test_a_service_is_external_unless_its_source_is_in_the_zone(condition, external):
    rows = access([bucket_row(document(allow({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject",
                                             condition=condition)))])
    [row] = rows
    assert (row["principalKind"], row["actions"], row["external"]) == ("service", ["s3:PutObject"], external)
    assert row["conditional"] is (condition is not None)
    assert found(rows) == ({"AWS-ACCESS-005": [BUCKET]} if external else {})


def test_a_role_trusted_by_an_outside_account_without_external_id_is_a_finding():
    trust = document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"},
                      "Action": "sts:AssumeRole"})
    rows = access(roles=[role_row(trust)])
    assert brief(rows) == {(f"arn:aws:iam::{OUTSIDE}:root", "account", ROLE, ("sts:AssumeRole",), "Allowed",
                            False, True)}
    assert found(rows) == {"AWS-ACCESS-003": [ROLE]}


def test_an_external_id_holds_a_trust_back_but_does_not_bring_it_inside_the_zone():
    trust = document({"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"sts:ExternalId": "REDACTED"}}})
    [row] = access(roles=[role_row(trust)])
    assert (row["decision"], row["conditional"], row["conditionKeys"], row["external"]) == (
        "ImplicitlyDenied", True, ["sts:ExternalId"], True)
    assert json.loads(row["conditions"])[0]["condition"] == {"StringEquals": {"sts:ExternalId": "REDACTED"}}


def test_a_role_trusted_by_a_service_or_its_own_account_is_not_external():
    trust = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
                     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
                      "Action": ["sts:AssumeRole", "sts:TagSession"]})
    rows = access(roles=[role_row(trust)])
    assert {(r["principalKind"], tuple(r["actions"]), r["external"]) for r in rows} == {
        ("service", ("sts:AssumeRole",), False), ("account", ("sts:AssumeRole", "sts:TagSession"), False)}
    assert found(rows) == {}


def test_a_deny_in_the_resource_policy_marks_the_actions_it_refuses():
    policy = document(allow({"AWS": OUTSIDE}, "s3:*"),
                      {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
                       "Resource": OBJECTS})
    rows = access([bucket_row(policy)])
    denied = [r for r in rows if r["decision"] == "ExplicitlyDenied"]
    assert [(r["actions"], json.loads(r["deniedBy"])[0]["statement"]) for r in denied] == [
        (["s3:DeleteObject"], "NoDeletes")]
    allowed = next(r for r in rows if r["decision"] == "Allowed")
    assert "s3:GetObject" in allowed["actions"] and "s3:DeleteObject" not in allowed["actions"]
    shared = next(r for r in findings.RULES if r.id == "AWS-ACCESS-003")
    [finding] = findings.evaluate({RESOURCE_ACCESS_TABLE: rows}, NOW, [shared])
    assert all("s3:DeleteObject" not in entry["actions"] for entry in finding.evidence["access"])


def test_an_rcp_denying_principals_outside_the_organisation_removes_the_finding():
    policy = document(allow({"AWS": [OUTSIDE, LONER]}, "s3:GetObject"))
    rows = access([bucket_row(policy)], rcp=RESTRICT_TO_ORG)
    by_account = {r["principalAccount"]: r for r in rows}
    # Of OUTSIDE's organisation the lake knows nothing, nor of LONER's (ingested, but an account in no organisation
    # and a member refused the listing collect the same nothing): denied unless it is ours, which keeps it in the
    # zone.
    for account in (OUTSIDE, LONER):
        assert (by_account[account]["decision"], by_account[account]["conditional"],
                by_account[account]["external"]) == ("ExplicitlyDenied", True, False)
    assert json.loads(by_account[LONER]["deniedBy"]) == [
        {"layer": "rcp", "policy": "arn:aws:organizations::p-perimeter", "statement": "OnlyOurOrg", "effect": "Deny"}]
    assert found(rows) == {}


def test_rcps_do_not_govern_the_management_accounts_resources():
    rows = access([bucket_row(document(allow({"AWS": OUTSIDE}, "s3:GetObject")), account=MANAGEMENT)],
                  rcp=RESTRICT_TO_ORG)
    assert [(r["decision"], r["external"]) for r in rows] == [("Allowed", True)]


def test_an_allow_with_not_principal_is_public_and_a_deny_with_not_principal_refuses_the_others():
    public = document({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{PROD}:root"},
                       "Action": "s3:GetObject", "Resource": OBJECTS})
    assert found(access([bucket_row(public)])) == {"AWS-ACCESS-001": [BUCKET]}
    fenced = document(allow({"AWS": OUTSIDE}, "s3:GetObject"),
                      {"Sid": "OnlyProd", "Effect": "Deny", "NotPrincipal": {"AWS": f"arn:aws:iam::{PROD}:root"},
                       "Action": "s3:*", "Resource": OBJECTS})
    rows = access([bucket_row(fenced)])
    assert [(r["principalAccount"], r["decision"]) for r in rows] == [(OUTSIDE, "ExplicitlyDenied")]
    assert found(rows) == {}


def test_a_grant_to_everyone_for_named_accounts_is_the_accounts():
    policy = document(allow("*", "s3:GetObject", condition={"StringEquals": {"aws:PrincipalAccount": [OUTSIDE]}}))
    rows = access([bucket_row(policy)])
    assert brief(rows) == {("*", "account", OBJECTS, ("s3:GetObject",), "Allowed", False, True)}
    assert found(rows) == {"AWS-ACCESS-003": [BUCKET]}


def test_public_under_conditions_that_do_not_restrict_who_is_high():
    policy = document(allow("*", "s3:GetObject", condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))
    assert found(access([bucket_row(policy)])) == {"AWS-ACCESS-002": [BUCKET]}
    vpc = document(allow("*", "s3:GetObject", condition={"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}))
    assert found(access([bucket_row(vpc)])) == {}


def test_a_federated_identity_is_external():
    trust = document({"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
                      "Action": "sts:AssumeRoleWithWebIdentity",
                      "Condition": {"StringEquals": {"accounts.google.com:aud": "app-1"}}})
    rows = access(roles=[role_row(trust)])
    assert [(r["principalKind"], r["actions"], r["conditional"]) for r in rows] == [
        ("federated", ["sts:AssumeRoleWithWebIdentity"], True)]
    assert found(rows) == {"AWS-ACCESS-004": [ROLE]}


def test_a_finding_id_is_stable_per_rule_and_resource():
    rows = access([bucket_row(document(allow("*", "s3:GetObject"), allow({"AWS": OUTSIDE}, "s3:PutObject",
                                                                         sid="Other")))])
    first = findings.evaluate({RESOURCE_ACCESS_TABLE: rows}, NOW)
    again = findings.evaluate({RESOURCE_ACCESS_TABLE: list(reversed(rows))}, NOW)
    assert sorted((f.rule_id, f.finding_id) for f in first) == sorted((f.rule_id, f.finding_id) for f in again)
    assert {f.rule_id for f in first} == {"AWS-ACCESS-001", "AWS-ACCESS-003"}


def test_zones_default_to_the_organisation_the_lake_holds_else_the_account():
    tables = organization_tables()
    read = organization_policies(*(tables[t] for t in ("aws_organization", "aws_organization_root",
                                                       "aws_organizational_unit", "aws_organization_account",
                                                       "aws_organizations_policy")))
    zones = zones_of_trust([MANAGEMENT, PROD, LONER], {PROD: "account", LONER: "organization"}, read)
    assert {account: zone.label for account, zone in zones.items()} == {
        MANAGEMENT: f"organization:{ORG}", PROD: f"account:{PROD}", LONER: f"account:{LONER}"}
    assert zones[MANAGEMENT].accounts == {MANAGEMENT, PROD}
    by_entry = zones_of_trust([MANAGEMENT, PROD], {MANAGEMENT: "account"}, read, [MANAGEMENT])
    assert [zone.label for zone in by_entry.values()] == [f"account:{MANAGEMENT}", f"account:{PROD}"]


# ---- every row agrees with the evaluator -------------------------------------------------------------------------

PRINCIPALS = st.sampled_from([
    "*", {"AWS": "*"}, {"AWS": OUTSIDE}, {"AWS": f"arn:aws:iam::{MANAGEMENT}:role/reader"},
    {"AWS": f"arn:aws:iam::{LONER}:user/ana"}, {"Service": "cloudtrail.amazonaws.com"},
    {"Federated": "accounts.google.com"},
])
CONDITIONS = st.sampled_from([
    None, {"StringEquals": {"aws:PrincipalOrgID": ORG}}, {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"aws:SourceAccount": PROD}}, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEquals": {"aws:PrincipalAccount": OUTSIDE}}, {"Bool": {"aws:SecureTransport": "true"}},
])
STATEMENTS = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Allow", "Deny"]),
    "Principal": PRINCIPALS,
    "Action": st.sampled_from(["s3:GetObject", "s3:*", "s3:Get*", ["s3:PutObject", "s3:ListBucket"], "*"]),
    "Resource": st.sampled_from([OBJECTS, BUCKET, f"{BUCKET}/private/*", [BUCKET, OBJECTS], "*"]),
}, optional={"Condition": CONDITIONS})


def _not_principal(statement: dict[str, Any]) -> dict[str, Any]:
    swapped = {key: value for key, value in statement.items() if key != "Principal"}
    return {**swapped, "NotPrincipal": statement["Principal"]}


# A tenth of the statements name their principals by NotPrincipal.
POLICY_STATEMENTS = st.one_of(*9 * [STATEMENTS], STATEMENTS.map(_not_principal))


def request_of(row: dict[str, Any], action: str, tables: dict[str, list[dict]]) -> tuple[Request, PolicySet]:
    """The request a row stands for, built from its columns and the organisation the test gave the lake."""
    read = organization_policies(*(tables[t] for t in ("aws_organization", "aws_organization_root",
                                                       "aws_organizational_unit", "aws_organization_account",
                                                       "aws_organizations_policy")))
    caller = row["requestPrincipal"]
    account = caller if caller.isdigit() else caller.split(":")[4] if caller.startswith("arn:") else None
    def org(of: str | None) -> tuple[str | None, list[str] | None]:
        if of in read.organization_of:
            return read.organization_of[of], read.org_paths(of)
        return None, None  # no listing names it: unknown, ingested or not

    (principal_org, principal_paths), (resource_org, resource_paths) = org(account), org(row["accountId"])
    request = Request(caller, action, row["requestResource"], resource_account=row["accountId"],
                      principal_org_id=principal_org, principal_org_paths=principal_paths,
                      resource_org_id=resource_org, resource_org_paths=resource_paths)
    column = "trustPolicy" if row["resourceType"] == "aws_iam_role" else "policy"
    [resource] = [r[column] for r in tables[row["resourceType"]] if r["_key"] == row["resourceKey"]]
    iam = caller != "anonymous" and (caller.isdigit() or caller.startswith("arn:aws:iam::"))
    policies = PolicySet(identity=[PRINCIPAL_SIDE_ALLOWS] if iam else (), rcps=read.rcps(row["accountId"]),
                         resource=Policy(column, resource),
                         resource_is_management_account=read.is_management_account(row["accountId"]))
    return request, policies


def assert_rows_agree(rows: list[dict[str, Any]], tables: dict[str, list[dict]], data: st.DataObject) -> None:
    for row in rows:
        action = data.draw(st.sampled_from(row["actions"]))
        decision = evaluate(*request_of(row, action, tables))
        assert decision.result.value == row["decision"], (row, action)
        conditional = decision.conditional is not None and decision.conditional.best_case is Result.ALLOWED
        assert conditional is row["conditional"], (row, action)
        assert decision.allowed or conditional or decision.result is Result.EXPLICITLY_DENIED


TRUST_STATEMENTS = st.fixed_dictionaries({
    "Effect": st.sampled_from(["Allow", "Allow", "Deny"]),
    "Principal": st.sampled_from([
        "*", {"AWS": OUTSIDE}, {"AWS": f"arn:aws:iam::{MANAGEMENT}:role/reader"}, {"AWS": PROD},
        {"Service": "ec2.amazonaws.com"}, {"Federated": f"arn:aws:iam::{PROD}:saml-provider/okta"},
    ]),
    "Action": st.sampled_from(["sts:AssumeRole", "sts:*", ["sts:AssumeRoleWithSAML", "sts:TagSession"], "*"]),
}, optional={"Condition": st.sampled_from([
    None, {"StringEquals": {"sts:ExternalId": "REDACTED"}}, {"StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringNotEquals": {"aws:PrincipalAccount": [PROD, MANAGEMENT]}}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
])})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements=st.lists(TRUST_STATEMENTS, min_size=1, max_size=4), data=st.data())
def test_every_trust_row_agrees_with_the_evaluator(statements, data):
    tables = {**organization_tables(), "aws_s3_bucket": [], "aws_iam_role": [role_row(document(*statements))]}
    rows = resource_access_from_tables(tables, {}).to_pylist()
    assert {action for row in rows for action in row["actions"]} <= set(actions_on("sts", ROLE))
    assert_rows_agree(rows, tables, data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements=st.lists(POLICY_STATEMENTS, min_size=1, max_size=4), with_rcp=st.booleans(),
       account=st.sampled_from([PROD, MANAGEMENT]), data=st.data())
def test_every_row_agrees_with_the_evaluator(statements, with_rcp, account, data):
    tables = {**organization_tables(RESTRICT_TO_ORG if with_rcp else None),
              "aws_s3_bucket": [bucket_row(document(*statements), account=account)], "aws_iam_role": []}
    rows = resource_access_from_tables(tables, {}).to_pylist()
    assert_rows_agree(rows, tables, data)
    # Everyone's rows are complete: whatever an unsigned caller may do on a resource the policy names is listed,
    # on that resource or a pattern covering it.
    listed = {(row["requestResource"], action) for row in rows if row["requestPrincipal"] == "anonymous"
              for action in row["actions"]}
    for resource in {row["requestResource"] for row in rows}:
        for action in actions_on("s3", resource):
            probe = {"requestPrincipal": "anonymous", "requestResource": resource, "accountId": account,
                     "resourceKey": BUCKET, "resourceType": "aws_s3_bucket"}
            decision = evaluate(*request_of(probe, action, tables))
            possible = decision.allowed or (decision.conditional is not None
                                            and decision.conditional.best_case is Result.ALLOWED)
            covered = any(fnmatchcase(resource, pattern) and action == granted for pattern, granted in listed)
            assert not possible or covered, (resource, action)


# ---- every family the same way -----------------------------------------------------------------------------------


def test_a_lambda_permission_and_an_api_policy_are_read_from_their_declared_columns():
    function = f"arn:aws:lambda:us-east-1:{PROD}:function:orders"
    api = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3"
    invoke_any = f"arn:aws:execute-api:us-east-1:{PROD}:a1b2c3/*"
    tables = {
        **organization_tables(), "aws_s3_bucket": [], "aws_iam_role": [],
        "aws_lambda_function": [{"_key": function, "arn": function, "accountId": PROD, "region": "us-east-1",
                                 "resourcePolicy": document(allow(
                                     {"Service": "apigateway.amazonaws.com"}, "lambda:InvokeFunction", function,
                                     {"ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:us-east-1:{PROD}:*/*"}}))}],
        "aws_api_gateway_rest_api": [{"_key": api, "arn": api, "accountId": PROD, "region": "us-east-1",
                                      "policy": document(allow("*", "execute-api:Invoke", invoke_any))}],
    }
    rows = resource_access_from_tables(tables, {}).to_pylist()
    assert {(r["resourceType"], r["principalKind"], tuple(r["actions"]), r["requestResource"], r["external"])
            for r in rows} == {
        ("aws_lambda_function", "service", ("lambda:InvokeFunction",), function, False),
        ("aws_api_gateway_rest_api", "everyone", ("execute-api:Invoke",), invoke_any, True)}
    assert found(rows) == {"AWS-ACCESS-001": [api]}


def test_an_api_policy_in_the_execute_api_shorthand_is_read_as_the_apis_methods():
    api = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3"
    methods = f"arn:aws:execute-api:eu-west-1:{PROD}:a1b2c3"
    policy = document(allow({"AWS": OUTSIDE}, "execute-api:Invoke", "execute-api:/prod/GET/*", sid="Partner"),
                      allow("*", "execute-api:Invoke", "*", sid="Anyone",
                            condition={"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))
    tables = {**organization_tables(), "aws_s3_bucket": [], "aws_iam_role": [],
              "aws_api_gateway_rest_api": [{"_key": api, "arn": api, "accountId": PROD, "region": "eu-west-1",
                                            "policy": policy}]}
    rows = resource_access_from_tables(tables, {}).to_pylist()
    assert {(r["principalKind"], r["requestResource"], tuple(r["actions"]), r["decision"]) for r in rows} == {
        ("account", f"{methods}/prod/GET/*", ("execute-api:Invoke",), "Allowed"),
        ("everyone", f"{methods}/*", ("execute-api:Invoke",), "ImplicitlyDenied"),
    }
    assert all(r["external"] for r in rows)


def test_a_buckets_acl_grants_are_rows_with_the_actions_s3_maps_them_to():
    outside_id, prod_id = "e" * 64, "d" * 64

    def acl_bucket(name: str, account: str, owner: str, *grants: tuple[str, str, str], **settings: Any):
        listed = [{"type": "CanonicalUser", "grantee": owner, "permission": "FULL_CONTROL"},
                  *({"type": kind, "grantee": grantee, "permission": permission}
                    for kind, grantee, permission in grants)]
        return {**bucket_row(None, account, name), "ownerId": owner, "aclGrants": json.dumps(listed), **settings}

    shared = acl_bucket("acme-shared", PROD, prod_id, ("CanonicalUser", outside_id, "READ"),
                        ("Group", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "WRITE"))
    public = acl_bucket("acme-site", PROD, prod_id, ("Group", "http://acs.amazonaws.com/groups/global/AllUsers",
                                                       "READ"))
    ignored = acl_bucket("acme-ignored", PROD, prod_id, ("Group", "http://acs.amazonaws.com/groups/global/AllUsers",
                                                           "READ"), ignorePublicAcls=True)
    theirs = acl_bucket("partner-bucket", OUTSIDE, outside_id)  # how the lake knows the outside account's ID
    rows = access([shared, public, ignored, theirs])
    by_bucket = {(r["resourceArn"].rsplit(":", 1)[-1], r["principalKind"], r["principalAccount"]):
                 (tuple(r["actions"]), r["decision"], r["external"]) for r in rows}
    assert by_bucket == {
        ("acme-shared", "account", OUTSIDE): (
            ("s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"), "Allowed", True),
        ("acme-shared", "everyone", None): (("s3:PutObject",), "Allowed", True),
        ("acme-site", "everyone", None): (
            ("s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"), "Allowed", True),
    }
    signed = next(r for r in rows if r["resourceArn"].endswith("acme-shared") and r["principalKind"] == "everyone")
    assert signed["requestPrincipal"] == SIGNED_CALLER and signed["requestResource"] == "arn:aws:s3:::acme-shared/*"
    assert found(rows) == {"AWS-ACCESS-001": ["arn:aws:s3:::acme-shared", "arn:aws:s3:::acme-site"],
                           "AWS-ACCESS-003": ["arn:aws:s3:::acme-shared"]}


def test_restrict_public_buckets_leaves_a_public_policy_refused_to_everyone_outside():
    public = bucket_row(document(allow("*", "s3:GetObject")))
    rows = access([{**public, "policyPublic": True, "restrictPublicBuckets": True}])
    assert [(r["principalKind"], r["decision"], json.loads(r["deniedBy"])[0]["statement"]) for r in rows] == [
        ("everyone", "ExplicitlyDenied", "BlockPublicAccess RestrictPublicBuckets")]
    assert found(rows) == {}


def test_a_key_policy_is_read_like_any_resource_policy():
    key = f"arn:aws:kms:us-east-1:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = document(
        {"Sid": "Enable IAM policies", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Partner decrypts", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"},
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
    )
    resource = PolicyResource(key, "aws_kms_key", key, PROD, "us-east-1", "keyPolicy", policy)
    known = known_principals(organization_tables(), {})
    rows = {r["principalAccount"]: r for r in resource_access_rows([resource], known)}
    assert rows[OUTSIDE]["actions"] == ["kms:Decrypt", "kms:DescribeKey"] and rows[OUTSIDE]["external"]
    assert "kms:ScheduleKeyDeletion" in rows[PROD]["actions"] and not rows[PROD]["external"]
    assert all(action.startswith("kms:") for action in rows[PROD]["actions"])
    assert found(list(rows.values())) == {"AWS-ACCESS-003": [key]}


def test_rcps_do_not_govern_an_aws_managed_key():
    key = f"arn:aws:kms:us-east-1:{PROD}:key/0000abcd-12ab-34cd-56ef-1234567890ab"
    policy = document({"Sid": "Partner decrypts", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "Action": "kms:Decrypt", "Resource": "*"})
    keys_to_org = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}]}
    known = known_principals(organization_tables(keys_to_org), {})
    decisions = {}
    for managed in (False, True):
        resource = PolicyResource(key, "aws_kms_key", key, PROD, "us-east-1", "keyPolicy", policy,
                                  aws_managed_key=managed)
        (row,) = resource_access_rows([resource], known)
        decisions[managed] = row["decision"]
    assert decisions == {False: "ExplicitlyDenied", True: "Allowed"}


def test_forked_workers_give_the_same_rows_in_the_same_order():
    buckets = [bucket_row(document({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                    "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}),
                          name=f"shared-{number}")
               for number, account in enumerate([OUTSIDE, PROD, LONER] * 4)]
    roles = [role_row(document({"Effect": "Allow", "Principal": {"AWS": OUTSIDE}, "Action": "sts:AssumeRole"}),
                      f"arn:aws:iam::{PROD}:role/deploy-{number}") for number in range(5)]
    tables = {**organization_tables(None), "aws_s3_bucket": buckets, "aws_iam_role": roles}
    alone = resource_access_from_tables(tables, {})
    forked = resource_access_from_tables(tables, {}, workers=2, parallel_from=1)
    assert forked.equals(alone)
    rows = alone.to_pylist()
    assert len(rows) == 12 * 2 + 5  # a bucket's rows for itself and its objects, a role's for itself
    assert {(row["resourceArn"], row["principalAccount"]) for row in rows if row["external"]} == {
        *((f"arn:aws:s3:::shared-{number}", account) for number, account in enumerate([OUTSIDE, PROD, LONER] * 4)
          if account != PROD),
        *((f"arn:aws:iam::{PROD}:role/deploy-{number}", OUTSIDE) for number in range(5))}
