"""The logging, monitoring, network ACL, EBS default encryption and RDS snapshot rules on hand-written rows: each
with the case that fires and the near misses that must not (aws_assets.analysis.rules.logging, monitoring,
network, storage, filter_patterns)."""

from __future__ import annotations

from typing import Any

import pytest

from aws_assets.analysis.rules.filter_patterns import covers, normal_form
from aws_assets.analysis.rules.monitoring import MONITORING_CONTROLS
from aws_assets_tests.unit.test_posture_rules import ACCOUNT, DAY, NOW, REGION, account, found, keys, place

OTHER = "222222222222"
MANAGEMENT = "999999999999"
HOME = "us-east-1"


def trail(name: str, account_id: str = ACCOUNT, **columns: Any) -> dict[str, Any]:
    defaults = {"trailName": name, "homeRegion": HOME, "isMultiRegionTrail": True, "isOrganizationTrail": False,
                "isLogging": True, "logFileValidationEnabled": True,
                "kmsKeyId": f"arn:aws:kms:{HOME}:{account_id}:key/k", "s3BucketName": f"{name}-logs",
                "cloudWatchLogsLogGroupArn": None, "managementReadEvents": True, "managementWriteEvents": True,
                "allS3ObjectReadEvents": False, "allS3ObjectWriteEvents": False}
    return {"_key": f"arn:aws:cloudtrail:{HOME}:{account_id}:trail/{name}", "accountId": account_id,
            "region": HOME, **defaults, **columns}


def account_of(account_id: str) -> dict[str, Any]:
    return {**account(f"arn:aws:iam::{account_id}:root"), "accountId": account_id}


def regions_of(*account_ids: str) -> list[dict[str, Any]]:
    """Rows saying the lake holds the accounts' regional collections (one per region whatever is configured)."""
    return [{"_key": f"settings-{a}", "accountId": a, "region": HOME, "ebsEncryptionByDefault": True}
            for a in account_ids]


# ---- CloudTrail --------------------------------------------------------------------------------------------------


def test_an_account_needs_a_logging_multi_region_trail_of_all_management_events():
    accounts = {name: account_of(name) for name in ("100000000001", "100000000002", "100000000003", "100000000004",
                                                    "100000000005")}
    tables = {"aws_account": list(accounts.values()), "aws_ec2_regional_settings": regions_of(*accounts),
              "aws_cloudtrail": [
        trail("good", "100000000001"),
        trail("one-region", "100000000002", isMultiRegionTrail=False),
        trail("stopped", "100000000003", isLogging=False),
        trail("writes-only", "100000000004", managementReadEvents=False),
    ]}
    assert keys(tables, "AWS-CLOUDTRAIL-001") == {accounts[a]["_key"] for a in (
        "100000000002", "100000000003", "100000000004", "100000000005")}
    evidence = found(tables, "AWS-CLOUDTRAIL-001")[accounts["100000000002"]["_key"]]
    assert [t["trailName"] for t in evidence["trails"]] == ["one-region"]
    # An account whose regions the lake does not hold: no trail row does not mean no trail.
    tables["aws_ec2_regional_settings"] = regions_of("100000000001", "100000000002")
    assert keys(tables, "AWS-CLOUDTRAIL-001") == {accounts["100000000002"]["_key"]}


def test_an_organisation_trail_covers_the_members_its_management_account_lists():
    member, outsider = account_of(OTHER), account_of("100000000009")
    tables = {"aws_account": [member, outsider], "aws_ec2_regional_settings": regions_of(OTHER, "100000000009"),
              "aws_cloudtrail": [trail("org", MANAGEMENT, isOrganizationTrail=True)],
              "aws_organization_account": [{"accountId": MANAGEMENT, "memberAccountId": OTHER},
                                           {"accountId": MANAGEMENT, "memberAccountId": MANAGEMENT}]}
    assert keys(tables, "AWS-CLOUDTRAIL-001") == {outsider["_key"]}
    # The same trail, not an organisation trail, covers only its owner.
    tables["aws_cloudtrail"] = [trail("org", MANAGEMENT)]
    assert keys(tables, "AWS-CLOUDTRAIL-001") == {member["_key"], outsider["_key"]}


