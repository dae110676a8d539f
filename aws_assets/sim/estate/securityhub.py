"""Security Hub: prod is subscribed in every region, shared in us-east-1 only, dev nowhere. aws-assets finds one
row per region either way.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import DEV, PROD, REGIONS, SHARED
from aws_assets.sim.seeder import AccountContext, Seeder

SUBSCRIBED_REGIONS: Mapping[str, tuple[str, ...]] = {PROD: REGIONS, DEV: (), SHARED: ("us-east-1",)}


def _seed(account: AccountContext) -> None:
    for region in SUBSCRIBED_REGIONS[account.account_id]:
        account.clients("securityhub", region).enable_security_hub(EnableDefaultStandards=False)


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity, and has a hub row in every region
    return {"aws_securityhub": 1, "aws_securityhub_hub": len(REGIONS)}


SEEDER = Seeder(seed=_seed, counts=_counts)
