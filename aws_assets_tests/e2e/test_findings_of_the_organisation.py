"""The findings of the simulated organisation, synced through Dagster: the rules over a real lake."""

from __future__ import annotations

import json
from collections import Counter

from dagster import (
    AssetCheckKey,
    AssetCheckSeverity,
    AssetMaterialization,
    AssetSelection,
    evaluate_automation_conditions,
)

from aws_assets.analysis.findings import (
    FINDINGS_SCHEMA,
    RULES,
    SEVERITIES,
    tables_read,
)
from aws_assets.app.report import findings_summary
from aws_assets.defs.assets.findings import FINDINGS_KEY, GROUP, read_tables
from aws_assets.defs.jobs import build_graph_job
from aws_assets.defs.partitions import account_region_key
from aws_assets.graph.tables import open_lake
from aws_assets_tests.conftest import DEV, PROD, SHARED
from aws_assets_tests.e2e.test_relationships import (
    ACCOUNTS,
    ENGINEERS,
    ENVS,
    PLACES,
    RDS_PLACES,
    WEB_AND_WORKER_INSTANCES,
)
from aws_assets_tests.unit.test_findings import DAY, RULE_IDS, found

# ------------------------------------------------------------------------------------------------------------------
# The simulated organisation, synced through Dagster
# ------------------------------------------------------------------------------------------------------------------

CONSOLE_USERS_WITHOUT_MFA = ("bob.smith@example.com", "break-glass")
# The roles each account shares outside its zone of trust (the account: the lake holds no organisation).
SHARED_ROLES = {account: {"aws-assets-readonly"} for account in ACCOUNTS}
SHARED_ROLES[PROD] |= {"external-auditor", "cross-account-deploy", "org-readonly"}
SHARED_ROLES[DEV] |= {"cross-account-deploy"}
SHARED_ROLES[SHARED] |= {"org-readonly"}


def console_users_without_mfa(account: str) -> set[str]:
    """bob and break-glass have console passwords and no MFA; of the engineers (all with console), the odd ones hold
    an access key and the even ones an MFA device."""
    engineers = {f"engineer-{n:02d}" for n in range(1, ENGINEERS[account] + 1) if n % 2}
    return {f"arn:aws:iam::{account}:user/{name}" for name in {*CONSOLE_USERS_WITHOUT_MFA, *engineers}}


def active_access_keys(account: str) -> int:
    """alice's key, ci-deploy's active ones (dev's two mid-rotation; elsewhere its other is inactive) and the odd
    engineers' keys."""
    return 2 + (account == DEV) + len([n for n in range(1, ENGINEERS[account] + 1) if n % 2])


def ci_deploy_keys(sql, account: str, older_than_days: int) -> set[tuple[str, str]]:
    """(account, key) of ci-deploy's active keys made more than `older_than_days` ago (aws_assets/sim/estate/iam.py:
    prod's is 400 days old and used yesterday, dev's old one 400 days old and last used 100 days ago)."""
    return set(sql("SELECT accountId, _key FROM aws_iam_access_key WHERE accountId = ? AND userName = 'ci-deploy' "
                   "AND active AND createdOn < now() - to_days(?)", account, older_than_days))


def findings_of(sql, rule_id: str) -> set[tuple[str, str]]:
    return set(sql("SELECT accountId, resourceKey FROM findings WHERE ruleId = ?", rule_id))