def test_trails_without_validation_or_kms_fire_and_unknown_values_do_not():
    tables = {"aws_cloudtrail": [trail("good"), trail("unsigned", logFileValidationEnabled=False),
                                 trail("plain", kmsKeyId=None), trail("unread", logFileValidationEnabled=None)]}
    assert keys(tables, "AWS-CLOUDTRAIL-002") == {trail("unsigned")["_key"]}
    assert keys(tables, "AWS-CLOUDTRAIL-004") == {trail("plain")["_key"]}


def test_a_trail_bucket_without_access_logging_fires_once_on_the_bucket():
    def bucket(name: str, logging: bool | None) -> dict[str, Any]:
        return place(f"arn:aws:s3:::{name}", bucketName=name, loggingEnabled=logging)

    tables = {"aws_cloudtrail": [trail("a", s3BucketName="unlogged"), trail("b", s3BucketName="unlogged"),
                                 trail("c", s3BucketName="logged"), trail("d", s3BucketName="not-in-the-lake")],
              "aws_s3_bucket": [bucket("unlogged", False), bucket("logged", True), bucket("other", False)]}
    assert found(tables, "AWS-CLOUDTRAIL-003") == {"arn:aws:s3:::unlogged": {
        "bucketName": "unlogged", "loggingEnabled": False, "trails": [trail("a")["_key"], trail("b")["_key"]]}}


@pytest.mark.parametrize("rule_id, column", [("AWS-CLOUDTRAIL-005", "allS3ObjectWriteEvents"),
                                             ("AWS-CLOUDTRAIL-006", "allS3ObjectReadEvents")])
def test_object_events_must_be_recorded_in_every_region_with_buckets(rule_id, column):
    def bucket(account_id: str, region: str) -> dict[str, Any]:
        return {"_key": f"arn:aws:s3:::{account_id}-{region}", "accountId": account_id, "region": region,
                "bucketName": f"{account_id}-{region}"}

    everywhere, one_region, none, no_buckets = "100000000001", "100000000002", "100000000003", "100000000004"
    tables = {
        "aws_account": [account_of(a) for a in (everywhere, one_region, none, no_buckets)],
        "aws_ec2_regional_settings": regions_of(everywhere, one_region, none, no_buckets),
        "aws_s3_bucket": [bucket(a, r) for a in (everywhere, one_region, none) for r in (HOME, REGION)],
        "aws_cloudtrail": [
            trail("all", everywhere, **{column: True}),
            trail("home", one_region, isMultiRegionTrail=False, **{column: True}),
            trail("management", none),
            trail("all", no_buckets, **{column: False}),
        ],
    }
    assert {k: e["bucketRegionsNotRecorded"] for k, e in found(tables, rule_id).items()} == {
        account_of(one_region)["_key"]: [REGION], account_of(none)["_key"]: sorted((HOME, REGION))}


# ---- AWS Config --------------------------------------------------------------------------------------------------


def recorder(region: str, account_id: str = ACCOUNT, **columns: Any) -> dict[str, Any]:
    return {"_key": f"arn:aws:config:{region}:{account_id}:recorder/{columns.pop('name', 'default')}",
            "accountId": account_id, "region": region,
            **{"present": True, "recording": True, "lastStatus": "SUCCESS", "allSupported": True,
               "includeGlobalResourceTypes": region == HOME, "recordingStrategy": "ALL_SUPPORTED_RESOURCE_TYPES",
               "servicePrincipal": None, **columns}}


def channel(region: str, account_id: str = ACCOUNT) -> dict[str, Any]:
    return {"_key": f"channel-{account_id}-{region}", "accountId": account_id, "region": region}


