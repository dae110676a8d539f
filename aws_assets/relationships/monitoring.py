"""Where the account's logging and monitoring go: trails and flow logs to their buckets and log groups, log groups to
their metric filters, the alarms watching those metrics to the topics they notify, and AWS Config to its bucket,
topic and role.

JupiterOne's live graph has `aws_vpc LOGS aws_cloudwatch_log_group` (a VPC's flow logs); the other edges are beyond
it and take its verbs (`LOGS` for where records are written, `NOTIFIES` for whom a resource tells, `MONITORS` for
what an alarm watches). A destination is joined by its ARN or, for a bucket, its name (unique across AWS), so one in
another account (a central logging account) is found when the lake holds it.
"""

from __future__ import annotations

from aws_assets.model.entity import string
from aws_assets.model.relationship import RelationshipType

SAME_PLACE = "{a}.accountId = {b}.accountId AND {a}.region = {b}.region"


def _same_place(a: str, b: str) -> str:
    return SAME_PLACE.format(a=a, b=b)


def _bucket_of_s3_arn(column: str) -> str:
    """The bucket name of an `arn:aws:s3:::bucket/prefix` destination."""
    return f"split_part(split_part({column}, ':::', 2), '/', 1)"


def flow_log_source(source_type: str, id_column: str) -> RelationshipType:
    return RelationshipType(
        source_type, "HAS", "aws_vpc_flow_log",
        f"The flow log records the IP traffic of the {source_type}.",
        "SELECT s._key AS _fromEntityKey, f._key AS _toEntityKey, f.accountId "
        f"FROM aws_vpc_flow_log f JOIN {source_type} s ON {_same_place('s', 'f')} AND s.{id_column} = f.resourceId",
        in_spec=False,
    )


