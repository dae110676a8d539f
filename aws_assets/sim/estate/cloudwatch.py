"""CloudWatch alarms, in prod us-east-1: one per CIS metric filter of the trail's log group (see
:mod:`aws_assets.sim.estate.logs`), each notifying the ``prod-security-alerts`` topic, except the Organizations
changes metric, which no alarm watches. dev and shared have no alarm.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import HOME_REGION, PROD
from aws_assets.sim.estate import logs, sns
from aws_assets.sim.seeder import AccountContext, Seeder

UNWATCHED_METRICS = frozenset({"OrganizationsChanges"})


def _alarmed_metrics(account_id: str) -> list[str]:
    return [metric for metric in logs.CIS_FILTERS if metric not in UNWATCHED_METRICS] if account_id == PROD else []


def _seed(account: AccountContext) -> None:
    cloudwatch = account.clients("cloudwatch", HOME_REGION)
    for metric in _alarmed_metrics(account.account_id):
        cloudwatch.put_metric_alarm(
            AlarmName=f"cis-{metric}", MetricName=metric, Namespace=logs.CIS_NAMESPACE, Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching", AlarmActions=[account[sns.SECURITY_ALERTS_TOPIC_ARN]],
        )


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity
    return {"aws_cloudwatch": 1, "aws_cloudwatch_metric_alarm": len(_alarmed_metrics(account_id))}


SEEDER = Seeder(seed=_seed, counts=_counts, after=(logs.SEEDER, sns.SEEDER))
