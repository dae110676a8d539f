"""The IAM policy analysis end to end: the simulated organisation synced through Dagster, its ALLOWS and DENIES edges
and each principal's reach, as the lake holds them."""

from __future__ import annotations

from dagster import AssetCheckKey, AssetKey

from aws_assets.analysis.access_graph import EDGES_TABLE, PROBLEMS_TABLE
from aws_assets.analysis.evaluation import Result, evaluate
from aws_assets.analysis.principal_access import ACCESS_TABLE
from aws_assets.defs.assets.analysis import GROUP
from aws_assets.defs.jobs import build_graph_job
from aws_assets.graph.edges import CHECKS
from aws_assets.graph.policy_index import load_policy_index
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets_tests.conftest import DEV, PROD, SHARED

ACCOUNT = f"arn:aws:iam::{PROD}:root"


def edges_from(sql, policy_key):
    return sql(
        "SELECT _class, _type, _toEntityKey, actions, read, write, admin, crossAccount, conditional "
        "FROM iam_policy_allows WHERE _fromEntityKey = ? ORDER BY _class, _toEntityKey", policy_key)


def test_the_admin_policy_allows_the_account_and_nothing_else(sql):
    assert edges_from(sql, f"arn:aws:iam::{PROD}:policy/acme-admin-access") == [
        ("ALLOWS", "aws_iam_policy_allows_account", ACCOUNT, ["*"], True, True, True, False, False)]


def test_a_bucket_scoped_policy_reaches_exactly_its_bucket(sql):
    key = f"arn:aws:iam::{PROD}:role/aws-config-recorder:inline-policy/deliver-config-snapshots"
    assert edges_from(sql, key) == [
        ("ALLOWS", "aws_iam_role_policy_allows_s3_bucket", "arn:aws:s3:::acme-prod-access-logs", ["s3:PutObject"],
         False, True, False, False, False)]
    # The artifacts bucket the developers' policy names is not in the lake: the policy reaches nothing.
    assert edges_from(sql, f"arn:aws:iam::{PROD}:policy/acme-s3-read-artifacts") == []


def test_a_table_prefix_reaches_the_accounts_matching_tables(sql):
    reached = {row[2] for row in edges_from(sql, f"arn:aws:iam::{PROD}:policy/acme-dynamodb-read-write")}
    expected = {key for (key,) in sql(
        "SELECT _key FROM aws_dynamodb_table WHERE accountId = ? AND tableName LIKE 'prod-%'", PROD)}
    assert expected and reached == expected
    assert not sql("SELECT 1 FROM aws_dynamodb_table WHERE accountId = ? AND tableName NOT LIKE 'prod-%' AND _key IN "
                   "(SELECT _toEntityKey FROM iam_policy_allows)", PROD)


def test_the_audit_policy_reaches_each_collected_service_and_the_account_for_sts(sql):
    audit_edges = edges_from(sql, f"arn:aws:iam::{PROD}:policy/aws-assets-security-audit")
    targets = {(row[2], tuple(row[3])) for row in audit_edges}
    assert (f"aws_ec2:{PROD}", ("ec2:Describe*",)) in targets
    assert (ACCOUNT, ("sts:GetCallerIdentity",)) in targets
    assert {target for target, _ in targets} == {
        ACCOUNT,
        *(f"aws_{s}:{PROD}" for s in ("apigateway", "config", "dynamodb", "ec2", "iam", "lambda", "rds", "s3")),
    }
    assert all(row[4] and not row[5] for row in audit_edges)


def test_the_pipeline_may_assume_the_deploy_role_of_each_workload_account(sql):
    rows = edges_from(sql, f"arn:aws:iam::{SHARED}:role/deployment-pipeline:inline-policy/assume-deploy-roles")
    assert [(row[2], row[7]) for row in rows] == [
        (f"arn:aws:iam::{PROD}:role/cross-account-deploy", True),
        (f"arn:aws:iam::{DEV}:role/cross-account-deploy", True),
    ]