RELATIONSHIPS = (
    RelationshipType(
        "aws_cloudtrail", "LOGS", "aws_s3_bucket",
        "The trail delivers its log files to the bucket (`s3BucketName`).",
        "SELECT t._key AS _fromEntityKey, b._key AS _toEntityKey, t.accountId, t.s3KeyPrefix "
        "FROM aws_cloudtrail t JOIN aws_s3_bucket b ON b.bucketName = t.s3BucketName",
        properties=(string("s3KeyPrefix", "Key prefix of the log files in the bucket"),),
        in_spec=False,
    ),
    RelationshipType(
        "aws_cloudtrail", "LOGS", "aws_cloudwatch_log_group",
        "The trail sends its events to the log group too (`cloudWatchLogsLogGroupArn`), where metric filters can "
        "match them.",
        "SELECT t._key AS _fromEntityKey, g._key AS _toEntityKey, t.accountId "
        "FROM aws_cloudtrail t JOIN aws_cloudwatch_log_group g "
        "ON g._key = regexp_replace(t.cloudWatchLogsLogGroupArn, ':\\*$', '')",
        in_spec=False,
    ),
    RelationshipType(
        "aws_cloudtrail", "NOTIFIES", "aws_sns_topic",
        "The trail notifies the topic of each log file it delivers.",
        "SELECT t._key AS _fromEntityKey, s._key AS _toEntityKey, t.accountId "
        "FROM aws_cloudtrail t JOIN aws_sns_topic s ON s._key = t.snsTopicArn",
        in_spec=False,
    ),
    RelationshipType(
        "aws_cloudwatch_log_group", "HAS", "aws_cloudwatch_log_metric_filter",
        "The metric filter matches the log group's events.",
        "SELECT g._key AS _fromEntityKey, f._key AS _toEntityKey, f.accountId "
        "FROM aws_cloudwatch_log_metric_filter f JOIN aws_cloudwatch_log_group g ON g._key = f.logGroupArn",
        in_spec=False,
    ),
    RelationshipType(
        "aws_cloudwatch_metric_alarm", "MONITORS", "aws_cloudwatch_log_metric_filter",
        "The alarm watches a metric the filter publishes (same metric name and namespace, account and region).",
        "SELECT DISTINCT a._key AS _fromEntityKey, f._key AS _toEntityKey, a.accountId "
        "FROM aws_cloudwatch_metric_alarm a, unnest(a.watchedMetrics) AS w(metric), "
        "aws_cloudwatch_log_metric_filter f, unnest(f.metricTransformations) AS t(published) "
        f"WHERE {_same_place('f', 'a')} AND t.published.metricName = w.metric.metricName "
        "AND t.published.metricNamespace = w.metric.namespace",
        in_spec=False,
    ),
    RelationshipType(
        "aws_cloudwatch_metric_alarm", "NOTIFIES", "aws_sns_topic",
        "The alarm publishes to the topic when it goes to ALARM (one of its `alarmActions`).",
        "SELECT DISTINCT a._key AS _fromEntityKey, s._key AS _toEntityKey, a.accountId "
        "FROM aws_cloudwatch_metric_alarm a, unnest(a.alarmActions) AS t(action) "
        "JOIN aws_sns_topic s ON s._key = t.action",
        in_spec=False,
    ),
    RelationshipType(
        "aws_config_delivery_channel", "LOGS", "aws_s3_bucket",
        "AWS Config delivers the region's configuration snapshots and history to the bucket.",
        "SELECT c._key AS _fromEntityKey, b._key AS _toEntityKey, c.accountId, c.s3KeyPrefix "
        "FROM aws_config_delivery_channel c JOIN aws_s3_bucket b ON b.bucketName = c.s3BucketName",
        properties=(string("s3KeyPrefix", "Key prefix of the delivered objects in the bucket"),),
        in_spec=False,
    ),
    RelationshipType(
        "aws_config_delivery_channel", "NOTIFIES", "aws_sns_topic",
        "AWS Config notifies the topic of configuration changes and deliveries.",
        "SELECT c._key AS _fromEntityKey, s._key AS _toEntityKey, c.accountId "
        "FROM aws_config_delivery_channel c JOIN aws_sns_topic s ON s._key = c.snsTopicArn",
        in_spec=False,
    ),
    RelationshipType(
        "aws_config_recorder", "USES", "aws_iam_role",
        "AWS Config assumes the role to describe the resources it records.",
        "SELECT c._key AS _fromEntityKey, r._key AS _toEntityKey, c.accountId "
        "FROM aws_config_recorder c JOIN aws_iam_role r ON r.arn = c.roleArn",
        in_spec=False,
    ),
    flow_log_source("aws_vpc", "vpcId"),
    flow_log_source("aws_subnet", "subnetId"),
    RelationshipType(
        "aws_vpc_flow_log", "LOGS", "aws_cloudwatch_log_group",
        "The flow log writes its records to the log group.",
        "SELECT f._key AS _fromEntityKey, g._key AS _toEntityKey, f.accountId "
        "FROM aws_vpc_flow_log f JOIN aws_cloudwatch_log_group g ON g._key = f.logDestination "
        "WHERE f.logDestinationType = 'cloud-watch-logs'",
        in_spec=False,
    ),
    RelationshipType(
        "aws_vpc_flow_log", "LOGS", "aws_s3_bucket",
        "The flow log writes its records to the bucket.",
        "SELECT f._key AS _fromEntityKey, b._key AS _toEntityKey, f.accountId "
        f"FROM aws_vpc_flow_log f JOIN aws_s3_bucket b ON b.bucketName = {_bucket_of_s3_arn('f.logDestination')} "
        "WHERE f.logDestinationType = 's3'",
        in_spec=False,
    ),
    RelationshipType(
        "aws_vpc", "LOGS", "aws_cloudwatch_log_group",
        "A flow log of the VPC writes its records to the log group.",
        "SELECT DISTINCT v._key AS _fromEntityKey, g._key AS _toEntityKey, v.accountId "
        f"FROM aws_vpc_flow_log f JOIN aws_vpc v ON {_same_place('v', 'f')} AND v.vpcId = f.resourceId "
        "JOIN aws_cloudwatch_log_group g ON g._key = f.logDestination "
        "WHERE f.logDestinationType = 'cloud-watch-logs'",
    ),
)
