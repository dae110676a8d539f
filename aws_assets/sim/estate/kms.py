"""KMS, per region: the key ``alias/<env>-data`` that encrypts the estate's data at rest (EC2 volumes, the
customer-data bucket, RDS storage, DynamoDB tables). aws-assets collects no KMS entity.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import REGIONS
from aws_assets.sim.seeder import AccountContext, Output, Seeder

DATA_KEY_ARNS = Output[Mapping[str, str]]("the alias/<env>-data key ARN of each region")


def _seed(account: AccountContext) -> None:
    key_arns = {}
    for region in REGIONS:
        kms = account.clients("kms", region)
        key_arn = kms.create_key(Description=f"{account.name} data at rest in {region}")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=f"alias/{account.name}-data", TargetKeyId=key_arn)
        key_arns[region] = key_arn
    account[DATA_KEY_ARNS] = key_arns


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {}


SEEDER = Seeder(seed=_seed, counts=_counts)
