"""The CIS monitoring controls 4.1 to 4.15, as CIS's audit procedure checks each: a multi-region trail that is
logging and records every management event sends the account's events to a CloudWatch Logs group; a metric filter
on that group matches at least what CIS's pattern for the control matches (aws_assets.analysis.rules.filter_patterns
decides it as logic, not text); an alarm, with its actions enabled, watches the filter's metric; and one of its
actions is an SNS topic with at least one confirmed subscriber. One rule per control, one finding per account that
lacks the chain, whose evidence says how far the chain goes.

The patterns are CIS AWS Foundations Benchmark v4.0's (section 4's audit procedures). CIS 4.2 also accepts its
variant that leaves out SSO sign-ins (`$.userIdentity.type = "IAMUser"` and a successful login)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_assets.analysis.rules.filter_patterns import covers
from aws_assets.analysis.rules.model import PLACE, Detection, Detector, Row, Rule, RuleInputs
from aws_assets.analysis.rules.trails import (
    REGIONS_SUBJECT,
    TRAIL_READS,
    records_management_events,
    regions_collected,
    trails_by_account,
)


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName = {name})" for name in names)


@dataclass(frozen=True)
class MonitoringControl:
    control: str
    rule_id: str
    what: str  # completes "... is not monitored"
    patterns: tuple[str, ...]  # CIS's pattern, and the variants CIS accepts


MONITORING_CONTROLS: tuple[MonitoringControl, ...] = (
    MonitoringControl("4.1", "AWS-CLOUDWATCH-001", "Unauthorized API calls", (
        '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
        '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',)),
    MonitoringControl("4.2", "AWS-CLOUDWATCH-002", "Console sign-in without MFA", (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }')),
    MonitoringControl("4.3", "AWS-CLOUDWATCH-003", "Use of the root user", (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }',)),
    MonitoringControl("4.4", "AWS-CLOUDWATCH-004", "IAM policy changes", ("{ " + _any_event(
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy") + " }",)),
    MonitoringControl("4.5", "AWS-CLOUDWATCH-005", "CloudTrail configuration changes", ("{ " + _any_event(
        "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging") + " }",)),
    MonitoringControl("4.6", "AWS-CLOUDWATCH-006", "Console authentication failures", (
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',)),
    MonitoringControl("4.7", "AWS-CLOUDWATCH-007", "Disabling or scheduled deletion of customer managed keys", (
        "{ ($.eventSource = kms.amazonaws.com) && (" + _any_event("DisableKey", "ScheduleKeyDeletion") + ") }",)),
    MonitoringControl("4.8", "AWS-CLOUDWATCH-008", "S3 bucket policy changes", (
        "{ ($.eventSource = s3.amazonaws.com) && (" + _any_event(
            "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
            "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication") + ") }",)),
    MonitoringControl("4.9", "AWS-CLOUDWATCH-009", "AWS Config configuration changes", (
        "{ ($.eventSource = config.amazonaws.com) && (" + _any_event(
            "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
            "PutConfigurationRecorder") + ") }",)),
    MonitoringControl("4.10", "AWS-CLOUDWATCH-010", "Security group changes", ("{ " + _any_event(
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup") + " }",)),
    MonitoringControl("4.11", "AWS-CLOUDWATCH-011", "Network ACL changes", ("{ " + _any_event(
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation") + " }",)),
    MonitoringControl("4.12", "AWS-CLOUDWATCH-012", "Network gateway changes", ("{ " + _any_event(
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway") + " }",)),
    MonitoringControl("4.13", "AWS-CLOUDWATCH-013", "Route table changes", (
        "{ ($.eventSource = ec2.amazonaws.com) && (" + _any_event(
            "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
            "DeleteRoute", "DisassociateRouteTable") + ") }",)),
    MonitoringControl("4.14", "AWS-CLOUDWATCH-014", "VPC changes", ("{ " + _any_event(
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
        "DisableVpcClassicLink", "EnableVpcClassicLink") + " }",)),
    MonitoringControl("4.15", "AWS-CLOUDWATCH-015", "AWS Organizations changes", (
        "{ ($.eventSource = organizations.amazonaws.com) && (" + _any_event(
            "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
            "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
            "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization",
            "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit") + ") }",)),
)

_READS: Mapping[str, tuple[str, ...]] = {
    "aws_account": PLACE,
    **TRAIL_READS,
    "aws_cloudwatch_log_metric_filter": (*PLACE, "filterName", "logGroupArn", "filterPattern",
                                         "metricTransformations"),
    "aws_cloudwatch_metric_alarm": (*PLACE, "alarmName", "watchedMetrics", "actionsEnabled", "alarmActions"),
    "aws_sns_topic": (*PLACE, "subscriptionsConfirmed"),
    "aws_sns_subscription": (*PLACE, "topicArn"),
}


@dataclass(frozen=True)
class Chain:
    """A metric filter on a log group a qualifying trail writes to, and what watches its metrics."""

    filter: Row
    alarms: tuple[str, ...]  # alarms (enabled) on its metrics
    notified: tuple[str, ...]  # of those, the ones notifying a topic with a subscriber


def _group_arn(arn: str | None) -> str:
    return (arn or "").removesuffix(":*")


def monitoring_chains(inputs: RuleInputs) -> dict[str, tuple[list[Row], list[Chain]]]:
    """Account -> (the qualifying trails that send its events to a log group, the chains of their groups)."""
    subscribed = {row["topicArn"] for row in inputs.rows("aws_sns_subscription")}
    subscribed |= {row["_key"] for row in inputs.rows("aws_sns_topic") if (row["subscriptionsConfirmed"] or 0) > 0}
    alarms_by_metric: dict[tuple[str, str, str, str], list[Row]] = {}
    for alarm in inputs.rows("aws_cloudwatch_metric_alarm"):
        if alarm["actionsEnabled"] is False:
            continue
        for metric in alarm["watchedMetrics"] or ():
            place = (alarm["accountId"], alarm["region"], metric["namespace"], metric["metricName"])
            alarms_by_metric.setdefault(place, []).append(alarm)
    filters_by_group: dict[str, list[Row]] = {}
    for row in inputs.rows("aws_cloudwatch_log_metric_filter"):
        filters_by_group.setdefault(_group_arn(row["logGroupArn"]), []).append(row)
    chains_of_group: dict[str, list[Chain]] = {}
    out: dict[str, tuple[list[Row], list[Chain]]] = {}
    for account, trails in inputs.shared(trails_by_account).items():
        qualifying = [t for t in trails if records_management_events(t) and t["cloudWatchLogsLogGroupArn"]]
        chains: list[Chain] = []
        for group in sorted({_group_arn(t["cloudWatchLogsLogGroupArn"]) for t in qualifying}):
            if group not in chains_of_group:
                chains_of_group[group] = [_chain(f, alarms_by_metric, subscribed)
                                          for f in filters_by_group.get(group, ())]
            chains.extend(chains_of_group[group])
        out[account] = (qualifying, chains)
    return out


def _chain(metric_filter: Row, alarms_by_metric: Mapping[tuple[str, str, str, str], list[Row]],
           subscribed: set[str]) -> Chain:
    alarms: dict[str, bool] = {}
    for transformation in metric_filter["metricTransformations"] or ():
        place = (metric_filter["accountId"], metric_filter["region"], transformation["metricNamespace"],
                 transformation["metricName"])
        for alarm in alarms_by_metric.get(place, ()):
            notifies = any(action in subscribed for action in alarm["alarmActions"] or ())
            alarms[alarm["_key"]] = alarms.get(alarm["_key"], False) or notifies
    return Chain(metric_filter, tuple(sorted(alarms)), tuple(sorted(k for k, ok in alarms.items() if ok)))


def _unmonitored(control: MonitoringControl) -> Detector:
    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        chains, collected = inputs.shared(monitoring_chains), inputs.shared(regions_collected)
        for account in inputs.rows("aws_account"):
            if account["accountId"] not in collected:
                continue
            trails, account_chains = chains.get(account["accountId"], ([], []))
            matching = [c for c in account_chains
                        if any(covers(c.filter["filterPattern"], wanted) for wanted in control.patterns)]
            if any(c.notified for c in matching):
                continue
            yield Detection("aws_account", account["accountId"], account["region"], account["_key"],
                            _evidence(trails, matching))

    return detect


def _evidence(trails: Sequence[Row], matching: Sequence[Chain]) -> dict[str, Any]:
    if not trails:
        missing = "a logging multi-region trail recording every management event to CloudWatch Logs"
    elif not matching:
        missing = "a metric filter on the trail's log group matching CIS's pattern"
    elif not any(c.alarms for c in matching):
        missing = "an alarm with actions enabled on the filter's metric"
    else:
        missing = "an SNS topic with a subscriber among the alarm's actions"
    return {
        "missing": missing,
        "trailLogGroups": sorted({_group_arn(t["cloudWatchLogsLogGroupArn"]) for t in trails}),
        "matchingFilters": [c.filter["_key"] for c in matching],
        "alarms": sorted({alarm for c in matching for alarm in c.alarms}),
    }


MONITORING_RULES: tuple[Rule, ...] = tuple(
    Rule(
        control.rule_id, "low", f"{control.what} not monitored",
        f"No alarm tells anyone of {control.what[0].lower() + control.what[1:]}: the account lacks a metric filter "
        "matching at least CIS's pattern on the CloudWatch Logs group of a logging multi-region trail that records "
        "every management event, with an alarm on its metric notifying an SNS topic that has a subscriber. "
        "Evidence: the first link missing, the trail's log groups, the matching filters and their alarms. An account "
        "whose regions the lake does not hold is not judged.",
        _READS, _unmonitored(control),
        remediation=f"`aws logs put-metric-filter --log-group-name <trail's group> --filter-pattern "
        f"'{control.patterns[0]}'`, `aws cloudwatch put-metric-alarm` on its metric with `--alarm-actions "
        "<SNS topic>`, and `aws sns subscribe` someone to the topic.",
        cis=(control.control,), subject=REGIONS_SUBJECT,
    )
    for control in MONITORING_CONTROLS
)
