"""Organizations: the simulated accounts are in no AWS Organization yet, so every account collects its
``aws_organizations`` service entity and nothing else.

Seeding one needs moto taught first (in ``aws_assets/sim/teach_moto.py``): moto 5.2.5 has no
InviteAccountToOrganization (``create_account`` makes random IDs, so prod, dev and shared cannot join) and picks a
random organisation ID. (A member's ListRoots and other listing calls are refused as on AWS: teach_moto does that.)
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_assets.sim.seeder import AccountContext, Seeder

_ORGANIZATION_TYPES = (
    "aws_organization",
    "aws_organization_root",
    "aws_organizational_unit",
    "aws_organization_account",
    "aws_organizations_policy",
)


def _seed(account: AccountContext) -> None:
    """Nothing to seed until moto can hold the simulated accounts in one organisation."""


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    return {"aws_organizations": 1, **dict.fromkeys(_ORGANIZATION_TYPES, 0)}


SEEDER = Seeder(seed=_seed, counts=_counts)
