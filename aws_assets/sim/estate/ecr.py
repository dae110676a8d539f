"""ECR, in us-east-1: ``<env>/orders-api`` (immutable tags, scan on push, AES256). Only in shared:
``shared/base-images``, encrypted with ``alias/shared-data``, whose repository policy lets any principal of the
organisation (``aws:PrincipalOrgID``) pull.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import HOME_REGION, ORGANIZATION_ID, SHARED
from aws_assets.sim.documents import policy_document
from aws_assets.sim.estate import kms
from aws_assets.sim.seeder import AccountContext, Seeder


def _seed(account: AccountContext) -> None:
    ecr = account.clients("ecr", HOME_REGION)
    ecr.create_repository(repositoryName=f"{account.name}/orders-api", imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True})
    if account.account_id == SHARED:
        ecr.create_repository(repositoryName="shared/base-images", encryptionConfiguration={
            "encryptionType": "KMS", "kmsKey": account[kms.DATA_KEY_ARNS][HOME_REGION]})
        organisation_pulls = {
            "Sid": "OrganisationPulls", "Effect": "Allow", "Principal": "*",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
        }
        ecr.set_repository_policy(repositoryName="shared/base-images",
                                  policyText=policy_document(organisation_pulls))


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity
    return {"aws_ecr": 1, "aws_ecr_repository": 1 + (account_id == SHARED)}


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER,))
