"""The SCPs and RCPs that govern each account, level by level, from the organisation tables of the lake.

AWS evaluates an organisation's policies per level of the tree, from the root through each OU down to the account
(AWS Organizations, "SCP evaluation"): every level must allow. `OrganizationPolicies.levels` gives, for one account
and one policy type, the documents attached at each level in that order, ready for `evaluation.PolicySet.scps` or
`rcps`. An empty list means those policies do not govern the account: it is in no organisation the lake holds, it
is the management account (SCPs and RCPs never apply there), or the organisation has not enabled the policy type
in its root.

Pure: the rows are those of `aws_organization`, `aws_organization_root`, `aws_organizational_unit`,
`aws_organization_account` and `aws_organizations_policy` as dictionaries. An organisation collected from two of
its accounts (the management account and a delegated administrator) is read once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_assets.analysis.statements import Policy

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"

Row = Mapping[str, Any]

# The columns read of each organisation table, in the order `organization_policies` takes the tables.
ORGANIZATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "aws_organization": ("accountId", "organizationId", "managementAccountId"),
    "aws_organization_root": ("rootId", "enabledPolicyTypes"),
    "aws_organizational_unit": ("organizationalUnitId", "parentId"),
    "aws_organization_account": ("memberAccountId", "parentId", "organizationId", "managementAccount"),
    "aws_organizations_policy": ("policyId", "arn", "policyType", "document", "targetIds"),
}


class OrganizationTreeError(ValueError):
    """The tree the lake holds has a loop or a parent it does not hold: the levels of an account are unknown."""


@dataclass
class OrganizationPolicies:
    parents: dict[str, str] = field(default_factory=dict)  # account or OU ID -> its parent's ID
    organization_of: dict[str, str] = field(default_factory=dict)  # account ID -> organisation ID
    # account ID -> the organisation it described itself in (organizations:DescribeOrganization of its own sync)
    described: dict[str, str] = field(default_factory=dict)
    management_accounts: dict[str, str] = field(default_factory=dict)  # organisation ID -> management account ID
    enabled: dict[str, frozenset[str]] = field(default_factory=dict)  # root ID -> enabled policy types
    attached: dict[tuple[str, str], list[Policy]] = field(default_factory=dict)  # (target, type) -> policies
    # (account, type) -> its levels: an access table asks for the same account's levels for every request
    _levels: dict[tuple[str, str], list[list[Policy]]] = field(default_factory=dict, repr=False)

    def is_management_account(self, account_id: str) -> bool:
        organization = self.organization_of.get(account_id)
        return organization is not None and self.management_accounts.get(organization) == account_id

    def path(self, account_id: str) -> list[str]:
        """The targets from the root down to the account, the account last; empty outside every organisation."""
        if account_id not in self.organization_of:
            return []
        path = [account_id]
        while path[-1] in self.parents:
            parent = self.parents[path[-1]]
            if parent in path:
                raise OrganizationTreeError(f"account {account_id}: the organisation's tree loops at {parent}")
            path.append(parent)
        if not path[-1].startswith("r-"):
            raise OrganizationTreeError(
                f"account {account_id}: its parent {path[-1]} is neither a root nor an OU the lake holds")
        return path[::-1]

    def org_paths(self, account_id: str) -> list[str]:
        """`aws:PrincipalOrgPaths` / `aws:ResourceOrgPaths` of the account: `o-.../r-.../ou-.../` down to its parent."""
        path = self.path(account_id)
        if not path:
            return []
        return ["/".join([self.organization_of[account_id], *path[:-1]]) + "/"]

    def context(self, account_id: str | None) -> tuple[str | None, list[str] | None]:
        """`aws:PrincipalOrgID` / `aws:ResourceOrgID` of an account and its org paths, None where unknown. An
        account its management account's listing names has both; one that described its organisation in its own
        sync has the ID (its paths are in the management account's listing). Of any other account nothing is known,
        even one the lake holds: a member that may not list its organisation collects no organisation rows, and
        neither does an account in none."""
        if account_id is None:
            return None, None
        if account_id in self.organization_of:
            try:
                return self.organization_of[account_id], self.org_paths(account_id)
            except OrganizationTreeError:
                return self.organization_of[account_id], None
        return self.described.get(account_id), None

    def levels(self, account_id: str, policy_type: str) -> list[list[Policy]]:
        """The policies of `policy_type` attached at each level from the root down to the account (the same lists
        for every call: read them, do not change them)."""
        key = (account_id, policy_type)
        if key not in self._levels:
            self._levels[key] = self._read_levels(account_id, policy_type)
        return self._levels[key]

    def _read_levels(self, account_id: str, policy_type: str) -> list[list[Policy]]:
        if self.is_management_account(account_id):
            return []
        path = self.path(account_id)
        if not path or policy_type not in self.enabled.get(path[0], frozenset()):
            return []
        return [list(self.attached.get((target, policy_type), ())) for target in path]

    def scps(self, account_id: str) -> list[list[Policy]]:
        return self.levels(account_id, SCP)

    def rcps(self, account_id: str) -> list[list[Policy]]:
        return self.levels(account_id, RCP)


def organization_policies(
    organizations: Iterable[Row], roots: Iterable[Row], units: Iterable[Row], accounts: Iterable[Row],
    policies: Iterable[Row],
) -> OrganizationPolicies:
    read = OrganizationPolicies()
    for organization in organizations:
        read.management_accounts[organization["organizationId"]] = organization["managementAccountId"]
        if organization.get("accountId"):
            read.described[organization["accountId"]] = organization["organizationId"]
    for root in roots:
        read.enabled[root["rootId"]] = frozenset(root.get("enabledPolicyTypes") or ())
    for unit in units:
        read.parents[unit["organizationalUnitId"]] = unit["parentId"]
    for account in accounts:
        member = account["memberAccountId"]
        read.parents[member] = account["parentId"]
        read.organization_of[member] = account["organizationId"]
        if account.get("managementAccount"):
            read.management_accounts.setdefault(account["organizationId"], member)
    seen: set[tuple[str, str]] = set()
    for policy in policies:
        if policy.get("document") is None:
            continue  # its document could not be read: collectionErrors says so, and nothing is known of it
        for target in policy.get("targetIds") or ():
            if (policy["policyId"], target) in seen:
                continue
            seen.add((policy["policyId"], target))
            name = policy.get("arn") or policy["policyId"]
            read.attached.setdefault((target, policy["policyType"]), []).append(Policy(name, policy["document"]))
    return read
