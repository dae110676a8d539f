"""CloudWatch Logs of one region: log groups (retention, encryption) and the metric filters that turn log events
into metrics, such as the CIS filters on CloudTrail's log group.

Calls per account and region: logs:DescribeLogGroups and logs:DescribeMetricFilters, each paginated (one call per 50
groups or filters); the filters of every group come from one listing, not a call per group. Log events are never
read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from aws_assets.aws.partition import PartitionCollection
from aws_assets.model.entity import (
    Column,
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    integer,
    string,
    strings,
)
from aws_assets.services.common import console_link

PAGE_SIZE = 50  # the largest page both operations accept

METRIC_TRANSFORMATION = pa.struct(
    [("metricName", pa.string()), ("metricNamespace", pa.string()), ("metricValue", pa.string())]
)

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def log_group_arn(region: str, account_id: str, name: str) -> str:
    """The log group's ARN without the `:*` that DescribeLogGroups' `arn` (and a trail's log group ARN) ends with."""
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


def _group_link(name: str, region: str) -> str:
    return console_link(f"cloudwatch/home#logsV2:log-groups/log-group/{name.replace('/', '$252F')}", region)


def log_group_rows(groups: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    rows = []
    for group in groups:
        name = group["logGroupName"]
        arn = group.get("logGroupArn") or log_group_arn(region, account_id, name)
        rows.append(
            {
                "_key": arn,
                "name": name,
                "arn": arn,
                "webLink": _group_link(name, region),
                "createdOn": from_millis(group.get("creationTime")),
                "tags": {},
                "logGroupName": name,
                "retentionInDays": group.get("retentionInDays"),  # absent: events never expire
                "encrypted": bool(group.get("kmsKeyId")),
                "kmsKeyId": group.get("kmsKeyId"),
                "storedBytes": group.get("storedBytes"),
                "logGroupClass": group.get("logGroupClass"),
                "dataProtectionStatus": group.get("dataProtectionStatus"),
            }
        )
    return rows


def from_millis(value: int | None) -> datetime | None:
    """CloudWatch Logs answers times as milliseconds since the epoch."""
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


def metric_filter_key(region: str, account_id: str, log_group: str, filter_name: str) -> str:
    # Metric filters have no ARN; a filter's name is unique within its log group.
    return f"{log_group_arn(region, account_id, log_group)}:metric-filter:{filter_name}"


def metric_filter_rows(filters: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    rows = []
    for metric_filter in filters:
        group, name = metric_filter["logGroupName"], metric_filter["filterName"]
        transformations = [
            {
                "metricName": t.get("metricName"),
                "metricNamespace": t.get("metricNamespace"),
                "metricValue": t.get("metricValue"),
            }
            for t in metric_filter.get("metricTransformations", [])
        ]
        rows.append(
            {
                "_key": metric_filter_key(region, account_id, group, name),
                "name": name,
                "webLink": _group_link(group, region),
                "createdOn": from_millis(metric_filter.get("creationTime")),
                "tags": {},
                "filterName": name,
                "logGroupName": group,
                "logGroupArn": log_group_arn(region, account_id, group),
                "filterPattern": metric_filter.get("filterPattern"),
                "metricTransformations": transformations,
                "metricNames": [t["metricName"] for t in transformations if t["metricName"]],
                "metricNamespaces": sorted({t["metricNamespace"] for t in transformations if t["metricNamespace"]}),
            }
        )
    return rows


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_log_groups(aws: PartitionCollection) -> list[dict[str, Any]]:
    groups = aws.paginate("logs", "describe_log_groups", "logGroups", PaginationConfig={"PageSize": PAGE_SIZE})
    return log_group_rows(groups, aws.account_id, aws.region)


def collect_metric_filters(aws: PartitionCollection) -> list[dict[str, Any]]:
    filters = aws.paginate("logs", "describe_metric_filters", "metricFilters", PaginationConfig={"PageSize": PAGE_SIZE})
    return metric_filter_rows(filters, aws.account_id, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

LOG_GROUP = EntityType(
    type="aws_cloudwatch_log_group",
    classes=("Logs",),
    description="CloudWatch Logs log groups: how long events are kept and whether a KMS key encrypts them. Never an "
    "event.",
    columns=(
        string("logGroupName", "Log group name"),
        integer("retentionInDays", "Days events are kept; empty: never expire"),
        boolean("encrypted", "Whether a KMS key of the account encrypts the group (CloudWatch encrypts it otherwise)"),
        string("kmsKeyId", "ARN of the KMS key that encrypts the group's events"),
        integer("storedBytes", "Bytes stored"),
        string("logGroupClass", "STANDARD, INFREQUENT_ACCESS or DELIVERY"),
        string("dataProtectionStatus", "Whether a data protection policy masks sensitive data: ACTIVATED, ..."),
    ),
    collect=collect_log_groups,
    console="CloudWatch > Log groups",
)

METRIC_FILTER = EntityType(
    type="aws_cloudwatch_log_metric_filter",
    classes=("Configuration",),
    description="CloudWatch Logs metric filters: the pattern a log group's events are matched on and the metric "
    "each match counts, which alarms watch (the CIS monitoring controls on CloudTrail's log group).",
    columns=(
        string("filterName", "Filter name, unique in its log group"),
        string("logGroupName", "Log group whose events the filter matches"),
        string("logGroupArn", "ARN of that log group (aws_cloudwatch_log_group)"),
        string("filterPattern", "The filter pattern, e.g. `{ $.userIdentity.type = \"Root\" && ... }`"),
        Column(
            "metricTransformations",
            pa.list_(METRIC_TRANSFORMATION),
            "Metrics the filter publishes: metricName, metricNamespace and metricValue",
        ),
        strings("metricNames", "Names of the metrics the filter publishes"),
        strings("metricNamespaces", "Namespaces of those metrics"),
    ),
    collect=collect_metric_filters,
    console="CloudWatch > Log groups > Metric filters",
)

SERVICE = Service(
    name="cloudwatch_logs",
    title="CloudWatch Logs",
    scope=Scope.REGION,
    entity_types=(LOG_GROUP, METRIC_FILTER),
    entity=ServiceEntity(
        "aws_cloudwatch_logs", "CloudWatch Logs", "logging", "cloudwatch/home#logsV2:log-groups",
        members=(), members_beyond_spec=(LOG_GROUP, METRIC_FILTER),
    ),
)