def test_config_must_record_everything_in_every_region_with_global_resources_in_one():
    regions = (HOME, REGION, "ap-southeast-2", "eu-central-1", "sa-east-1", "ca-central-1")
    tables = {
        "aws_config_recorder": [
            recorder(HOME), recorder(REGION),  # the near misses: global resources recorded once is enough
            recorder("ap-southeast-2", present=False, recording=False, allSupported=False),
            recorder("eu-central-1", recording=False),
            recorder("sa-east-1", allSupported=False, recordingStrategy="INCLUSION_BY_RESOURCE_TYPES"),
            recorder("ca-central-1", name="linked", servicePrincipal="config-conforms.amazonaws.com"),
        ],
        "aws_config_delivery_channel": [channel(r) for r in regions if r != REGION],
    }
    problems = {k.split(":")[3]: e["problems"] for k, e in found(tables, "AWS-CONFIG-001").items()}
    assert problems == {
        REGION: ["no delivery channel"],
        "ap-southeast-2": ["no configuration recorder"],
        "eu-central-1": ["not recording"],
        "sa-east-1": ["does not record every supported resource type"],
        "ca-central-1": ["no configuration recorder"],
    }
    tables["aws_config_delivery_channel"].append(channel(REGION))
    assert REGION not in {k.split(":")[3] for k in keys(tables, "AWS-CONFIG-001")}


def test_config_without_global_resources_anywhere_fires_and_a_status_not_read_does_not():
    tables = {"aws_config_recorder": [recorder(HOME, includeGlobalResourceTypes=False), recorder(REGION,
                                                                                                  recording=None)],
              "aws_config_delivery_channel": [channel(HOME), channel(REGION)]}
    assert found(tables, "AWS-CONFIG-001") == {recorder(HOME)["_key"]: {
        "problems": ["no region of the account records global resources (IAM)"]}}


# ---- flow logs, Security Hub, GuardDuty, EBS ---------------------------------------------------------------------


def test_a_vpc_without_an_active_flow_log_of_its_own_fires():
    def vpc(vpc_id: str, owner: str = ACCOUNT) -> dict[str, Any]:
        return place(vpc_id, vpcId=vpc_id, ownerId=owner, isDefault=False)

    def flow_log(resource: str, kind: str = "VPC", status: str = "ACTIVE") -> dict[str, Any]:
        return place(f"fl-{resource}-{kind}", resourceId=resource, resourceType=kind, flowLogStatus=status)

    tables = {"aws_vpc": [vpc("vpc-logged"), vpc("vpc-subnet-only"), vpc("vpc-none"), vpc("vpc-shared", OTHER)],
              "aws_vpc_flow_log": [flow_log("vpc-logged"), flow_log("vpc-subnet-only", "Subnet")]}
    assert keys(tables, "AWS-EC2-010") == {"vpc-subnet-only", "vpc-none"}


@pytest.mark.parametrize("rule_id, table, column", [
    ("AWS-SECURITYHUB-001", "aws_securityhub_hub", "enabled"),
    ("AWS-GUARDDUTY-001", "aws_guardduty_detector", "enabled"),
    ("AWS-EC2-011", "aws_ec2_regional_settings", "ebsEncryptionByDefault"),
])
def test_a_region_with_the_service_off_fires_and_on_or_unknown_does_not(rule_id, table, column):
    tables = {table: [place("off", **{column: False}), place("on", **{column: True}),
                      place("unknown", **{column: None})]}
    assert keys(tables, rule_id) == {"off"}


# ---- network ACLs ------------------------------------------------------------------------------------------------


