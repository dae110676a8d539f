from aws_assets.services import cloudwatch, logs
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, serve_in_pages

ROOT_USAGE = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }'
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:security-alerts"


def seed_monitoring(account_session) -> None:
    """The log group `cloudtrail` (90 days, KMS) with the root-usage metric filter, `app` (never expires); an alarm
    on the filter's metric notifying the topic, and one on CPU with no action."""
    client = account_session.client("logs", region_name=REGION)
    client.create_log_group(logGroupName="cloudtrail", kmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234")
    client.put_retention_policy(logGroupName="cloudtrail", retentionInDays=90)
    client.create_log_group(logGroupName="app")
    client.put_metric_filter(
        logGroupName="cloudtrail", filterName="root-usage", filterPattern=ROOT_USAGE,
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}])
    alarms = account_session.client("cloudwatch", region_name=REGION)
    alarms.put_metric_alarm(
        AlarmName="root-usage", MetricName="RootUsage", Namespace="CISBenchmark", Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[TOPIC_ARN])
    alarms.put_metric_alarm(
        AlarmName="cpu-high", MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average", Period=60,
        EvaluationPeriods=3, Threshold=80.5, ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "InstanceId", "Value": "i-0abc"}])


def collect(regional, entity_type) -> dict[str, dict]:
    rows = entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION).to_pylist()
    return {row["name"]: row for row in rows}


def test_log_groups_with_retention_and_encryption(account_session, regional):
    seed_monitoring(account_session)

    rows = collect(regional, logs.LOG_GROUP)

    assert sorted(rows) == ["app", "cloudtrail"]
    trail_group = rows["cloudtrail"]
    assert trail_group["_key"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:cloudtrail"
    assert (trail_group["retentionInDays"], trail_group["encrypted"]) == (90, True)
    assert trail_group["kmsKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234"
    assert (rows["app"]["retentionInDays"], rows["app"]["encrypted"]) == (None, False)
    assert trail_group["createdOn"] is not None and trail_group["_class"] == ["Logs"]


def test_metric_filters_with_pattern_and_metric(account_session, regional):
    seed_monitoring(account_session)

    [row] = collect(regional, logs.METRIC_FILTER).values()

    assert row["_key"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:cloudtrail:metric-filter:root-usage"
    assert (row["logGroupName"], row["filterPattern"]) == ("cloudtrail", ROOT_USAGE)
    assert row["logGroupArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:cloudtrail"
    assert row["metricTransformations"] == [
        {"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}]
    assert (row["metricNames"], row["metricNamespaces"]) == (["RootUsage"], ["CISBenchmark"])


def test_log_groups_and_filters_are_read_past_the_first_page(account_session, regional):
    seed_monitoring(account_session)
    client = account_session.client("logs", region_name=REGION)
    groups = client.describe_log_groups()["logGroups"]
    filters = client.describe_metric_filters()["metricFilters"] * 2  # one filter, served twice as two pages
    serve_in_pages(regional, "cloudwatch-logs", "DescribeLogGroups", "logGroups", lambda _: groups, token="nextToken")
    serve_in_pages(regional, "cloudwatch-logs", "DescribeMetricFilters", "metricFilters", lambda _: filters,
                   token="nextToken")

    assert len(logs.LOG_GROUP.collect(regional)) == 2
    assert len(logs.METRIC_FILTER.collect(regional)) == 2
    calls = regional.calls.by_operation()
    assert (calls["logs:DescribeLogGroups"], calls["logs:DescribeMetricFilters"]) == (2, 2)


def test_metric_alarms_with_metric_threshold_and_actions(account_session, regional):
    seed_monitoring(account_session)

    rows = collect(regional, cloudwatch.METRIC_ALARM)

    assert sorted(rows) == ["cpu-high", "root-usage"]
    root = rows["root-usage"]
    assert root["_key"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT_ID}:alarm:root-usage"
    assert (root["metricName"], root["namespace"], root["statistic"]) == ("RootUsage", "CISBenchmark", "Sum")
    assert root["watchedMetrics"] == [{"metricName": "RootUsage", "namespace": "CISBenchmark"}]
    assert (root["alarmActions"], root["actionsEnabled"], root["threshold"]) == ([TOPIC_ARN], True, "1.0")
    cpu = rows["cpu-high"]
    assert (cpu["alarmActions"], cpu["threshold"], cpu["evaluationPeriods"]) == ([], "80.5", 3)
    assert cpu["dimensions"] == '[{"Name": "InstanceId", "Value": "i-0abc"}]'
    assert cpu["_class"] == ["Alert"]
    assert regional.calls.by_operation() == {"cloudwatch:DescribeAlarms": 1, "sts:AssumeRole": 1}


def test_a_metric_math_alarm_watches_each_metric_of_its_query():
    alarm = {"Metrics": [
        {"Id": "errors", "MetricStat": {"Metric": {"MetricName": "Errors", "Namespace": "App"}}},
        {"Id": "rate", "Expression": "errors / 60"},
    ]}

    assert cloudwatch.watched_metrics(alarm) == [{"metricName": "Errors", "namespace": "App"}]
