"""The logging, monitoring and account posture of the synced simulated organisation: what the CIS rules read, with
a case that must fire and one that must not for each, and the exact edges of aws_assets.relationships.monitoring.

The estate is the one aws_assets/sim/estate/ documents (cloudtrail, logs, cloudwatch, config, guardduty,
securityhub, ec2, rds, iam, s3).
"""

from __future__ import annotations

import pytest

from aws_assets.relationships import monitoring
from aws_assets.sim.accounts import ACCOUNTS as ENVS
from aws_assets.sim.estate.logs import CIS_FILTERS
from aws_assets.sim.organisation import REGIONS
from aws_assets_tests.conftest import DEV, PROD, SHARED

HOME, EU, AP = "us-east-1", "eu-west-1", "ap-southeast-2"
ACCOUNTS = (PROD, DEV, SHARED)
COVERED: set[str] = set()


def exact_edges_of(*relationship_types: str):
    COVERED.update(relationship_types)
    return lambda test: test


@pytest.fixture(scope="module")
def edges(sql):
    def pairs(relationship_type: str) -> set[tuple[str, str]]:
        rows = sql(f'SELECT _fromEntityKey, _toEntityKey FROM "{relationship_type}"')
        assert len(rows) == len(set(rows)), f"{relationship_type} repeats an edge"
        return set(rows)

    return pairs


