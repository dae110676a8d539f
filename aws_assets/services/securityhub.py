"""Security Hub of one region: whether the account is subscribed (the hub), and how.

Calls per account and region: securityhub:DescribeHub, one. A region where the account is not subscribed answers
InvalidAccessException; it is a row too (`enabled` false), so that "Security Hub is enabled in every region" can be
checked region by region. Findings are not collected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_assets.aws.partition import PartitionCollection, optional
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity, boolean, string
from aws_assets.services.common import console_link

NOT_SUBSCRIBED = ("InvalidAccessException",)

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def hub_arn(region: str, account_id: str) -> str:
    """The ARN AWS gives the hub of an account and region, subscribed or not yet."""
    return f"arn:aws:securityhub:{region}:{account_id}:hub/default"


def subscribed_at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def hub_rows(hub: dict[str, Any] | None, account_id: str, region: str) -> list[dict[str, Any]]:
    """`hub`: DescribeHub's response, or None where the account is not subscribed."""
    arn = (hub or {}).get("HubArn") or hub_arn(region, account_id)
    row: dict[str, Any] = {
        "_key": arn, "name": "default", "arn": arn, "webLink": console_link("securityhub/home#/summary", region),
        "tags": {}, "category": ["security"], "enabled": hub is not None,
    }
    if hub is not None:
        row.update({
            "createdOn": subscribed_at(hub.get("SubscribedAt")),
            "autoEnableControls": hub.get("AutoEnableControls"),
            "controlFindingGenerator": hub.get("ControlFindingGenerator"),
        })
    return [row]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_hub(aws: PartitionCollection) -> list[dict[str, Any]]:
    hub = optional(aws.client("securityhub").describe_hub, *NOT_SUBSCRIBED)
    return hub_rows(hub, aws.account_id, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

HUB = EntityType(
    type="aws_securityhub_hub",
    classes=("Control",),
    description="Security Hub, one row per region: whether the account is subscribed there (`enabled`), since when "
    "(createdOn), and whether new controls of enabled standards are turned on automatically.",
    columns=(
        boolean("enabled", "Whether the account is subscribed to Security Hub in the region"),
        boolean("autoEnableControls", "Whether controls added to enabled standards are enabled automatically"),
        string("controlFindingGenerator", "SECURITY_CONTROL (one finding per control) or STANDARD_CONTROL"),
    ),
    collect=collect_hub,
    console="Security Hub > Settings",
)

SERVICE = Service(
    name="securityhub",
    title="Security Hub",
    scope=Scope.REGION,
    entity_types=(HUB,),
    entity=ServiceEntity(
        "aws_securityhub", "Security Hub", "security-posture", "securityhub/home", members=(),
        members_beyond_spec=(HUB,),
    ),
)