def entry(number: int, action: str, protocol: str = "6", ports: tuple[int, int] | None = None,
          cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    ipv6 = ":" in cidr
    return {"ruleNumber": number, "egress": False, "ruleAction": action, "protocol": protocol,
            "cidrIpv4": None if ipv6 else cidr, "cidrIpv6": cidr if ipv6 else None,
            "fromPort": ports[0] if ports else None, "toPort": ports[1] if ports else None,
            "icmpType": None, "icmpCode": None}


DENY_REST = entry(32767, "deny", "-1")


def acl(name: str, *entries: dict[str, Any], owner: str = ACCOUNT) -> dict[str, Any]:
    return place(name, networkAclId=name, vpcId="vpc-1", ownerId=owner, isDefault=False, subnetIds=["subnet-1"],
                 ingressEntries=[*entries, DENY_REST])


def test_network_acls_open_on_admin_ports_in_rule_order():
    tables = {"aws_network_acl": [
        acl("default", entry(100, "allow", "-1"), entry(101, "allow", "-1", cidr="::/0")),
        acl("https-only", entry(100, "allow", ports=(443, 443)), entry(120, "allow", ports=(32768, 65535))),
        acl("ssh-denied-first", entry(90, "deny", ports=(22, 22)), entry(100, "allow", ports=(0, 65535))),
        acl("narrow-deny", entry(90, "deny", ports=(22, 22), cidr="10.0.0.0/8"), entry(100, "allow", ports=(22, 22))),
        acl("udp", entry(100, "allow", "17", ports=(0, 65535))),
        acl("admins-only", entry(100, "allow", ports=(22, 22), cidr="203.0.113.0/24")),
        acl("ipv6-rdp", entry(100, "allow", ports=(3389, 3389), cidr="::/0")),
        acl("shared-with-us", entry(100, "allow", "-1"), owner=OTHER),
    ]}
    assert {k: e["openPorts"] for k, e in found(tables, "AWS-EC2-012").items()} == {
        "default": {"0.0.0.0/0": [22, 3389], "::/0": [22, 3389]},
        "ssh-denied-first": {"0.0.0.0/0": [3389]},
        "narrow-deny": {"0.0.0.0/0": [22]},
        "ipv6-rdp": {"::/0": [3389]},
    }


# ---- RDS snapshots -----------------------------------------------------------------------------------------------


def snapshot(name: str, kind: str = "manual", source: str = "db-1", **columns: Any) -> dict[str, Any]:
    return place(f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:{name}", snapshotIdentifier=name,
                 sourceIdentifier=source, snapshotType=kind,
                 **{"encrypted": True, "public": False, "sharedWithAccounts": [], **columns})


def test_public_and_externally_shared_snapshots_fire_and_sharing_in_the_organisation_does_not():
    snapshots = [snapshot("private"), snapshot("public", public=True),
                 snapshot("to-partner", sharedWithAccounts=["444444444444"]),
                 snapshot("to-sibling", sharedWithAccounts=[OTHER])]
    organisation = [{"accountId": MANAGEMENT, "memberAccountId": member, "organizationId": "o-1"}
                    for member in (MANAGEMENT, ACCOUNT, OTHER)]
    tables = {"aws_db_snapshot": snapshots, "aws_organization_account": organisation}
    name = {s["_key"]: s["snapshotIdentifier"] for s in snapshots}
    assert {name[k] for k in keys(tables, "AWS-RDS-007")} == {"public"}
    assert {name[k]: e["sharedOutsideZone"] for k, e in found(tables, "AWS-RDS-008").items()} == {
        "to-partner": ["444444444444"]}
    # Without the organisation in the lake, the zone is the account.
    del tables["aws_organization_account"]
    assert {name[k] for k in keys(tables, "AWS-RDS-008")} == {"to-partner", "to-sibling"}


def test_unencrypted_snapshots_fire_unless_automated_of_a_collected_database():
    instance = place("arn:db-1", dbInstanceIdentifier="db-1")
    cluster = place("arn:cluster-1", dbClusterIdentifier="cluster-1")
    tables = {
        "aws_db_snapshot": [snapshot("manual", encrypted=False), snapshot("rds:db-1", "automated", encrypted=False),
                            snapshot("rds:gone", "automated", source="gone", encrypted=False),
                            snapshot("encrypted")],
        "aws_db_cluster_snapshot": [snapshot("rds:cluster-1", "automated", source="cluster-1", encrypted=False)],
        "aws_db_instance": [instance], "aws_rds_cluster": [cluster],
    }
    assert {e["snapshotIdentifier"] for e in found(tables, "AWS-RDS-009").values()} == {"manual", "rds:gone"}


# ---- the root user -----------------------------------------------------------------------------------------------


def test_root_mfa_must_be_hardware_and_root_must_not_be_used_lately():
    tables = {"aws_account": [
        account("hardware", rootMfaEnabled=True, rootVirtualMfa=False),
        account("virtual", rootMfaEnabled=True, rootVirtualMfa=True),
        account("none", rootMfaEnabled=False, rootVirtualMfa=False),
        account("unlisted", rootMfaEnabled=True, rootVirtualMfa=None),
        account("signed-in", rootPasswordLastUsed=NOW - 3 * DAY),
        account("key-used", rootAccessKeyLastUsed=NOW - 89 * DAY),
        account("long-ago", rootPasswordLastUsed=NOW - 91 * DAY, rootAccessKeyLastUsed=NOW - 400 * DAY),
    ]}
    assert keys(tables, "AWS-IAM-024") == {"virtual", "none"}
    assert keys(tables, "AWS-IAM-025") == {"signed-in", "key-used"}


# ---- filter patterns ---------------------------------------------------------------------------------------------

ROOT_USE = next(c for c in MONITORING_CONTROLS if c.control == "4.3").patterns[0]
TRAIL_CHANGES = next(c for c in MONITORING_CONTROLS if c.control == "4.5").patterns[0]


@pytest.mark.parametrize("pattern, expected", [
    (ROOT_USE, True),
    ('{$.userIdentity.type="Root"&&$.userIdentity.invokedBy NOT EXISTS&&$.eventType!="AwsServiceEvent"}', True),
    ('{ ($.eventType != AwsServiceEvent) && ($.userIdentity.invokedBy  NOT  EXISTS) && '
     '($.userIdentity.type = Root) }', True),
    # Narrower: it also wants a console login, so root API calls go unseen.
    ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" '
     '&& $.eventName = "ConsoleLogin" }', False),
    ('{ $.userIdentity.type = "Root" }', True),  # broader: every root event
    ('{ $.userIdentity.type = "IAMUser" }', False),
    ('"Root"', False),  # a term pattern, not JSON
    ("{ $.userIdentity.type = ", False),
])
def test_a_filter_covers_the_root_use_pattern_by_logic_not_text(pattern, expected):
    assert covers(pattern, ROOT_USE) is expected