def test_the_simulated_organisation_has_exactly_the_findings_its_estate_implies(sql):
    # Trust: external-auditor trusts 999999999999 without ExternalId; aws-assets-readonly trusts the operator with
    # one (redacted in the lake); org-readonly trusts {"AWS": "*"} under aws:PrincipalOrgID, dev's vendor-support
    # under nothing but an ExternalId, which does not restrict who.
    assert findings_of(sql, "AWS-IAM-001") == {(DEV, f"arn:aws:iam::{DEV}:role/vendor-support")}
    assert sql("SELECT count(*) FROM aws_iam_role WHERE roleName = 'org-readonly'") == [(2,)]
    assert findings_of(sql, "AWS-IAM-002") == {(PROD, f"arn:aws:iam::{PROD}:role/external-auditor")}
    assert findings_of(sql, "AWS-IAM-003") == set()
    assert findings_of(sql, "AWS-IAM-004") == {
        (account, key) for account in ACCOUNTS for key in console_users_without_mfa(account)}
    # The keys were made while seeding, but ci-deploy's old ones (aws_assets/sim/estate/iam.py): prod's was used
    # yesterday, dev's not for 100 days; its successor in dev is 80 days old.
    assert findings_of(sql, "AWS-IAM-005") == ci_deploy_keys(sql, DEV, 300)
    assert findings_of(sql, "AWS-IAM-006") == ci_deploy_keys(sql, PROD, 300) | ci_deploy_keys(sql, DEV, 300)
    assert len(ci_deploy_keys(sql, DEV, 0)) == 2 and len(findings_of(sql, "AWS-IAM-006")) == 2
    assert findings_of(sql, "AWS-IAM-007") == {
        (account, f"arn:aws:iam::{account}:user/break-glass") for account in ACCOUNTS}
    assert findings_of(sql, "AWS-S3-001") == {
        (account, f"arn:aws:s3:::acme-{ENVS[account]}-{name}") for account in ACCOUNTS
        for name in ("website", "public-downloads")}
    assert findings_of(sql, "AWS-RDS-001") == {
        (account, f"arn:aws:rds:{region}:{account}:db:{ENVS[account]}-legacy-reporting")
        for account, region in RDS_PLACES}
    # Only the bastion groups open anything sensitive (22) to the world; web-https opens 443, app and database admit
    # groups and a prefix list.
    bastion_groups = set(sql("SELECT accountId, _key FROM aws_security_group WHERE groupName LIKE '%-bastion-ssh'"))
    assert len(bastion_groups) == len(PLACES)
    assert findings_of(sql, "AWS-EC2-001") == bastion_groups
    # dev's reporting-postgres group opens 5432 to the world; the database groups admit only the app group.
    assert findings_of(sql, "AWS-EC2-002") == set(sql(
        "SELECT accountId, _key FROM aws_security_group WHERE groupName = 'dev-reporting-postgres'"))
    assert len(findings_of(sql, "AWS-EC2-002")) == 1
    assert findings_of(sql, "AWS-DYNAMODB-001") == set()  # AWS encrypts every table
    # External access. The accounts are in no organisation the lake holds (aws_assets/sim/estate/organizations.py),
    # so each is its own zone of trust. The website buckets are public; every account's integration role trusts the
    # operator account (its ExternalId does not narrow who), prod's external-auditor an unseeded account, the
    # cross-account-deploy roles the shared account's pipeline, and org-readonly every principal of an organisation
    # that is not the zone; okta-engineer trusts a SAML provider. The Lambda permission for API Gateway pins
    # aws:SourceArn to the account, and the service roles are trusted by services.
    # Resource policies (aws_assets/sim/estate): prod's order API has a function URL anyone may call; each account's
    # orders topic lets the partner account publish; prod's release-artifacts key lets the shared account decrypt,
    # prod's database secret is readable by the partner, the shared base-images repository by the organisation
    # (which is not the zone); the queue that only its own topic may send to is inside the zone.
    assert sql("SELECT count(*) FROM aws_organization_account") == [(0,)]
    # The website buckets are public by their policy, the downloads buckets by their ACL (`public-read`).
    assert findings_of(sql, "AWS-ACCESS-001") == {
        (account, f"arn:aws:s3:::acme-{ENVS[account]}-{bucket}") for account in ACCOUNTS
        for bucket in ("website", "public-downloads")} | {
        (PROD, f"arn:aws:lambda:us-east-1:{PROD}:function:prod-orders-api")}
    [(release_key,)] = sql("SELECT k.arn FROM aws_kms_key k WHERE list_contains(k.aliases, "
                           "'alias/prod-release-artifacts')")
    [(database_secret,)] = sql("SELECT arn FROM aws_secretsmanager_secret WHERE name = 'prod/orders/db'")
    assert findings_of(sql, "AWS-ACCESS-003") == {
        (account, f"arn:aws:iam::{account}:role/{role}") for account, roles in SHARED_ROLES.items() for role in roles
    } | {(account, f"arn:aws:sns:us-east-1:{account}:{ENVS[account]}-orders") for account in ACCOUNTS} | {
        (PROD, release_key), (PROD, database_secret),
        (SHARED, f"arn:aws:ecr:us-east-1:{SHARED}:repository/shared/base-images")}
    assert findings_of(sql, "AWS-ACCESS-004") == {
        (account, f"arn:aws:iam::{account}:role/okta-engineer") for account in ACCOUNTS}
    # dev's vendor-support role lets everyone in under an ExternalId; EventBridge may publish to prod's alerts topic
    # for any account's rule.
    assert findings_of(sql, "AWS-ACCESS-002") == {(DEV, f"arn:aws:iam::{DEV}:role/vendor-support")}
    assert findings_of(sql, "AWS-ACCESS-005") == {(PROD, f"arn:aws:sns:us-east-1:{PROD}:prod-security-alerts")}


