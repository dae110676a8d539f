"""The logging, monitoring, network ACL, EBS default encryption and RDS snapshot rules on the synced simulated
organisation: each fires where the estate (aws_assets/sim/estate/) has the problem and spares the account, region
or resource beside it that does not."""

from __future__ import annotations

import json

from aws_assets.analysis.rules.monitoring import MONITORING_CONTROLS
from aws_assets_tests.conftest import DEV, PROD, SHARED
from aws_assets_tests.e2e.test_findings_of_the_organisation import findings_of
from aws_assets_tests.e2e.test_monitoring_of_the_organisation import (
    ACCOUNTS,
    AP,
    DEV_TRAIL,
    EU,
    HOME,
    PROD_TRAIL,
    REGIONS,
    bucket,
)

NO_TRAIL_NOR_ALARM = "a logging multi-region trail recording every management event to CloudWatch Logs"


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def accounts(*which: str) -> set[tuple[str, str]]:
    return {(account, root(account)) for account in which}


def rows_in(sql, table: str, places: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(account, _key) of the table's rows in the (account, region) places."""
    return {(a, key) for a, r, key in sql(f"SELECT accountId, region, _key FROM {table}") if (a, r) in places}


EVERY_PLACE = {(a, r) for a in ACCOUNTS for r in REGIONS}


def test_cloudtrail_prod_meets_cis_and_dev_and_shared_do_not(sql):
    # prod: a multi-region, validated, KMS-encrypted trail with every management and S3 object event; dev: a
    # single-region trail without either; shared: no trail.
    assert findings_of(sql, "AWS-CLOUDTRAIL-001") == accounts(DEV, SHARED)
    assert findings_of(sql, "AWS-CLOUDTRAIL-002") == findings_of(sql, "AWS-CLOUDTRAIL-004") == {(DEV, DEV_TRAIL)}
    assert findings_of(sql, "AWS-CLOUDTRAIL-005") == findings_of(sql, "AWS-CLOUDTRAIL-006") == accounts(DEV, SHARED)
    # prod's trail bucket (the access-logs bucket) logs nothing; dev's (customer data) logs to the access-logs one.
    assert findings_of(sql, "AWS-CLOUDTRAIL-003") == {(PROD, bucket(PROD, "access-logs"))}
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-CLOUDTRAIL-003'")
    assert json.loads(evidence)["trails"] == [PROD_TRAIL]


def test_config_is_off_only_in_dev_ap_southeast_2(sql):
    assert findings_of(sql, "AWS-CONFIG-001") == rows_in(sql, "aws_config_recorder", {(DEV, AP)})
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-CONFIG-001'")
    assert json.loads(evidence)["problems"] == ["no configuration recorder"]


def test_security_hub_guardduty_and_ebs_default_encryption_fire_where_they_are_off(sql):
    hub_on = {(PROD, HOME), (PROD, EU), (PROD, AP), (SHARED, HOME)}
    detector_on = {(PROD, HOME), (PROD, EU), (PROD, AP), (DEV, HOME), (SHARED, HOME), (SHARED, EU)}
    ebs_on = {(PROD, HOME), (PROD, EU), (PROD, AP), (SHARED, HOME)}
    assert findings_of(sql, "AWS-SECURITYHUB-001") == rows_in(sql, "aws_securityhub_hub", EVERY_PLACE - hub_on)
    # shared's ap-southeast-2 detector is suspended, dev's eu-west-1 has none: both fire.
    assert findings_of(sql, "AWS-GUARDDUTY-001") == rows_in(sql, "aws_guardduty_detector",
                                                            EVERY_PLACE - detector_on)
    assert findings_of(sql, "AWS-EC2-011") == rows_in(sql, "aws_ec2_regional_settings", EVERY_PLACE - ebs_on)


def test_flow_logs_spare_prod_vpc_and_shared_vpc_in_us_east_1(sql):
    vpcs = {(a, r, name): key for a, r, name, key in sql("SELECT accountId, region, displayName, _key FROM aws_vpc")}
    logged = {(PROD, r, "prod-vpc") for r in REGIONS} | {(SHARED, HOME, "shared-vpc")}
    assert logged <= set(vpcs)
    assert findings_of(sql, "AWS-EC2-010") == {(a, key) for (a, r, name), key in vpcs.items()
                                               if (a, r, name) not in logged}


def test_network_acls_open_on_ssh_fire_and_the_https_only_one_does_not(sql):
    acls = {(a, name): key for a, name, key in sql("SELECT accountId, displayName, _key FROM aws_network_acl")}
    https_only = acls[(SHARED, "shared-public-subnets")]
    # Every default ACL allows all traffic from anywhere; prod's public one opens 22 (not 3389).
    assert findings_of(sql, "AWS-EC2-012") == {(a, key) for (a, _), key in acls.items() if key != https_only}
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-EC2-012' AND resourceKey = ?",
                        acls[(PROD, "prod-public-subnets")])
    assert json.loads(evidence)["openPorts"] == {"0.0.0.0/0": [22]}


