"""The posture rules and CIS compliance on the synced simulated organisation (aws_assets/sim/organisation.py): each
rule fires where the estate has the problem and spares the near misses the estate holds beside it."""

from __future__ import annotations

import json

from aws_assets.analysis.compliance import COMPLIANCE_SCHEMA
from aws_assets.defs.assets.compliance import COMPLIANCE_KEY
from aws_assets_tests.conftest import DEV, PROD, SHARED
from aws_assets_tests.e2e.test_findings_of_the_organisation import findings_of
from aws_assets_tests.e2e.test_relationships import ACCOUNTS, ENVS


def everywhere(sql, query: str) -> set[tuple[str, str]]:
    """(account, _key) of the rows a query selects."""
    return set(sql(query))


def test_policies_granting_too_much_are_the_admin_policy_and_not_its_near_misses(sql):
    # acme-admin-access (Allow * on *) is attached to the admins group, admin-escalation and break-glass; the admins
    # group's require-mfa policy denies everything without MFA (a Deny grants nothing), the other customer policies
    # are scoped. shared's auditors group holds kms:* and cloudtrail:*; prod's admin-escalation holds kms:* only with
    # MFA and read-only CloudTrail (acme-security-operations), which neither rule flags.
    assert findings_of(sql, "AWS-IAM-018") == {
        (account, f"arn:aws:iam::{account}:policy/acme-admin-access") for account in ACCOUNTS}
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-IAM-018' AND accountId = ?", ACCOUNTS[0])
    assert json.loads(evidence)["attachedTo"] == [
        f"arn:aws:iam::{ACCOUNTS[0]}:{kind}" for kind in ("group/admins", "role/admin-escalation", "user/break-glass")]
    assert sql("SELECT count(*) FROM aws_iam_group_policy WHERE policyName = 'require-mfa'") == [(len(ACCOUNTS),)]
    policy = f"arn:aws:iam::{SHARED}:policy/acme-{{}}-full-access"
    assert findings_of(sql, "AWS-IAM-019") == {(SHARED, policy.format("kms"))}
    assert findings_of(sql, "AWS-IAM-020") == {(SHARED, policy.format("cloudtrail"))}
    attached = {key: json.loads(e)["attachedTo"] for key, e in sql(
        "SELECT resourceKey, evidence FROM findings WHERE ruleId IN ('AWS-IAM-019', 'AWS-IAM-020')")}
    assert attached == {policy.format(service): [f"arn:aws:iam::{SHARED}:group/auditors"]
                        for service in ("kms", "cloudtrail")}
    assert sql("SELECT count(*) FROM aws_iam_policy WHERE policyName = 'acme-security-operations' "
               "AND attachmentCount > 0") == [(1,)]


def test_lambda_variables_named_like_secrets_are_flagged_and_the_others_are_not(sql):
    names = {account: json.loads(evidence)["variableNames"] for account, evidence in sql(
        "SELECT resourceKey, evidence FROM findings WHERE ruleId = 'AWS-LAMBDA-001'")}
    assert names == {
        **{f"arn:aws:lambda:us-east-1:{a}:function:{ENVS[a]}-orders-api": ["DB_PASSWORD"] for a in ACCOUNTS},
        **{f"arn:aws:lambda:us-east-1:{a}:function:{ENVS[a]}-orders-worker": ["API_TOKEN"] for a in ACCOUNTS},
    }
    # LOG_LEVEL and STAGE sit beside them.
    assert {name for (name,) in sql("SELECT DISTINCT unnest(environmentVariableNames) FROM aws_lambda_function")} == {
        "DB_PASSWORD", "API_TOKEN", "LOG_LEVEL", "STAGE"}


def test_only_the_release_key_does_not_rotate(sql):
    [(release_key,)] = sql("SELECT arn FROM aws_kms_key WHERE list_contains(aliases, 'alias/prod-release-artifacts')")
    assert findings_of(sql, "AWS-KMS-001") == {(ACCOUNTS[0], release_key)}
    assert sql("SELECT count(*) > 0 FROM aws_kms_key WHERE keyManager = 'CUSTOMER' AND rotationEnabled") == [(True,)]