def test_a_user_reaches_through_a_group_and_the_mfa_deny_is_conditional(sql):
    bob = f"arn:aws:iam::{PROD}:user/bob.smith@example.com"
    tables = sql("SELECT _key FROM aws_dynamodb_table WHERE accountId = ? AND tableName LIKE 'prod-%' ORDER BY 1", PROD)
    rows = sql("SELECT targetKey, via, grantedBy, list_contains(actions, 'dynamodb:PutItem') FROM principal_access "
               "WHERE principalKey = ? AND targetType = 'aws_dynamodb_table' ORDER BY ALL", bob)
    assert tables and rows == [(key, ["group:developers"], "identity", True) for (key,) in tables]
    # The admins' "Deny unless MFA" reads a key the lake cannot know: every action alice's admin policy allows is
    # conditional on it (on a role, the trust actions its trust policy does not allow stay denied by the Deny).
    alice = f"arn:aws:iam::{PROD}:user/alice"
    alice_rows = sql("SELECT targetKey, len(actions), len(conditionalActions), len(deniedActions), conditionKeys, via "
                     "FROM principal_access WHERE principalKey = ?", alice)
    assert alice_rows and not any(allowed for _, allowed, *_ in alice_rows)
    conditional = [row for row in alice_rows if row[2]]
    assert conditional and all("aws:MultiFactorAuthPresent" in row[4] and "group:admins" in row[5]
                               for row in conditional)
    assert [row[5] for row in alice_rows if row[0] == alice] == [["group:admins", "inline"]]
    # The break-glass user holds the admin policy directly: every action on its account's entities (but changes to
    # what AWS owns), and only what their resource policies grant in other accounts.
    glass = sql("SELECT via, crossAccount, admin, count(*) FROM principal_access WHERE principalKey = ? "
                "GROUP BY ALL ORDER BY ALL", f"arn:aws:iam::{PROD}:user/break-glass")
    assert glass and all(via == ["attached"] for via, *_ in glass)
    assert [(cross, admin) for _, cross, admin, _ in glass if admin] == [(False, True)]
    assert not any(admin for _, cross, admin, _ in glass if cross)


def test_principal_access_rows_agree_with_the_evaluator(sql, synced, tmp_path):
    index = load_policy_index(LakeSnapshot(synced["lake"], str(tmp_path)))
    rows = sql("SELECT principalArn, targetArn, actions, conditionalActions, deniedActions FROM principal_access "
               "USING SAMPLE 40 ROWS (reservoir, 7)")
    assert rows
    for principal, target, actions, conditional, denied in rows:
        for listed, wanted in ((actions, "allowed"), (conditional, "conditional"), (denied, "denied")):
            for action in listed:
                assembled = index.assemble(principal, action, target)
                decision = evaluate(assembled.request, assembled.policies)
                found = "allowed" if decision.allowed else "conditional" if (
                    decision.conditional and decision.conditional.best_case is Result.ALLOWED) else (
                    "denied" if decision.result is Result.EXPLICITLY_DENIED else None)
                assert found == wanted, (principal, action, target)


def test_edges_join_the_relationships_view_and_every_policy_was_read(sql):
    policy_edges = "SELECT count(*) FROM relationships WHERE _class IN ('ALLOWS', 'DENIES') AND _type LIKE 'aws_iam_%'"
    assert sql(policy_edges) == sql("SELECT count(*) FROM iam_policy_allows")
    assert sql("SELECT count(*) FROM access_policy_problems") == [(0,)]
    assert sql("SELECT count(*) FROM findings WHERE ruleId = 'AWS-IAM-008'") == [(0,)]
    assert not sql("SELECT _toEntityKey FROM iam_policy_allows WHERE _toEntityKey NOT IN (SELECT _key FROM entities)")


def test_the_asset_is_built_by_sync_and_its_checks_pass(synced):
    defs, instance = synced["defs"], synced["instance"]
    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey(EDGES_TABLE))
    assert node.group_name == GROUP
    assert {AssetKey("aws_iam_policy"), AssetKey("aws_iam_role_policy"), AssetKey("aws_s3_bucket")} <= node.parent_keys
    event = instance.get_latest_materialization_event(AssetKey(EDGES_TABLE))
    assert instance.get_run_by_id(event.run_id).job_name == build_graph_job.name
    metadata = event.asset_materialization.metadata
    # admin and audit (sts), per account; prod's CloudTrail reads (acme-security-operations) and AWSSupportAccess,
    # dev's AWSCloudShellFullAccess and shared's cloudtrail:* (aws_assets/sim/estate/iam.py)
    assert metadata["edges_by_type"].value["aws_iam_policy_allows_account"] == 3 * 2 + 4
    assert metadata["edges_by_verb"].value["DENIES"] == 3  # the admins' require-mfa, per account
    for table in (ACCESS_TABLE, PROBLEMS_TABLE):
        assert instance.get_latest_materialization_event(AssetKey(table)).run_id == event.run_id
    record = instance.get_latest_asset_check_evaluation_record(AssetCheckKey(AssetKey(EDGES_TABLE), "valid_edges"))
    evaluation = record.event.dagster_event.event_specific_data
    assert evaluation.passed
    assert {check: evaluation.metadata[check].value for check in CHECKS} == dict.fromkeys(CHECKS, 0)
    assert synced["report"].graph.failed_checks == []