def test_each_bastion_group_finding_lists_the_bastion_it_exposes(sql):
    rows = sql("SELECT f.accountId, f.region, f.evidence FROM findings f WHERE f.ruleId = 'AWS-EC2-001'")
    for account, region, evidence_text in rows:
        evidence = json.loads(evidence_text)
        bastion = sql("SELECT _key FROM aws_instance WHERE accountId = ? AND region = ? AND displayName = ?",
                      account, region, f"{ENVS[account]}-bastion")
        assert evidence["exposedInstances"] == [bastion[0][0]], (account, region)
        assert evidence["groupName"] == f"{ENVS[account]}-bastion-ssh"
        assert [(r["source"], [p["port"] for p in r["ports"]]) for r in evidence["openRules"]] == [("0.0.0.0/0", [22])]


def test_the_unencrypted_volumes_are_the_bastions_the_web_roots_and_the_unattached_one(sql):
    # Per region: the bastion's root and its 10 GiB home volume, and each web host's root; workers encrypt both of
    # theirs. prod us-east-1 also holds one unattached unencrypted volume.
    expected: Counter[tuple[str, str, str]] = Counter()
    for account, region in PLACES:
        env = ENVS[account]
        web, _ = WEB_AND_WORKER_INSTANCES[account][region]
        expected[(account, region, f"{env}-bastion")] = 2
        expected.update({(account, region, f"{env}-web-{n:02d}"): 1 for n in range(1, web + 1)})
    expected[(PROD, "us-east-1", "(unattached)")] = 1
    flagged = sql("""
        SELECT f.accountId, f.region, coalesce(i.displayName, '(unattached)')
        FROM findings f JOIN aws_ebs_volume v ON v._key = f.resourceKey
        LEFT JOIN aws_instance i ON i.accountId = v.accountId AND i.region = v.region
         AND list_contains(v.attachedInstanceIds, i.instanceId)
        WHERE f.ruleId = 'AWS-EC2-003'""")
    assert Counter(flagged) == expected
    assert sum(expected.values()) == 24


def test_a_public_bucket_finding_names_the_policy_or_the_acl(sql):
    rows = dict(sql("SELECT resourceKey, evidence FROM findings WHERE ruleId = 'AWS-S3-001'"))
    for account in ACCOUNTS:
        website = json.loads(rows[f"arn:aws:s3:::acme-{ENVS[account]}-website"])
        downloads = json.loads(rows[f"arn:aws:s3:::acme-{ENVS[account]}-public-downloads"])
        assert (website["publicThrough"], downloads["publicThrough"]) == (["policy"], ["acl"])
        assert [s["statement"]["Principal"] for s in website["publicStatements"]] == ["*"]
        assert [g["grantee"] for g in downloads["publicGrants"]] == ["http://acs.amazonaws.com/groups/global/AllUsers"]


def test_the_lake_rows_flag_every_active_key_once_they_are_90_days_old(synced):
    tables = read_tables(open_lake(synced["lake"].root), tables_read())
    created = [key["createdOn"] for key in tables["aws_iam_access_key"]]
    expected = sum(active_access_keys(account) for account in ACCOUNTS)
    for rule_id in ("AWS-IAM-005", "AWS-IAM-006"):
        assert found(tables, rule_id, min(created) + 90 * DAY) == {}  # the oldest key is not OLDER than 90 days
        flagged = found(tables, rule_id, max(created) + 91 * DAY)
        assert len(flagged) == expected == 11
        assert {evidence["userName"] for evidence in flagged.values()} == {
            "alice", "ci-deploy", "engineer-01", "engineer-03"}


# The rules this file checks resource by resource; test_posture_of_the_organisation.py checks the others.
TRUST_EXPOSURE_AND_ENCRYPTION_RULES = (
    "AWS-IAM-001", "AWS-IAM-002", "AWS-IAM-003", "AWS-IAM-004", "AWS-IAM-005", "AWS-IAM-006", "AWS-IAM-007",
    "AWS-IAM-008", "AWS-EC2-001", "AWS-EC2-002", "AWS-EC2-003", "AWS-S3-001", "AWS-ACCESS-001", "AWS-ACCESS-002",
    "AWS-ACCESS-003", "AWS-ACCESS-004", "AWS-ACCESS-005", "AWS-RDS-001", "AWS-DYNAMODB-001",
)