def test_network_rules_follow_the_collected_settings(sql):
    # moto launches instances with IMDSv1 allowed (the workers require tokens) and creates every default group with its
    # allow-all egress rule.
    assert findings_of(sql, "AWS-EC2-004") == everywhere(
        sql, "SELECT accountId, _key FROM aws_instance WHERE metadataHttpTokens = 'optional'")
    assert findings_of(sql, "AWS-EC2-005") == everywhere(
        sql, "SELECT accountId, _key FROM aws_security_group WHERE isDefault")
    assert findings_of(sql, "AWS-EC2-006") == everywhere(
        sql, "SELECT accountId, _key FROM aws_instance WHERE publicIpAddress IS NOT NULL AND state <> 'terminated'")
    assert findings_of(sql, "AWS-EC2-007") == everywhere(
        sql, "SELECT accountId, _key FROM aws_subnet WHERE mapPublicIpOnLaunch")
    assert findings_of(sql, "AWS-EC2-009") == everywhere(
        sql, "SELECT accountId, _key FROM aws_instance WHERE instanceProfileArn IS NULL AND state <> 'terminated'")
    # Near misses the estate holds: private subnets, instances with a role, custom groups with rules.
    assert sql("SELECT count_if(NOT mapPublicIpOnLaunch) > 0 FROM aws_subnet") == [(True,)]
    assert sql("SELECT count_if(instanceProfileArn IS NOT NULL) > 0 FROM aws_instance") == [(True,)]
    assert sql("SELECT count_if(metadataHttpTokens = 'required') > 0 FROM aws_instance") == [(True,)]
    # shared's file share opens 445 to the world; prod's admits only its VPC.
    groups = dict(sql("SELECT groupName, _key FROM aws_security_group WHERE groupName LIKE '%-file-share'"))
    assert findings_of(sql, "AWS-EC2-008") == {(SHARED, groups["shared-file-share"])}
    assert "prod-file-share" in groups


def test_bucket_rules_spare_the_buckets_the_block_covers(sql):
    # The website and public-downloads buckets turn their public access block off; the others keep all four on.
    assert findings_of(sql, "AWS-S3-002") == {
        (a, f"arn:aws:s3:::acme-{ENVS[a]}-{name}") for a in ACCOUNTS for name in ("website", "public-downloads")}
    # The customer-data buckets deny requests without TLS; the website's policy grants public reads and denies
    # nothing, and the other buckets have no policy.
    assert findings_of(sql, "AWS-S3-003") == everywhere(
        sql, "SELECT accountId, _key FROM aws_s3_bucket WHERE bucketName NOT LIKE '%-customer-data'")
    # The customer-data buckets disable ACLs; only prod's needs MFA to delete versions.
    assert findings_of(sql, "AWS-S3-007") == everywhere(
        sql, "SELECT accountId, _key FROM aws_s3_bucket WHERE bucketName NOT LIKE '%-customer-data'")
    assert findings_of(sql, "AWS-S3-006") == everywhere(
        sql, "SELECT accountId, _key FROM aws_s3_bucket WHERE bucketName <> 'acme-prod-customer-data'")
    assert findings_of(sql, "AWS-S3-004") == everywhere(
        sql, "SELECT accountId, _key FROM aws_s3_bucket WHERE NOT loggingEnabled")
    assert sql("SELECT count_if(loggingEnabled) > 0 FROM aws_s3_bucket") == [(True,)]


def test_account_posture_of_the_strong_weak_and_missing_password_policies_and_root_mfa(sql):
    every_account = {(a, f"arn:aws:iam::{a}:root") for a in ACCOUNTS}

    def accounts(*which: str) -> set[tuple[str, str]]:
        return {(a, f"arn:aws:iam::{a}:root") for a in which}

    # prod's password policy meets CIS, dev's is weak (8 characters, no symbols, no reuse rule, no expiry), shared
    # has none (aws_assets/sim/estate/iam.py); prod's and dev's root users have MFA, dev's an access key too; only
    # prod's admins hold AWSSupportAccess.
    assert sql("SELECT count_if(passwordPolicyPresent), count_if(rootMfaEnabled) FROM aws_account") == [(2, 2)]
    assert findings_of(sql, "AWS-IAM-010") == accounts(SHARED)
    assert findings_of(sql, "AWS-IAM-021") == accounts(DEV, SHARED)
    for rule_id in ("AWS-IAM-011", "AWS-IAM-012", "AWS-IAM-013"):
        assert findings_of(sql, rule_id) == every_account - accounts(PROD), rule_id
    assert findings_of(sql, "AWS-IAM-009") == accounts(DEV)
    # alice, break-glass and ci-deploy hold policies of their own; the engineers get theirs through groups.
    assert findings_of(sql, "AWS-IAM-017") == {
        (a, f"arn:aws:iam::{a}:user/{name}") for a in ACCOUNTS for name in ("alice", "break-glass", "ci-deploy")}
    # Keys the seeder made with their console users and never used: alice's and the odd engineers'; ci-deploy has no
    # console password.
    made_with_user = {key for _, key in findings_of(sql, "AWS-IAM-014")}
    owners = {name for (name,) in sql("SELECT userName FROM aws_iam_access_key WHERE _key IN "
                                      f"({', '.join(repr(k) for k in made_with_user)})")}
    assert "ci-deploy" not in owners and "alice" in owners


def test_service_roles_without_a_source_condition_are_flagged_and_service_linked_ones_are_not(sql):
    flagged = {key.rsplit("/", 1)[1] for _, key in findings_of(sql, "AWS-IAM-023")}
    assert {"lambda-execution", "ec2-app", "aws-config-recorder"} <= flagged
    service_linked = {name for (name,) in sql("SELECT roleName FROM aws_iam_role WHERE serviceLinked")}
    assert not flagged & service_linked


