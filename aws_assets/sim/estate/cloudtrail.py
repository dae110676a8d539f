"""CloudTrail, trails in us-east-1 delivering to the account's ``acme-<env>-access-logs`` bucket.

prod: ``prod-audit``, multi-region, logging, log file validation on, encrypted with ``alias/prod-data``, sending to
the CloudWatch Logs group ``aws-cloudtrail-logs-prod-audit``, recording every management event and every S3 object
read and write. dev: ``dev-us-east-1``, this region only, logging, no validation, no KMS key, no log group, AWS's
default selectors (management events only). shared: no trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_assets.sim.accounts import DEV, HOME_REGION, PROD
from aws_assets.sim.estate import kms, logs, s3
from aws_assets.sim.seeder import AccountContext, Seeder

_TRAILS = {PROD: "prod-audit", DEV: "dev-us-east-1"}


def _seed(account: AccountContext) -> None:
    name = _TRAILS.get(account.account_id)
    if name is None:
        return
    cloudtrail = account.clients("cloudtrail", HOME_REGION)
    arguments: dict[str, Any] = {
        "Name": name, "S3BucketName": account[s3.ACCESS_LOG_BUCKET], "S3KeyPrefix": "cloudtrail"}
    if account.account_id == PROD:
        group = logs.trail_log_group(account.name)
        arguments.update(
            IsMultiRegionTrail=True, EnableLogFileValidation=True, KmsKeyId=account[kms.DATA_KEY_ARNS][HOME_REGION],
            CloudWatchLogsLogGroupArn=f"arn:aws:logs:{HOME_REGION}:{account.account_id}:log-group:{group}:*",
            # Not seeded: no IAM role of the estate writes CloudTrail's events (moto does not deliver any).
            CloudWatchLogsRoleArn=f"arn:aws:iam::{account.account_id}:role/cloudtrail-to-cloudwatch-logs",
        )
    cloudtrail.create_trail(**arguments)
    cloudtrail.start_logging(Name=name)
    if account.account_id == PROD:
        cloudtrail.put_event_selectors(TrailName=name, EventSelectors=[{
            "ReadWriteType": "All", "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
        }])


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity
    return {"aws_cloudtrail_service": 1, "aws_cloudtrail": int(account_id in _TRAILS)}


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER, logs.SEEDER, s3.SEEDER))
