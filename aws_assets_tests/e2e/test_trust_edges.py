"""TRUSTS edges, placeholders, trust-policy problems and role chaining: the trust engine wired into the lake.

The edges over the synced simulated organisation are derived from the roles its docstring describes
(aws_assets/sim/organisation.py): every account has aws-assets-readonly, lambda-execution, ec2-app,
aws-config-recorder, admin-escalation and okta-engineer; prod and dev have cross-account-deploy; shared has
deployment-pipeline; prod has external-auditor; prod and shared have org-readonly. The operator account
123456789012 and the auditor's 999999999999 are not ingested.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dagster import AssetCheckKey, AssetKey

from aws_assets.analysis.trust import FLAG_NAMES
from aws_assets.analysis.trust_graph import (
    PLACEHOLDER_TABLE,
    PROBLEMS_TABLE,
    REACHABILITY_TABLE,
    TRUSTS_TABLE,
)
from aws_assets.defs.assets.analysis import GROUP
from aws_assets.defs.jobs import build_graph_job
from aws_assets.graph.edges import CHECKS
from aws_assets.sim.organisation import EXTERNAL_AUDITOR_ACCOUNT_ID, INTEGRATION_ROLE_NAME, OPERATOR_ACCOUNT_ID
from aws_assets_tests.conftest import DEV, PROD, REPO, SHARED

ACCOUNTS = (PROD, DEV, SHARED)
AUDITOR_ACCOUNT = EXTERNAL_AUDITOR_ACCOUNT_ID
ASSUME = ("sts:AssumeRole",)


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def edge(
    account: str, role_name: str, to_key: str, to_type: str, edge_type: str, zone: str, *, cross: bool,
    placeholder: bool, flags: tuple[str, ...] = (), actions: tuple[str, ...] = ASSUME,
) -> tuple:
    return (role(account, role_name), to_key, edge_type, to_type, account, zone, cross, placeholder, flags, actions)


def expected_edges() -> set[tuple]:
    expected = set()
    for account in ACCOUNTS:
        expected |= {
            # The integration role: the operator's account is not ingested, and the trust needs the ExternalId.
            edge(account, INTEGRATION_ROLE_NAME, root(OPERATOR_ACCOUNT_ID), "aws_account",
                 "aws_iam_role_trusts_account", "external_account", cross=True, placeholder=True,
                 flags=("externalIdRequired",)),
            # Services of the account: the service entities collected with it.
            edge(account, "lambda-execution", f"aws_lambda:{account}", "aws_lambda", "aws_iam_role_trusts_lambda",
                 "same_account", cross=False, placeholder=False),
            edge(account, "ec2-app", f"aws_ec2:{account}", "aws_ec2", "aws_iam_role_trusts_ec2",
                 "same_account", cross=False, placeholder=False),
            edge(account, "aws-config-recorder", f"aws_config:{account}", "aws_config", "aws_iam_role_trusts_config",
                 "same_account", cross=False, placeholder=False),
            edge(account, "admin-escalation", f"arn:aws:iam::{account}:user/alice", "aws_iam_user",
                 "aws_iam_role_trusts_user", "same_account", cross=False, placeholder=False,
                 flags=("mfaRequired",)),
            # SAML providers are not collected: a placeholder, reached with AssumeRoleWithSAML only.
            edge(account, "okta-engineer", f"arn:aws:iam::{account}:saml-provider/okta", "aws_iam_saml_provider",
                 "aws_iam_role_trusts_saml_provider", "same_account", cross=False, placeholder=True,
                 actions=("sts:AssumeRoleWithSAML",)),
        }
    for account in (PROD, DEV):
        expected.add(edge(account, "cross-account-deploy", role(SHARED, "deployment-pipeline"), "aws_iam_role",
                          "aws_iam_role_trusts_role", "ingested_account", cross=True, placeholder=False))
    # No aws_codebuild entity is collected.
    expected.add(edge(SHARED, "deployment-pipeline", f"aws_codebuild:{SHARED}", "aws_codebuild",
                      "aws_iam_role_trusts_codebuild", "same_account", cross=False, placeholder=True))
    expected.add(edge(PROD, "external-auditor", root(AUDITOR_ACCOUNT), "aws_account", "aws_iam_role_trusts_account",
                      "external_account", cross=True, placeholder=True))
    # dev's vendor-support: everyone, asked only for an ExternalId.
    expected.add(edge(DEV, "vendor-support", "everyone", "everyone", "aws_iam_role_trusts_everyone", "public",
                      cross=True, placeholder=True, flags=("externalIdRequired",)))
    for account in (PROD, SHARED):
        expected.add(edge(account, "org-readonly", "everyone", "everyone", "aws_iam_role_trusts_everyone", "public",
                          cross=True, placeholder=True, flags=("orgRestricted",)))
    return expected


def trusts_rows(sql) -> list[dict[str, Any]]:
    names = ["_key", "_type", "_class", "_fromEntityKey", "_toEntityKey", "_fromEntityType", "_toEntityType",
             "accountId", "trustZone", "crossAccount", "placeholder", "actions", "conditions", *FLAG_NAMES]
    columns = ", ".join(f'"{name}"' for name in names)
    return [dict(zip(names, row)) for row in sql(f"SELECT {columns} FROM {TRUSTS_TABLE}")]


def test_trusts_edges_of_the_simulated_organisation(sql):
    rows = trusts_rows(sql)
    found = {
        (r["_fromEntityKey"], r["_toEntityKey"], r["_type"], r["_toEntityType"], r["accountId"], r["trustZone"],
         r["crossAccount"], r["placeholder"], tuple(name for name in FLAG_NAMES if r[name]), tuple(r["actions"]))
        for r in rows
    }
    assert len(rows) == len(found)
    assert found == expected_edges()
    for r in rows:
        assert r["_key"] == f"{r['_fromEntityKey']}|trusts|{r['_toEntityKey']}"
        assert (r["_class"], r["_fromEntityType"]) == ("TRUSTS", "aws_iam_role")


def test_conditions_travel_with_the_edge_and_the_external_id_stays_redacted(sql):
    conditions = dict(sql(f"SELECT _fromEntityKey, conditions FROM {TRUSTS_TABLE} WHERE accountId = ?", PROD))
    assert json.loads(conditions[role(PROD, INTEGRATION_ROLE_NAME)]) == [
        {"StringEquals": {"sts:ExternalId": "<redacted>"}}]
    assert json.loads(conditions[role(PROD, "admin-escalation")]) == [{"Bool": {"aws:MultiFactorAuthPresent": "true"}}]
    assert json.loads(conditions[role(PROD, "external-auditor")]) == [{}]


def test_every_endpoint_is_an_entity_and_placeholders_are_exactly_the_missing_targets(sql):
    # Both ends of every edge are in `entities`, with the edge's types; placeholders are only the targets no
    # ingested table holds.
    assert sql(
        f"SELECT count(*) FROM {TRUSTS_TABLE} t "
        "LEFT JOIN entities f ON f._key = t._fromEntityKey AND f._type = t._fromEntityType "
        "LEFT JOIN entities e ON e._key = t._toEntityKey AND e._type = t._toEntityType "
        "WHERE f._key IS NULL OR e._key IS NULL"
    ) == [(0,)]
    assert sql(
        f"SELECT count(*) FROM {TRUSTS_TABLE} t "
        f"WHERE t.placeholder <> (t._toEntityKey IN (SELECT _key FROM {PLACEHOLDER_TABLE}))"
    ) == [(0,)]
    assert sql("SELECT count(*) - count(DISTINCT _key) FROM entities") == [(0,)]
    placeholders = {(key, entity_type, tuple(classes), *rest) for key, entity_type, classes, *rest in sql(
        f"SELECT _key, _type, _class, accountId, ingested, reason FROM {PLACEHOLDER_TABLE}")}
    saml = [(f"arn:aws:iam::{account}:saml-provider/okta", "aws_iam_saml_provider", ("Resource",), account, False,
             "aws_iam_saml_provider entities are not collected") for account in ACCOUNTS]
    assert placeholders == {
        (root(OPERATOR_ACCOUNT_ID), "aws_account", ("Account",), OPERATOR_ACCOUNT_ID, False,
         f"account {OPERATOR_ACCOUNT_ID} is not ingested"),
        (root(AUDITOR_ACCOUNT), "aws_account", ("Account",), AUDITOR_ACCOUNT, False,
         f"account {AUDITOR_ACCOUNT} is not ingested"),
        (f"aws_codebuild:{SHARED}", "aws_codebuild", ("Service",), SHARED, False,
         "aws_codebuild entities are not collected"),
        ("everyone", "everyone", ("Everyone",), None, False, "everyone: any principal, as `*` in a trust policy means"),
        *saml,
    }


def test_trusts_are_in_the_relationships_view_and_every_policy_was_read(sql):
    assert sql("SELECT count(*) FROM relationships WHERE _class = 'TRUSTS'") == [(len(expected_edges()),)]
    assert sql(f"SELECT count(*) FROM {PROBLEMS_TABLE}") == [(0,)]


ROLE_CHAIN = f"""
SELECT principalKey, principalType, hops, path
FROM {REACHABILITY_TABLE}
WHERE roleKey = ?
ORDER BY hops, principalKey
"""


def test_role_chaining_codebuild_reaches_prod_through_the_pipeline(sql):
    deploy, pipeline = role(PROD, "cross-account-deploy"), role(SHARED, "deployment-pipeline")
    assert sql(ROLE_CHAIN, deploy) == [
        (pipeline, "aws_iam_role", 1, [deploy, pipeline]),
        (f"aws_codebuild:{SHARED}", "aws_codebuild", 2, [deploy, pipeline, f"aws_codebuild:{SHARED}"]),
    ]
    # The only chains: cross-account-deploy in prod and dev; every other reach is one of the edges.
    assert set(sql(f"SELECT roleKey, hops FROM {REACHABILITY_TABLE} WHERE hops > 1")) == {
        (role(PROD, "cross-account-deploy"), 2), (role(DEV, "cross-account-deploy"), 2)}
    assert sql(f"SELECT count(*) FROM {REACHABILITY_TABLE} WHERE hops = 1") == [(len(expected_edges()),)]


README = REPO / "README.md"


def readme_trust_queries() -> list[tuple[str, str]]:
    """(query, the output block that follows it) for each ```sql block of the README's 'Who trusts whom'."""
    section = README.read_text().split("## Who trusts whom", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)\n```\n```\n(.*?)\n```", section, flags=re.DOTALL)