def expected_counts() -> dict[str, int]:
    """Per rule of TRUST_EXPOSURE_AND_ENCRYPTION_RULES, what the estate implies (the test above checks which
    resources)."""
    return {rule_id: 0 for rule_id in TRUST_EXPOSURE_AND_ENCRYPTION_RULES} | {
        "AWS-IAM-001": 1,  # dev's vendor-support
        "AWS-IAM-002": 1,
        "AWS-IAM-004": sum(len(console_users_without_mfa(account)) for account in ACCOUNTS),
        "AWS-IAM-005": 1,  # dev's old ci-deploy key
        "AWS-IAM-006": 2,  # and prod's
        "AWS-IAM-007": len(ACCOUNTS),
        "AWS-EC2-002": 1,  # dev-reporting-postgres
        "AWS-EC2-001": len(PLACES),
        "AWS-EC2-003": 24,
        "AWS-S3-001": 2 * len(ACCOUNTS),
        "AWS-RDS-001": len(RDS_PLACES),
        "AWS-ACCESS-001": 2 * len(ACCOUNTS) + 1,  # the website and downloads buckets, and prod's function URL
        "AWS-ACCESS-002": 1,  # dev's vendor-support
        # the shared roles, each account's orders topic, prod's release key and secret, the shared repository
        "AWS-ACCESS-003": sum(map(len, SHARED_ROLES.values())) + len(ACCOUNTS) + 3,
        "AWS-ACCESS-004": len(ACCOUNTS),
        "AWS-ACCESS-005": 1,  # prod's security alerts topic
    }


def test_the_asset_records_counts_per_severity_and_warns_per_rule(synced, sql):
    instance, defs = synced["instance"], synced["defs"]
    node = defs.resolve_asset_graph().get(FINDINGS_KEY)
    assert node.group_name == GROUP
    assert {key.to_user_string() for key in node.parent_keys} == set(tables_read())

    event = instance.get_latest_materialization_event(FINDINGS_KEY)
    assert instance.get_run_by_id(event.run_id).job_name == build_graph_job.name
    metadata = event.asset_materialization.metadata
    per_rule = dict(sql("SELECT ruleId, count(*) FROM findings GROUP BY ruleId"))
    per_rule = {rule_id: per_rule.get(rule_id, 0) for rule_id in RULE_IDS}
    assert {rule_id: per_rule[rule_id] for rule_id in TRUST_EXPOSURE_AND_ENCRYPTION_RULES} == expected_counts()
    per_severity = dict(sql("SELECT severity, count(*) FROM findings GROUP BY severity"))
    assert {severity: metadata[f"findings/{severity}"].value for severity in SEVERITIES} == {
        severity: per_severity.get(severity, 0) for severity in SEVERITIES}
    assert metadata["findings_by_rule"].value == per_rule
    assert metadata["dagster/row_count"].value == sum(per_rule.values()) == sql("SELECT count(*) FROM findings")[0][0]

    for rule in RULES:
        record = instance.get_latest_asset_check_evaluation_record(AssetCheckKey(FINDINGS_KEY, rule.check_name))
        evaluation = record.event.dagster_event.event_specific_data
        assert record.run_id == event.run_id
        assert evaluation.severity == AssetCheckSeverity.WARN
        assert (evaluation.passed, evaluation.metadata["findings"].value) == (
            per_rule[rule.id] == 0, per_rule[rule.id]), rule.id
    # Warnings are findings in AWS, not a broken graph: the sync still succeeds.
    assert synced["report"].ok
    assert synced["report"].graph.failed_checks == []


def test_the_findings_view_has_the_schema_and_one_row_per_rule_and_resource(synced, sql):
    columns = [name for name, *_ in sql("DESCRIBE findings")]
    assert columns == FINDINGS_SCHEMA.names
    assert sql("SELECT count(*) = count(DISTINCT findingId), count(DISTINCT observedAt) FROM findings") == [(True, 1)]
    assert sql("SELECT count(*) FROM findings WHERE findingId <> substr(sha256(ruleId || '|' || resourceKey), 1, 32)"
               ) == [(0,)]
    counts = dict(sql("SELECT severity, count(*) FROM findings GROUP BY severity"))
    assert findings_summary(open_lake(synced["lake"].root)) == (
        f"findings: {sum(counts.values())} (" + ", ".join(f"{counts.get(s, 0)} {s}" for s in SEVERITIES) + ")")


def test_a_new_partition_of_a_table_the_rules_read_requests_the_findings(synced):
    defs, instance = synced["defs"], synced["instance"]
    selection = AssetSelection.assets(FINDINGS_KEY)
    settled = evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=selection)
    settled = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=settled.cursor)
    assert settled.get_num_requested(FINDINGS_KEY) == 0  # the sync computed them after the last partition
    # A volume partition materialized (recorded without a run: re-collecting would reach a moto that other tests
    # have reset since, and empty the partition under the tests that follow).
    instance.report_runless_asset_event(
        AssetMaterialization("aws_ebs_volume", partition=account_region_key(PROD, "ap-southeast-2")))
    result = evaluate_automation_conditions(
        defs=defs, instance=instance, asset_selection=selection, cursor=settled.cursor)
    assert result.get_num_requested(FINDINGS_KEY) == 1
