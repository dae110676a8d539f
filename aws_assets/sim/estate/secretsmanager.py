"""Secrets Manager, in us-east-1: ``<env>/orders/db`` (encrypted with ``alias/<env>-data``; its value is
:data:`SECRET_VALUE`, which the product must never read). Only in prod, its resource policy lets the partner account,
outside the organisation, read it.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import HOME_REGION, PARTNER_ACCOUNT_ID, PROD
from aws_assets.sim.documents import policy_document
from aws_assets.sim.estate import kms
from aws_assets.sim.seeder import AccountContext, Seeder

SECRET_VALUE = "orders-db-password-never-collected"


def _seed(account: AccountContext) -> None:
    secrets = account.clients("secretsmanager", HOME_REGION)
    arn = secrets.create_secret(
        Name=f"{account.name}/orders/db", Description="Orders database credentials",
        KmsKeyId=account[kms.DATA_KEY_ARNS][HOME_REGION], SecretString=SECRET_VALUE,
        Tags=[{"Key": "Service", "Value": "orders"}],
    )["ARN"]
    if account.account_id == PROD:
        partner_reads = {"Sid": "PartnerReads", "Effect": "Allow",
                         "Principal": {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT_ID}:root"},
                         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        secrets.put_resource_policy(SecretId=arn, ResourcePolicy=policy_document(partner_reads))


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {"aws_secretsmanager": 1, "aws_secretsmanager_secret": 1}  # each service of an account is one entity


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER,))
