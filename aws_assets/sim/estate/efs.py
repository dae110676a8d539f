"""EFS: prod's shared home directories in us-east-1, encrypted with the region's ``alias/prod-data`` key, and its
render scratch space in eu-west-1, created before anyone thought of encryption (unencrypted); dev's shared home in
us-east-1, encrypted. shared has none.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import DEV, PROD, SHARED
from aws_assets.sim.estate import kms
from aws_assets.sim.seeder import AccountContext, Seeder

# account -> (name suffix, region, encrypted) of each file system
FILE_SYSTEMS: Mapping[str, tuple[tuple[str, str, bool], ...]] = {
    PROD: (("shared-home", "us-east-1", True), ("render-scratch", "eu-west-1", False)),
    DEV: (("shared-home", "us-east-1", True),),
    SHARED: (),
}


def _seed(account: AccountContext) -> None:
    for suffix, region, encrypted in FILE_SYSTEMS[account.account_id]:
        name = f"{account.name}-{suffix}"
        key = {"KmsKeyId": account[kms.DATA_KEY_ARNS][region]} if encrypted else {}
        account.clients("efs", region).create_file_system(
            CreationToken=name, Encrypted=encrypted, PerformanceMode="generalPurpose", **key,
            Tags=[{"Key": "Name", "Value": name}, {"Key": "team", "Value": "platform"}],
        )


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity
    return {"aws_efs": 1, "aws_efs_file_system": len(FILE_SYSTEMS[account_id])}


SEEDER = Seeder(seed=_seed, counts=_counts, after=(kms.SEEDER,))
