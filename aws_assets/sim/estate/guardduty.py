"""GuardDuty: prod has an enabled detector in every region; dev only in us-east-1; shared in us-east-1 and
eu-west-1, and a suspended one (status DISABLED) in ap-southeast-2. aws-assets finds one row per region either way.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import DEV, PROD, REGIONS, SHARED
from aws_assets.sim.seeder import AccountContext, Seeder

# region -> whether its detector is enabled; a region not named has no detector
DETECTORS: Mapping[str, Mapping[str, bool]] = {
    PROD: dict.fromkeys(REGIONS, True),
    DEV: {"us-east-1": True},
    SHARED: {"us-east-1": True, "eu-west-1": True, "ap-southeast-2": False},
}


def _seed(account: AccountContext) -> None:
    for region, enabled in DETECTORS[account.account_id].items():
        account.clients("guardduty", region).create_detector(Enable=enabled, FindingPublishingFrequency="SIX_HOURS")


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity, and has a detector row in every region
    return {"aws_guardduty": 1, "aws_guardduty_detector": len(REGIONS)}


SEEDER = Seeder(seed=_seed, counts=_counts)
