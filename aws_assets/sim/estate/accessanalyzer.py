"""IAM Access Analyzer: prod has an account analyzer of external access in every region; dev one in us-east-1 and,
in eu-west-1, only an analyzer of unused access (which does not look for external access); shared none. aws-assets
finds one row per region either way.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.accounts import DEV, PROD, REGIONS, SHARED
from aws_assets.sim.seeder import AccountContext, Seeder

UNUSED_ACCESS_DAYS = 90

# account -> region -> the types of its analyzers; a region not named has none
ANALYZERS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    PROD: dict.fromkeys(REGIONS, ("ACCOUNT",)),
    DEV: {"us-east-1": ("ACCOUNT",), "eu-west-1": ("ACCOUNT_UNUSED_ACCESS",)},
    SHARED: {},
}


def _seed(account: AccountContext) -> None:
    for region, types in ANALYZERS[account.account_id].items():
        client = account.clients("accessanalyzer", region)
        for analyzer_type in types:
            unused = analyzer_type == "ACCOUNT_UNUSED_ACCESS"
            client.create_analyzer(
                analyzerName=f"{account.name}-{'unused' if unused else 'external'}-access", type=analyzer_type,
                tags={"team": "security"},
                **({"configuration": {"unusedAccess": {"unusedAccessAge": UNUSED_ACCESS_DAYS}}} if unused else {}),
            )


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    # aws-assets models each service of an account as one entity, and has a row for a region without an analyzer
    analyzers = ANALYZERS[account_id]
    return {"aws_accessanalyzer": 1,
            "aws_accessanalyzer_analyzer": sum(max(1, len(analyzers.get(region, ()))) for region in REGIONS)}


SEEDER = Seeder(seed=_seed, counts=_counts)