@pytest.mark.parametrize("pattern, expected", [
    (TRAIL_CHANGES, True),
    ("{($.eventName=StopLogging)||($.eventName=StartLogging)||($.eventName=DeleteTrail)||"
     "($.eventName=UpdateTrail)||($.eventName=CreateTrail)}", True),
    ('{ ($.eventName = "CreateTrail") || ($.eventName = "UpdateTrail") || ($.eventName = "DeleteTrail") || '
     '($.eventName = "StartLogging") || ($.eventName = "StopLogging") || ($.eventName = "PutEventSelectors") }',
     True),
    # StopLogging left out: the one change that matters most.
    ("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
     "($.eventName = StartLogging) }", False),
    ("{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = CreateTrail) || ($.eventName = UpdateTrail) "
     "|| ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging)) }", False),
])
def test_a_filter_covers_the_trail_changes_pattern_whatever_the_order(pattern, expected):
    assert covers(pattern, TRAIL_CHANGES) is expected


def test_every_cis_pattern_reads_and_and_binds_tighter_than_or():
    assert all(normal_form(p) is not None for c in MONITORING_CONTROLS for p in c.patterns)
    a, b, c = ("$.a", "=", "1"), ("$.b", "=", "2"), ("$.c", "=", "3")
    assert normal_form("{ $.a = 1 || $.b = 2 && $.c = 3 }") == frozenset(
        {frozenset({a, b}), frozenset({a, c})})


# ---- the monitoring chain ----------------------------------------------------------------------------------------

GROUP = f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:cloudtrail"
NO_CHAIN = "a logging multi-region trail recording every management event to CloudWatch Logs"
TOPIC = f"arn:aws:sns:{HOME}:{ACCOUNT}:alerts"


def metric_filter(name: str, pattern: str, group: str = GROUP) -> dict[str, Any]:
    return {"_key": f"{group}:metric-filter:{name}", "accountId": ACCOUNT, "region": HOME, "filterName": name,
            "logGroupArn": group, "filterPattern": pattern,
            "metricTransformations": [{"metricName": name, "metricNamespace": "CIS", "metricValue": "1"}]}