def test_public_apis_without_authorization_and_public_databases(sql):
    # prod's orders API authorizes every method with IAM; the other APIs authorize none.
    assert findings_of(sql, "AWS-APIGW-001") == everywhere(
        sql, "SELECT accountId, _key FROM aws_api_gateway_rest_api WHERE name <> 'prod-orders-api'")
    assert findings_of(sql, "AWS-RDS-002") == everywhere(
        sql, "SELECT accountId, _key FROM aws_db_instance WHERE publiclyAccessible")
    assert sql("SELECT count_if(NOT publiclyAccessible) > 0 FROM aws_db_instance") == [(True,)]


def test_compliance_of_the_organisation(synced, sql):
    assert [name for name, *_ in sql("DESCRIBE compliance")] == COMPLIANCE_SCHEMA.names
    status = dict(((control, account), s) for control, account, s in sql(
        "SELECT controlId, accountId, status FROM compliance WHERE framework = 'cis-aws-4.0' AND region = 'all'"))
    for account in ACCOUNTS:
        assert (status[("1.4", account)], status[("1.5", account)], status[("1.2", account)]) == (
            "fail" if account == DEV else "pass", "fail" if account == SHARED else "pass", "not-assessed")
        assert status[("1.6", account)] == ("pass" if account == PROD else "fail")  # prod's hardware device
        assert status[("1.7", account)] == ("fail" if account == DEV else "pass")  # dev's root key, used lately
        assert status[("3.1", account)] == ("pass" if account == ACCOUNTS[0] else "fail")  # prod's trail
        assert status[("5.3", account)] == "fail"  # the bastion groups open SSH to 0.0.0.0/0
        assert status[("5.4", account)] == "pass"  # and none to ::/0
    metadata = synced["instance"].get_latest_materialization_event(COMPLIANCE_KEY).asset_materialization.metadata
    for account in ACCOUNTS:
        assert 0 < metadata[f"compliance/cis-aws-4.0/{account}"].value < 100


def test_old_unused_and_doubled_credentials_and_the_recent_ones_beside_them(sql):
    # aws_assets/sim/estate/iam.py: dev's ci-deploy is mid-rotation, its old key last used 100 days ago beside its
    # 80-day-old successor; prod's dave last signed in 60 days ago, bob 2 days ago; prod's ci-deploy key (400 days
    # old) was used yesterday.
    keys = {(a, made): key for a, made, key in sql(
        "SELECT accountId, createdOn < now() - INTERVAL 300 DAY, _key FROM aws_iam_access_key "
        "WHERE userName = 'ci-deploy' AND active")}
    assert findings_of(sql, "AWS-IAM-015") == {
        (PROD, f"arn:aws:iam::{PROD}:user/dave"), (DEV, keys[(DEV, True)])}
    assert findings_of(sql, "AWS-IAM-016") == {(DEV, f"arn:aws:iam::{DEV}:user/ci-deploy")}
    assert sql("SELECT count(*) FROM aws_iam_user WHERE username = 'ci-deploy' AND activeAccessKeyCount = 1") == [
        (2,)]
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-IAM-015' AND accountId = ?", PROD)
    assert json.loads(evidence)["credential"] == "password"
    assert sql("SELECT count(*) FROM aws_iam_user WHERE username = 'bob.smith@example.com' AND accountId = ? "
               "AND passwordLastUsed > now() - INTERVAL 7 DAY", PROD) == [(1,)]


def test_cloudshell_file_transfers_are_flagged_where_attached_and_the_support_role_spares_prod(sql):
    assert findings_of(sql, "AWS-IAM-022") == {(DEV, f"arn:aws:iam::{DEV}:group/developers")}
    holders = {(a, name) for a, name in sql(
        "SELECT accountId, roleName FROM aws_iam_role WHERE list_contains(attachedPolicyArns, "
        "'arn:aws:iam::aws:policy/AWSSupportAccess')")}
    assert holders == {(PROD, "admin-escalation")}


def test_minor_upgrades_off_only_on_legacy_reporting(sql):
    assert findings_of(sql, "AWS-RDS-006") == everywhere(
        sql, "SELECT accountId, _key FROM aws_db_instance WHERE dbInstanceIdentifier LIKE '%-legacy-reporting'")
    assert sql("SELECT count_if(autoMinorVersionUpgrade) > 0 FROM aws_db_instance") == [(True,)]


def test_prods_orders_cluster_is_hardened_and_the_others_are_not(sql):
    clusters = everywhere(sql, "SELECT accountId, _key FROM aws_rds_cluster")
    prods = {(a, key) for a, key in clusters if a == PROD}
    assert len(prods) == 2  # us-east-1 and eu-west-1
    for rule_id in ("AWS-RDS-003", "AWS-RDS-004", "AWS-RDS-005"):
        flagged = {(a, key) for a, key in findings_of(sql, rule_id) if ":cluster:" in key}
        assert flagged == clusters - prods, rule_id


def test_only_the_legacy_job_runs_on_a_deprecated_runtime(sql):
    assert findings_of(sql, "AWS-LAMBDA-002") == {(DEV, f"arn:aws:lambda:us-east-1:{DEV}:function:dev-job-01")}
    assert sql("SELECT DISTINCT runtime FROM aws_lambda_function ORDER BY 1") == [("python3.12",), ("python3.8",)]
