"""The zone of trust of each account, as IAM Access Analyzer draws it: the account alone, or its whole organisation.

Access Analyzer reports a resource shared with a principal outside the zone: "any principal in the organization or
account that you choose for the analyzer is considered trusted". Each integration instance may set
`"zoneOfTrust": "account"` or `"organization"` (aws_assets.inputs.instances); the members an organisation instance
stands for take its setting. Left out, the zone is the organisation when the lake holds the account's organisation,
else the account. An organisation zone of an account in no organisation the lake holds is that account.

Pure: the settings are the instances' (account -> setting or None), the organisation is
`organization_policies.OrganizationPolicies`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aws_assets.analysis.organization_policies import OrganizationPolicies

ACCOUNT_ZONE, ORGANIZATION_ZONE = "account", "organization"
ZONE_SETTINGS = (ACCOUNT_ZONE, ORGANIZATION_ZONE)


@dataclass(frozen=True)
class ZoneOfTrust:
    """The accounts an account trusts. `organization_id` is set for an organisation zone; `accounts` holds the
    accounts of the zone the lake knows (the account itself at least)."""

    account_id: str
    organization_id: str | None
    accounts: frozenset[str]

    @property
    def label(self) -> str:
        if self.organization_id:
            return f"{ORGANIZATION_ZONE}:{self.organization_id}"
        return f"{ACCOUNT_ZONE}:{self.account_id}"

    def holds_account(self, account_id: str | None) -> bool:
        return account_id in self.accounts

    def holds_organization(self, organization_id: str | None) -> bool:
        return self.organization_id is not None and organization_id == self.organization_id


def zones_of_trust(
    accounts: Iterable[str], settings: Mapping[str, str | None], organization: OrganizationPolicies,
    organization_entries: Iterable[str] = (),
) -> dict[str, ZoneOfTrust]:
    """Account -> its zone of trust, for every account given. `settings` are the instances' (account -> setting
    or None); `organization_entries` the accounts whose instance stands for their organisation's members."""
    members: dict[str, set[str]] = {}
    for member, member_organization in organization.organization_of.items():
        members.setdefault(member_organization, set()).add(member)
    # An organisation entry's setting holds for the members that have no instance of their own.
    by_organization: dict[str, str] = {}
    for instance_account in organization_entries:
        instance_setting = settings.get(instance_account)
        instance_organization = organization.organization_of.get(instance_account)
        if instance_organization and instance_setting:
            by_organization.setdefault(instance_organization, instance_setting)
    zones = {}
    for account_id in accounts:
        organization_id = organization.organization_of.get(account_id)
        setting = settings.get(account_id) or (by_organization.get(organization_id) if organization_id else None)
        if organization_id and setting != ACCOUNT_ZONE:
            zones[account_id] = ZoneOfTrust(account_id, organization_id,
                                            frozenset(members[organization_id] | {account_id}))
        else:
            zones[account_id] = ZoneOfTrust(account_id, None, frozenset({account_id}))
    return zones
