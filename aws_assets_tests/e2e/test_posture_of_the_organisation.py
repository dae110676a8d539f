"""The posture rules and CIS compliance on the synced simulated organisation (aws_assets/sim/organisation.py): each
rule fires where the estate has the problem and spares the near misses the estate holds beside it."""

from __future__ import annotations

import json

from aws_assets.analysis.compliance import COMPLIANCE_SCHEMA
from aws_assets.defs.assets.compliance import COMPLIANCE_KEY
from aws_assets_tests.e2e.test_findings_of_the_organisation import findings_of
from aws_assets_tests.e2e.test_relationships import ACCOUNTS, ENVS


def everywhere(sql, query: str) -> set[tuple[str, str]]:
    """(account, _key) of the rows a query selects."""
    return set(sql(query))


def test_policies_granting_too_much_are_the_admin_policy_and_not_its_near_misses(sql):
    # acme-admin-access (Allow * on *) is attached to the admins group, admin-escalation and break-glass; the admins
    # group's require-mfa policy denies everything without MFA (a Deny grants nothing), the other customer policies
    # are scoped, and nothing grants kms:* or cloudtrail:* alone.
    assert findings_of(sql, "AWS-IAM-018") == {
        (account, f"arn:aws:iam::{account}:policy/acme-admin-access") for account in ACCOUNTS}
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-IAM-018' AND accountId = ?", ACCOUNTS[0])
    assert json.loads(evidence)["attachedTo"] == [
        f"arn:aws:iam::{ACCOUNTS[0]}:{kind}" for kind in ("group/admins", "role/admin-escalation", "user/break-glass")]
    assert sql("SELECT count(*) FROM aws_iam_group_policy WHERE policyName = 'require-mfa'") == [(len(ACCOUNTS),)]
    assert findings_of(sql, "AWS-IAM-019") == findings_of(sql, "AWS-IAM-020") == set()


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
    # moto launches instances with IMDSv1 allowed and creates every default group with its allow-all egress rule.
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
    assert findings_of(sql, "AWS-EC2-008") == set()  # no group opens 445


def test_bucket_rules_spare_the_buckets_the_block_covers(sql):
    # The website and public-downloads buckets turn their public access block off; the others keep all four on.
    assert findings_of(sql, "AWS-S3-002") == {
        (a, f"arn:aws:s3:::acme-{ENVS[a]}-{name}") for a in ACCOUNTS for name in ("website", "public-downloads")}
    # The one bucket policy of each account (the website's) grants public reads and denies nothing.
    assert findings_of(sql, "AWS-S3-003") == everywhere(sql, "SELECT accountId, _key FROM aws_s3_bucket")
    assert findings_of(sql, "AWS-S3-004") == everywhere(
        sql, "SELECT accountId, _key FROM aws_s3_bucket WHERE NOT loggingEnabled")
    assert sql("SELECT count_if(loggingEnabled) > 0 FROM aws_s3_bucket") == [(True,)]


def test_account_posture_of_the_strong_weak_and_missing_password_policies_and_root_mfa(sql):
    every_account = {(a, f"arn:aws:iam::{a}:root") for a in ACCOUNTS}
    # prod's password policy meets CIS, dev's is weak (8 characters, no symbols, no reuse rule, no expiry), shared
    # has none (aws_assets/sim/estate/iam.py); no root user has MFA.
    assert sql("SELECT count_if(passwordPolicyPresent), count_if(rootMfaEnabled) FROM aws_account") == [(2, 0)]
    for rule_id in ("AWS-IAM-010", "AWS-IAM-021"):
        assert findings_of(sql, rule_id) == every_account, rule_id
    for rule_id in ("AWS-IAM-011", "AWS-IAM-012", "AWS-IAM-013"):
        assert findings_of(sql, rule_id) == every_account - {(ACCOUNTS[0], f"arn:aws:iam::{ACCOUNTS[0]}:root")}, \
            rule_id
    assert findings_of(sql, "AWS-IAM-009") == set()  # no root access keys
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
    assert findings_of(sql, "AWS-APIGW-001") == everywhere(sql, "SELECT accountId, _key FROM aws_api_gateway_rest_api")
    assert findings_of(sql, "AWS-RDS-002") == everywhere(
        sql, "SELECT accountId, _key FROM aws_db_instance WHERE publiclyAccessible")
    assert sql("SELECT count_if(NOT publiclyAccessible) > 0 FROM aws_db_instance") == [(True,)]


def test_compliance_of_the_organisation(synced, sql):
    assert [name for name, *_ in sql("DESCRIBE compliance")] == COMPLIANCE_SCHEMA.names
    status = dict(((control, account), s) for control, account, s in sql(
        "SELECT controlId, accountId, status FROM compliance WHERE framework = 'cis-aws-4.0' AND region = 'all'"))
    for account in ACCOUNTS:
        assert (status[("1.4", account)], status[("1.5", account)], status[("1.2", account)]) == (
            "pass", "fail", "not-assessed")
        assert status[("3.1", account)] == ("pass" if account == ACCOUNTS[0] else "fail")  # prod's trail
        assert status[("5.3", account)] == "fail"  # the bastion groups open SSH to 0.0.0.0/0
        assert status[("5.4", account)] == "pass"  # and none to ::/0
    metadata = synced["instance"].get_latest_materialization_event(COMPLIANCE_KEY).asset_materialization.metadata
    for account in ACCOUNTS:
        assert 0 < metadata[f"compliance/cis-aws-4.0/{account}"].value < 100
