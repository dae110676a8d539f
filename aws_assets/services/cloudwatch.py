"""CloudWatch metric alarms of one region: the metric each watches, the threshold, and whom it notifies.

Calls per account and region: cloudwatch:DescribeAlarms, paginated (one call per 100 alarms), for metric alarms
(composite alarms watch other alarms, not metrics, and are not collected). Tags are not collected: they would cost a
ListTagsForResource per alarm.
"""

from __future__ import annotations

import json
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
    json_text,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import console_link

PAGE_SIZE = 100  # the largest page DescribeAlarms accepts

WATCHED_METRIC = pa.struct([("metricName", pa.string()), ("namespace", pa.string())])

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def watched_metrics(alarm: dict[str, Any]) -> list[dict[str, str | None]]:
    """The metrics an alarm watches: its own metric, or each metric of its metric-math query."""
    if alarm.get("MetricName"):
        return [{"metricName": alarm["MetricName"], "namespace": alarm.get("Namespace")}]
    watched = []
    for query in alarm.get("Metrics", []):
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        if metric.get("MetricName"):
            watched.append({"metricName": metric["MetricName"], "namespace": metric.get("Namespace")})
    return watched


def alarm_rows(alarms: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    rows = []
    for alarm in alarms:
        name, arn = alarm["AlarmName"], alarm["AlarmArn"]
        dimensions = alarm.get("Dimensions") or []
        rows.append(
            {
                "_key": arn,
                "name": name,
                "arn": arn,
                "webLink": console_link(f"cloudwatch/home#alarmsV2:alarm/{name}", region),
                "tags": {},
                "alarmName": name,
                "description": alarm.get("AlarmDescription"),
                "metricName": alarm.get("MetricName"),
                "namespace": alarm.get("Namespace"),
                "watchedMetrics": watched_metrics(alarm),
                "statistic": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                "dimensions": json.dumps(dimensions, sort_keys=True) if dimensions else None,
                "period": alarm.get("Period"),
                "evaluationPeriods": alarm.get("EvaluationPeriods"),
                "threshold": None if alarm.get("Threshold") is None else str(alarm["Threshold"]),
                "comparisonOperator": alarm.get("ComparisonOperator"),
                "treatMissingData": alarm.get("TreatMissingData"),
                "actionsEnabled": alarm.get("ActionsEnabled"),
                "alarmActions": alarm.get("AlarmActions", []),
                "okActions": alarm.get("OKActions", []),
                "insufficientDataActions": alarm.get("InsufficientDataActions", []),
                "stateValue": alarm.get("StateValue"),
                "stateUpdatedTimestamp": alarm.get("StateUpdatedTimestamp"),
            }
        )
    return rows


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_alarms(aws: PartitionCollection) -> list[dict[str, Any]]:
    alarms = aws.paginate(
        "cloudwatch", "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"],
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    return alarm_rows(alarms, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

METRIC_ALARM = EntityType(
    type="aws_cloudwatch_metric_alarm",
    classes=("Alert",),
    description="CloudWatch metric alarms: the metric watched, the threshold and the actions (SNS topics, ...) taken "
    "when the alarm fires.",
    columns=(
        string("alarmName", "Alarm name"),
        string("description", "Alarm description"),
        string("metricName", "Metric the alarm watches; empty for a metric-math alarm (see watchedMetrics)"),
        string("namespace", "Namespace of that metric"),
        Column(
            "watchedMetrics",
            pa.list_(WATCHED_METRIC),
            "Every metric the alarm watches (its metric, or each metric of its metric-math query): metricName, "
            "namespace",
        ),
        string("statistic", "Statistic compared with the threshold, e.g. Sum, or a percentile such as p99"),
        json_text("dimensions", "Dimensions of the metric"),
        integer("period", "Seconds over which the statistic is computed"),
        integer("evaluationPeriods", "Periods compared with the threshold"),
        string("threshold", "Threshold the statistic is compared with (as AWS's number, in text)"),
        string("comparisonOperator", "How the statistic is compared, e.g. GreaterThanOrEqualToThreshold"),
        string("treatMissingData", "What missing data counts as: missing, notBreaching, breaching, ignore"),
        boolean("actionsEnabled", "Whether the alarm's actions run when its state changes"),
        strings("alarmActions", "ARNs of what the alarm notifies or runs when it goes to ALARM (SNS topics, ...)"),
        strings("okActions", "ARNs of the actions when it goes back to OK"),
        strings("insufficientDataActions", "ARNs of the actions when data is insufficient"),
        string("stateValue", "Current state: OK, ALARM or INSUFFICIENT_DATA"),
        timestamp("stateUpdatedTimestamp", "When the state last changed"),
    ),
    collect=collect_alarms,
    console="CloudWatch > Alarms",
)

SERVICE = Service(
    name="cloudwatch",
    title="CloudWatch",
    scope=Scope.REGION,
    entity_types=(METRIC_ALARM,),
    entity=ServiceEntity(
        "aws_cloudwatch", "CloudWatch", "monitoring", "cloudwatch/home", members=(), members_beyond_spec=(METRIC_ALARM,)
    ),
)