def test_snapshots_public_shared_and_unencrypted(sql):
    def snapshot_findings(rule_id: str) -> set[str]:
        return {name for (name,) in sql(
            "SELECT json_extract_string(evidence, '$.snapshotIdentifier') FROM findings WHERE ruleId = ?", rule_id)}

    assert snapshot_findings("AWS-RDS-007") == {"dev-legacy-reporting-public"}
    # The lake holds no organisation, so each account is its own zone: shared's snapshot for dev is external too.
    assert sql("SELECT count(*) FROM aws_organization_account") == [(0,)]
    assert snapshot_findings("AWS-RDS-008") == {"prod-legacy-reporting-export", "shared-orders-for-dev"}
    # moto's automated snapshots of the unencrypted legacy-reporting instances are that instance's AWS-RDS-001.
    assert snapshot_findings("AWS-RDS-009") == {"prod-legacy-reporting-export", "dev-legacy-reporting-public"}
    assert sql("SELECT count(*) > 0 FROM aws_db_snapshot WHERE snapshotType = 'automated' AND NOT encrypted") == [
        (True,)]


def test_prod_monitors_every_cis_event_and_dev_and_shared_nothing(sql):
    for control in MONITORING_CONTROLS:
        assert findings_of(sql, control.rule_id) == accounts(DEV, SHARED), control.control
    # dev's root-usage filter is on a group no trail writes to: the chain stops at the trail.
    missing = {a: json.loads(e)["missing"] for a, e in sql(
        "SELECT accountId, evidence FROM findings WHERE ruleId = 'AWS-CLOUDWATCH-003'")}
    assert missing == {DEV: NO_TRAIL_NOR_ALARM, SHARED: NO_TRAIL_NOR_ALARM}


def test_root_users_hardware_virtual_and_no_mfa_and_their_recent_use(sql):
    # aws_assets/sim/estate/iam.py, taught by aws_assets/sim/teach_moto.py: prod's root user has a hardware MFA device
    # and signed in 200 days ago; dev's a virtual device and an access key used 10 days ago; shared's neither.
    assert findings_of(sql, "AWS-IAM-024") == accounts(DEV, SHARED)
    assert findings_of(sql, "AWS-IAM-025") == accounts(DEV)
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-IAM-025'")
    assert set(json.loads(evidence)) == {"rootAccessKeyLastUsed", "withinDays"}
    used = dict(sql("SELECT accountId, rootPasswordLastUsed IS NOT NULL FROM aws_account"))
    assert used == {PROD: True, DEV: False, SHARED: False}  # prod's sign-in is older than the window


def test_compliance_of_the_logging_and_monitoring_controls(sql):
    status = {(control, account): s for control, account, s in sql(
        "SELECT controlId, accountId, status FROM compliance WHERE framework = 'cis-aws-4.0' AND region = 'all'")}
    for control in ("3.1", "3.2", "3.5", "3.8", "3.9", *(c.control for c in MONITORING_CONTROLS)):
        assert (status[(control, PROD)], status[(control, DEV)]) == ("pass", "fail"), control
    assert (status[("3.3", PROD)], status[("3.3", DEV)], status[("3.3", SHARED)]) == ("pass", "fail", "pass")
    assert (status[("4.16", PROD)], status[("4.16", SHARED)]) == ("pass", "fail")
    regional = dict(sql("SELECT region, status FROM compliance WHERE framework = 'cis-aws-4.0' AND controlId = '4.16' "
                        "AND accountId = ? AND region <> 'all'", SHARED))
    assert regional == {HOME: "pass", EU: "fail", AP: "fail"}
