"""Who is in the simulated organisation: the operator, the member accounts and the regions they use.

The estate modules (aws_assets/sim/estate/) key their per-account plans by the account IDs below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

OPERATOR_ACCOUNT_ID = "123456789012"  # moto's default account: the one that runs aws-assets
PROD = "111111111111"
DEV = "222222222222"
SHARED = "333333333333"
# The member accounts in seeding order. The name is also the <env> that starts the account's resource names.
ACCOUNTS: Mapping[str, str] = {PROD: "prod", DEV: "dev", SHARED: "shared"}
# The account holding the organisation's only S3 object and DynamoDB item: tests prove the product reads neither.
SAMPLE_DATA_ACCOUNT = PROD

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
HOME_REGION = "us-east-1"

# Outside the organisation and never seeded: the partner the estate's resource policies let in (a topic it may
# publish to, a secret it may read).
PARTNER_ACCOUNT_ID = "444444444444"

INTEGRATION_ROLE_NAME = "aws-assets-readonly"
ORGANIZATION_ID = "o-acme2k9x7q"


def external_id_for(account_id: str) -> str:
    """Deterministic, non-secret ExternalId of an account's integration role."""
    digest = hashlib.sha256(f"aws-assets-simulated-org:{account_id}".encode()).hexdigest()
    return f"aws-assets-{digest[:20]}"


def role_arn(account_id: str, role_name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def spread_over_regions(number: int) -> str:
    """The region of the ``number``-th (from 1) resource of a bulk tier: round-robin over :data:`REGIONS`."""
    return REGIONS[(number - 1) % len(REGIONS)]
