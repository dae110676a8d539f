"""KMS, per region: the key ``alias/<env>-data`` that encrypts the estate's data at rest (EC2 volumes, the
customer-data bucket, RDS storage, DynamoDB tables, queues, topics, secrets), with automatic rotation on. Only in
prod, in us-east-1: ``alias/prod-release-artifacts``, whose key policy also lets the shared account decrypt with it
(a key trusted across the organisation's accounts).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import ACCOUNTS, HOME_REGION, PROD, REGIONS, SHARED
from aws_assets.sim.documents import policy_document
from aws_assets.sim.seeder import AccountContext, Output, Seeder

DATA_KEY_ARNS = Output[Mapping[str, str]]("the alias/<env>-data key ARN of each region")


def _root(account_id: str) -> dict[str, str]:
    return {"AWS": f"arn:aws:iam::{account_id}:root"}


def _shared_key_policy(owner: str, trusted: str) -> str:
    return policy_document(
        {"Sid": "OwnerAccount", "Effect": "Allow", "Principal": _root(owner), "Action": "kms:*", "Resource": "*"},
        {"Sid": f"{ACCOUNTS[trusted].capitalize()}AccountDecrypts", "Effect": "Allow", "Principal": _root(trusted),
         "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
    )


def _seed(account: AccountContext) -> None:
    key_arns = {}
    for region in REGIONS:
        kms = account.clients("kms", region)
        key_arn = kms.create_key(Description=f"{account.name} data at rest in {region}")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=f"alias/{account.name}-data", TargetKeyId=key_arn)
        kms.enable_key_rotation(KeyId=key_arn)
        key_arns[region] = key_arn
    account[DATA_KEY_ARNS] = key_arns
    if account.account_id == PROD:
        kms = account.clients("kms", HOME_REGION)
        key_arn = kms.create_key(Description="Signs and encrypts release artifacts the shared account deploys",
                                 Policy=_shared_key_policy(PROD, SHARED))["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName="alias/prod-release-artifacts", TargetKeyId=key_arn)


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {
        "aws_kms": 1,  # aws-assets models each service of an account as one entity
        "aws_kms_key": len(REGIONS) + (account_id == PROD),
    }


SEEDER = Seeder(seed=_seed, counts=_counts)