def shown_cells(output: str) -> list[list[str]]:
    """The data rows of DuckDB's box output (the two header lines dropped), cell by cell."""
    rows = [line for line in output.splitlines() if line.startswith("│")][2:]
    return [[cell.strip() for cell in row.strip("│").split("│")] for row in rows]


def test_the_readme_trust_queries_give_the_output_they_show(sql):
    queries = readme_trust_queries()
    assert len(queries) == 3
    for query, output in queries:
        rows = [[str(value).lower() if isinstance(value, bool) else str(value) for value in row] for row in sql(query)]
        assert rows == shown_cells(output), query


def test_the_asset_is_built_by_sync_reports_zones_and_its_checks_pass(synced):
    defs, instance = synced["defs"], synced["instance"]
    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey(TRUSTS_TABLE))
    assert node.group_name == GROUP
    assert {AssetKey("aws_iam_role"), AssetKey("aws_account")} <= node.parent_keys
    assert graph.get(AssetKey(REACHABILITY_TABLE)).parent_keys == {AssetKey(TRUSTS_TABLE)}
    event = instance.get_latest_materialization_event(AssetKey(TRUSTS_TABLE))
    assert instance.get_run_by_id(event.run_id).job_name == build_graph_job.name
    metadata = event.asset_materialization.metadata
    # Per account: five same-account trusts (three services, alice, the SAML provider) and the operator's
    # external one; plus the pipeline's CodeBuild, two pipeline trusts from shared, the auditor, org-readonly and dev's
    # vendor-support.
    assert metadata["edges_by_trust_zone"].value == {
        "external_account": 3 + 1, "ingested_account": 2, "public": 3, "same_account": 3 * 5 + 1}
    assert metadata["dagster/row_count"].value == len(expected_edges())
    for table in (PLACEHOLDER_TABLE, PROBLEMS_TABLE, REACHABILITY_TABLE):
        assert instance.get_latest_materialization_event(AssetKey(table)).run_id == event.run_id
    record = instance.get_latest_asset_check_evaluation_record(AssetCheckKey(AssetKey(TRUSTS_TABLE), "valid_edges"))
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed
    assert {check: evaluation.metadata[check].value for check in CHECKS} == dict.fromkeys(CHECKS, 0)
    assert synced["report"].graph.failed_checks == []