def alarm(metric: str, actions: tuple[str, ...] = (TOPIC,), enabled: bool = True) -> dict[str, Any]:
    return {"_key": f"arn:aws:cloudwatch:{HOME}:{ACCOUNT}:alarm:{metric}", "accountId": ACCOUNT, "region": HOME,
            "alarmName": metric, "watchedMetrics": [{"metricName": metric, "namespace": "CIS"}],
            "actionsEnabled": enabled, "alarmActions": list(actions)}


def estate(**changes: Any) -> dict[str, list[dict[str, Any]]]:
    """An account whose root use is monitored end to end, with `changes` to the tables."""
    return {
        "aws_account": [account_of(ACCOUNT)],
        "aws_ec2_regional_settings": regions_of(ACCOUNT),
        "aws_cloudtrail": [trail("audit", cloudWatchLogsLogGroupArn=f"{GROUP}:*")],
        "aws_cloudwatch_log_metric_filter": [metric_filter("root", ROOT_USE)],
        "aws_cloudwatch_metric_alarm": [alarm("root")],
        "aws_sns_topic": [{"_key": TOPIC, "accountId": ACCOUNT, "region": HOME, "subscriptionsConfirmed": 0}],
        "aws_sns_subscription": [{"_key": f"{TOPIC}:s1", "accountId": ACCOUNT, "region": HOME, "topicArn": TOPIC}],
        **changes,
    }


def missing(tables: dict[str, list[dict[str, Any]]], rule_id: str = "AWS-CLOUDWATCH-003") -> str | None:
    evidence = found(tables, rule_id).get(account_of(ACCOUNT)["_key"])
    return evidence["missing"] if evidence else None


def test_root_use_monitored_end_to_end_passes_and_the_other_controls_fire():
    assert missing(estate()) is None
    fired = {rule_id for rule_id in (c.rule_id for c in MONITORING_CONTROLS) if missing(estate(), rule_id)}
    assert fired == {c.rule_id for c in MONITORING_CONTROLS} - {"AWS-CLOUDWATCH-003"}
    assert missing(estate(), "AWS-CLOUDWATCH-005") == "a metric filter on the trail's log group matching CIS's pattern"


def test_the_topic_counts_as_subscribed_by_its_confirmed_count_too():
    topic = {"_key": TOPIC, "accountId": ACCOUNT, "region": HOME, "subscriptionsConfirmed": 1}
    assert missing(estate(aws_sns_topic=[topic], aws_sns_subscription=[])) is None


@pytest.mark.parametrize("changes, link", [
    ({"aws_cloudtrail": [trail("audit", isMultiRegionTrail=False, cloudWatchLogsLogGroupArn=f"{GROUP}:*")]},
     "a logging multi-region trail recording every management event to CloudWatch Logs"),
    ({"aws_cloudtrail": [trail("audit")]},
     "a logging multi-region trail recording every management event to CloudWatch Logs"),
    ({"aws_cloudwatch_log_metric_filter": [metric_filter("root", ROOT_USE, group=GROUP + "-other")]},
     "a metric filter on the trail's log group matching CIS's pattern"),
    ({"aws_cloudwatch_log_metric_filter": [metric_filter("root", '{ $.userIdentity.type = "Root" && '
                                                                 '$.eventName = "ConsoleLogin" }')]},
     "a metric filter on the trail's log group matching CIS's pattern"),
    ({"aws_cloudwatch_metric_alarm": [alarm("other-metric")]}, "an alarm with actions enabled on the filter's metric"),
    ({"aws_cloudwatch_metric_alarm": [alarm("root", enabled=False)]},
     "an alarm with actions enabled on the filter's metric"),
    ({"aws_sns_subscription": []}, "an SNS topic with a subscriber among the alarm's actions"),
    ({"aws_cloudwatch_metric_alarm": [alarm("root", actions=())]},
     "an SNS topic with a subscriber among the alarm's actions"),
])
def test_each_missing_link_of_the_chain_fires_and_is_named(changes, link):
    assert missing(estate(**changes)) == link


def test_an_account_whose_regions_the_lake_does_not_hold_is_not_judged_on_monitoring():
    assert missing(estate(aws_cloudtrail=[], aws_ec2_regional_settings=[])) is None
    assert missing(estate(aws_cloudtrail=[])) == NO_CHAIN