def trail_arn(account: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{HOME}:{account}:trail/{name}"


def log_group_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{name}"


def bucket(account: str, name: str) -> str:
    return f"arn:aws:s3:::acme-{ENVS[account]}-{name}"


PROD_TRAIL, DEV_TRAIL = trail_arn(PROD, "prod-audit"), trail_arn(DEV, "dev-us-east-1")
PROD_TRAIL_GROUP = log_group_arn(PROD, HOME, "aws-cloudtrail-logs-prod-audit")
ALERTS_TOPIC = f"arn:aws:sns:{HOME}:{PROD}:prod-security-alerts"


# ---- what the rules read ------------------------------------------------------------------------------------------


def test_trails_one_that_meets_cis_and_one_that_does_not(sql):
    rows = {key: rest for key, *rest in sql(
        "SELECT _key, accountId, isMultiRegionTrail, logFileValidationEnabled, encrypted, isLogging, "
        "cloudWatchLogsLogGroupArn IS NOT NULL, managementReadEvents AND managementWriteEvents, "
        "allS3ObjectReadEvents, allS3ObjectWriteEvents FROM aws_cloudtrail")}
    assert rows == {
        PROD_TRAIL: [PROD, True, True, True, True, True, True, True, True],
        DEV_TRAIL: [DEV, False, False, False, True, False, True, False, False],
    }


def test_the_cis_filters_and_alarms_of_the_trails_log_group(sql):
    filters = sql("SELECT accountId, logGroupName, filterName FROM aws_cloudwatch_log_metric_filter")
    assert sorted(f for a, g, f in filters if a == PROD and g == "aws-cloudtrail-logs-prod-audit") == sorted(
        CIS_FILTERS)
    assert [(a, g) for a, g, _ in filters if a != PROD] == [(DEV, "dev-app-logs")]
    alarmed = {metric for (metric,) in sql(
        "SELECT metricName FROM aws_cloudwatch_metric_alarm WHERE accountId = ? AND list_contains(alarmActions, ?)",
        PROD, ALERTS_TOPIC)}
    assert alarmed == set(CIS_FILTERS)


@pytest.mark.parametrize("entity_type, flag, enabled_places", [
    ("aws_guardduty_detector", "enabled", {(PROD, HOME), (PROD, EU), (PROD, AP), (DEV, HOME), (SHARED, HOME),
                                           (SHARED, EU)}),
    ("aws_securityhub_hub", "enabled", {(PROD, HOME), (PROD, EU), (PROD, AP), (SHARED, HOME)}),
    ("aws_config_recorder", "recording", {(a, r) for a in ACCOUNTS for r in REGIONS} - {(DEV, AP)}),
    ("aws_ec2_regional_settings", "ebsEncryptionByDefault", {(PROD, HOME), (PROD, EU), (PROD, AP), (SHARED, HOME)}),
])
def test_one_row_per_region_saying_whether_it_is_on(sql, entity_type, flag, enabled_places):
    rows = sql(f"SELECT accountId, region, {flag} FROM {entity_type}")
    assert sorted((a, r) for a, r, _ in rows) == sorted((a, r) for a in ACCOUNTS for r in REGIONS)
    assert {(a, r) for a, r, on in rows if on} == enabled_places


def test_a_suspended_detector_and_a_missing_one_are_told_apart(sql):
    rows = {(a, r): (status, detector) for a, r, status, detector in sql(
        "SELECT accountId, region, status, detectorId FROM aws_guardduty_detector WHERE NOT enabled")}
    assert rows[(SHARED, AP)][0] == "DISABLED" and rows[(SHARED, AP)][1] is not None
    assert rows[(DEV, EU)] == (None, None)


def test_password_policies_root_and_the_account_level_s3_block(sql):
    rows = {a: rest for a, *rest in sql(
        "SELECT accountId, passwordPolicyPresent, passwordMinimumLength, passwordReusePrevention, "
        "passwordRequireSymbols, s3BlockPublicPolicy, s3AccountPublicAccessBlocked, rootVirtualMfa "
        "FROM aws_account")}
    assert rows == {
        PROD: [True, 14, 24, True, True, False, False],  # the root's MFA is a hardware device
        DEV: [True, 8, None, False, False, False, True],  # and a virtual one
        SHARED: [False, None, None, None, False, False, False],
    }


def test_network_acls_one_open_on_an_admin_port_and_one_open_only_on_https(sql):
    rows = dict(sql(
        "SELECT accountId, [e.toPort FOR e IN ingressEntries IF e.ruleAction = 'allow' AND e.cidrIpv4 = '0.0.0.0/0'] "
        "FROM aws_network_acl WHERE displayName LIKE '%-public-subnets'"))
    assert rows == {PROD: [443, 22, 65535], SHARED: [443, 65535]}


def test_snapshots_public_shared_and_private(sql):
    rows = {name: rest for name, *rest in sql(
        "SELECT name, public, sharedWithAccounts, encrypted FROM aws_db_snapshot WHERE snapshotType = 'manual' "
        "UNION ALL SELECT name, public, sharedWithAccounts, encrypted FROM aws_db_cluster_snapshot "
        "WHERE snapshotType = 'manual'")}
    assert rows == {
        "prod-billing-pre-upgrade": [False, [], True],
        "prod-legacy-reporting-export": [False, ["444444444444"], False],
        "prod-orders-pre-migration": [False, [], True],
        "dev-legacy-reporting-public": [True, [], False],
        "shared-orders-for-dev": [False, [DEV], True],
    }


def test_flow_logs_of_some_vpcs_only(sql):
    logged = {(a, r, name) for a, r, name in sql(
        "SELECT v.accountId, v.region, v.displayName FROM aws_vpc v WHERE EXISTS (SELECT 1 FROM aws_vpc_flow_log f "
        "WHERE f.accountId = v.accountId AND f.region = v.region AND f.resourceId = v.vpcId)")}
    assert logged == {(PROD, r, "prod-vpc") for r in REGIONS} | {(SHARED, HOME, "shared-vpc")}


# ---- the edges ----------------------------------------------------------------------------------------------------


@exact_edges_of("aws_cloudtrail_logs_s3_bucket", "aws_cloudtrail_logs_cloudwatch_log_group",
                "aws_cloudtrail_notifies_sns_topic")
def test_trails_deliver_to_their_bucket_and_log_group(edges):
    assert edges("aws_cloudtrail_logs_s3_bucket") == {(PROD_TRAIL, bucket(PROD, "access-logs")),
                                                      (DEV_TRAIL, bucket(DEV, "customer-data"))}
    assert edges("aws_cloudtrail_logs_cloudwatch_log_group") == {(PROD_TRAIL, PROD_TRAIL_GROUP)}
    assert edges("aws_cloudtrail_notifies_sns_topic") == set()


@exact_edges_of("aws_cloudwatch_log_group_has_metric_filter", "aws_cloudwatch_metric_alarm_monitors_log_metric_filter",
                "aws_cloudwatch_metric_alarm_notifies_sns_topic")
def test_the_trails_group_has_the_filters_the_alarms_watch_and_the_alarms_notify_the_topic(edges):
    def metric_filter(account: str, group: str, name: str) -> str:
        return f"{group}:metric-filter:{name}"

    dev_group = log_group_arn(DEV, HOME, "dev-app-logs")
    assert edges("aws_cloudwatch_log_group_has_metric_filter") == {
        (PROD_TRAIL_GROUP, metric_filter(PROD, PROD_TRAIL_GROUP, name)) for name in CIS_FILTERS} | {
        (dev_group, metric_filter(DEV, dev_group, "RootAccountUsage"))}
    alarms = {name: f"arn:aws:cloudwatch:{HOME}:{PROD}:alarm:cis-{name}" for name in CIS_FILTERS}
    # dev's root-usage filter publishes the same metric name, in another account: no alarm of prod watches it.
    assert edges("aws_cloudwatch_metric_alarm_monitors_log_metric_filter") == {
        (alarm, metric_filter(PROD, PROD_TRAIL_GROUP, name)) for name, alarm in alarms.items()}
    assert edges("aws_cloudwatch_metric_alarm_notifies_sns_topic") == {
        (alarm, ALERTS_TOPIC) for alarm in alarms.values()}


@exact_edges_of("aws_config_delivery_channel_logs_s3_bucket", "aws_config_delivery_channel_notifies_sns_topic",
                "aws_config_recorder_uses_iam_role")
def test_config_delivers_to_the_log_bucket_and_records_with_its_role(sql, edges):
    places = [(a, r) for a in ACCOUNTS for r in REGIONS if (a, r) != (DEV, AP)]
    channel = "aws_config_delivery_channel:{}:{}:default"
    assert edges("aws_config_delivery_channel_logs_s3_bucket") == {
        (channel.format(a, r), bucket(a, "access-logs")) for a, r in places}
    assert edges("aws_config_delivery_channel_notifies_sns_topic") == set()
    recorders = dict(sql("SELECT accountId || '|' || region, _key FROM aws_config_recorder WHERE present"))
    assert edges("aws_config_recorder_uses_iam_role") == {
        (recorders[f"{a}|{r}"], f"arn:aws:iam::{a}:role/aws-config-recorder") for a, r in places}


@exact_edges_of("aws_vpc_has_flow_log", "aws_subnet_has_vpc_flow_log", "aws_vpc_flow_log_logs_cloudwatch_log_group",
                "aws_vpc_flow_log_logs_s3_bucket", "aws_vpc_logs_cloudwatch_log_group")
def test_flow_logs_of_the_vpcs_to_their_group_or_bucket(sql, edges):
    vpcs = {(a, r): key for a, r, key in sql(
        "SELECT accountId, region, _key FROM aws_vpc WHERE displayName LIKE '%-vpc' AND NOT isDefault")}
    flow_logs = {(a, r): key for a, r, key in sql("SELECT accountId, region, _key FROM aws_vpc_flow_log")}
    prod_groups = {r: log_group_arn(PROD, r, "prod-vpc-flow-logs") for r in REGIONS}
    assert edges("aws_vpc_has_flow_log") == {(vpcs[place], flow_logs[place]) for place in flow_logs}
    assert set(flow_logs) == {(PROD, r) for r in REGIONS} | {(SHARED, HOME)}
    assert edges("aws_subnet_has_vpc_flow_log") == set()
    assert edges("aws_vpc_flow_log_logs_cloudwatch_log_group") == {
        (flow_logs[(PROD, r)], group) for r, group in prod_groups.items()}
    assert edges("aws_vpc_flow_log_logs_s3_bucket") == {(flow_logs[(SHARED, HOME)], bucket(SHARED, "access-logs"))}
    assert edges("aws_vpc_logs_cloudwatch_log_group") == {(vpcs[(PROD, r)], group) for r, group in prod_groups.items()}


def test_every_monitoring_relationship_type_has_a_test_of_its_exact_edges():
    assert COVERED == {r.type for r in monitoring.RELATIONSHIPS}
