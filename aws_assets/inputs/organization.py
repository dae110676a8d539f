"""The accounts an instances file stands for, organisations' members included, found at run time.

An entry with `organization` is synced itself and stands for the members its role may list: every account of the
organisation (`organizations:ListAccounts`), or with `organizationalUnits` the accounts under those OUs, however deep
(`ListAccountsForParent` and `ListOrganizationalUnitsForParent`, OU by OU), after a `DescribeOrganization`.
Each active member is synced through
`arn:aws:iam::<member>:role/<memberRoleName>` with `memberExternalId` (default: the entry's external ID) and the
entry's regions. A plain entry for a member overrides it whole (role, external ID, regions). Excluded, suspended and
closing accounts are skipped, each with its reason; an entry whose members cannot be listed fails alone, named.

Nothing here is stored: the member list holds external IDs, so it is computed again by every run that needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aws_assets.aws.calls import CallCounter
from aws_assets.aws.partition import ACCESS_DENIED_CODES, PartitionCollection, error_code
from aws_assets.aws.session import AccessError, assume_role_session
from aws_assets.inputs.instances import Instance
from aws_assets.model.regions import GLOBAL_REGION

ACTIVE = "ACTIVE"
# Accounts answer `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION) since 2025; `Status`
# (ACTIVE, SUSPENDED, PENDING_CLOSURE) is the older field AWS still sends, and all moto sends.
STATE_FIELDS = ("State", "Status")
PAGE = {"PaginationConfig": {"PageSize": 20}}  # the largest page the Organizations list calls accept


class OrganizationError(RuntimeError):
    """An organisation entry's members cannot be listed; the message names the entry and the cause."""


@dataclass
class Membership:
    """What to sync: each instance once, in file order, every entry before the members it stands for."""

    instances: list[Instance] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # account -> why it is not synced
    failed: dict[str, str] = field(default_factory=dict)  # organisation entry -> why its members are not known
    members_of: dict[str, list[str]] = field(default_factory=dict)  # an organisation entry's account -> its members

    def instance(self, account_id: str) -> Instance | None:
        return next((i for i in self.instances if i.account_id == account_id), None)

    def accounts_of(self, entry_accounts: Iterable[str]) -> set[str]:
        """The accounts the entries of these accounts stand for: each entry's own, and an organisation's members."""
        return {account for entry in entry_accounts for account in (entry, *self.members_of.get(entry, ()))}


def account_state(account: Mapping[str, Any]) -> str:
    return next((str(account[name]) for name in STATE_FIELDS if account.get(name)), ACTIVE)


def member_instances(
    entry: Instance, accounts: Iterable[Mapping[str, Any]], covered: set[str]
) -> tuple[list[Instance], dict[str, str]]:
    """The entry's members to sync, and those it skips with why; `covered` (accounts of plain entries, or of an
    earlier entry) are synced elsewhere and neither listed nor skipped."""
    assert entry.organization is not None
    scope = entry.organization
    external_id = scope.member_external_id or entry.external_id
    members, skipped = [], {}
    for account in sorted(accounts, key=lambda a: a["Id"]):
        account_id = account["Id"]
        if account_id in covered or account_id == entry.account_id:
            continue
        state = account_state(account)
        if account_id in scope.exclude_accounts:
            skipped[account_id] = f"excluded by {entry.label}'s excludeAccounts"
        elif state != ACTIVE:
            skipped[account_id] = f"{state.lower().replace('_', ' ')} in the organisation of {entry.label}"
        else:
            role_arn = f"arn:aws:iam::{account_id}:role/{scope.member_role_name}"
            members.append(Instance(role_arn, external_id, account.get("Name", ""), entry.regions))
    return members, skipped


def list_accounts(aws: PartitionCollection, organizational_units: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every account of the organisation, or those under the OUs (and their OUs, level by level)."""
    if not organizational_units:
        return aws.paginate("organizations", "list_accounts", "Accounts", **PAGE)
    accounts: dict[str, dict[str, Any]] = {}
    parents, seen = list(organizational_units), set(organizational_units)
    while parents:
        parent = parents.pop()
        for account in aws.paginate("organizations", "list_accounts_for_parent", "Accounts", ParentId=parent, **PAGE):
            accounts[account["Id"]] = account
        for unit in aws.paginate("organizations", "list_organizational_units_for_parent", "OrganizationalUnits",
                                 ParentId=parent, **PAGE):
            if unit["Id"] not in seen:
                seen.add(unit["Id"])
                parents.append(unit["Id"])
    return list(accounts.values())


def _listing_error(entry: Instance, error: ClientError) -> OrganizationError:
    code = error_code(error) or "Error"
    where = f"{entry.label}: cannot list the organisation's accounts with {entry.role_arn}"
    if code == "AWSOrganizationsNotInUseException":
        return OrganizationError(f"{entry.label}: account {entry.account_id} is in no AWS Organization")
    if code in ("ParentNotFoundException", "InvalidInputException"):
        units = ", ".join(entry.organization.organizational_units) if entry.organization else ""
        return OrganizationError(f"{where}: organizationalUnits [{units}] names an OU the organisation does not have")
    if code in ACCESS_DENIED_CODES:
        return OrganizationError(
            f"{where}: {code}. The role must be in the management account or a delegated administrator account "
            "of Organizations, with organizations:ListAccounts (and ListAccountsForParent, "
            "ListOrganizationalUnitsForParent for organizationalUnits)"
        )
    return OrganizationError(f"{where}: {code}")


def organization_accounts(entry: Instance, profile: str | None, calls: CallCounter | None) -> list[dict[str, Any]]:
    assert entry.organization is not None
    try:
        calls = calls or CallCounter()
        aws = PartitionCollection(assume_role_session(entry, profile, calls), entry.account_id, GLOBAL_REGION, calls)
        # Asked first: an account in no organisation is told apart from one that may not list it.
        aws.client("organizations").describe_organization()
        return list_accounts(aws, entry.organization.organizational_units)
    except AccessError as error:
        raise OrganizationError(str(error)) from None
    except ClientError as error:
        raise _listing_error(entry, error) from None
    except BotoCoreError as error:
        raise OrganizationError(f"{entry.label}: cannot list the organisation's accounts: {error}") from None


def expand(entries: list[Instance], profile: str | None = None, calls: CallCounter | None = None) -> Membership:
    """Every account the entries stand for. An organisation entry that cannot be listed is still synced itself (its
    own partitions then say what is wrong with its role); its members are not, and `failed` says why."""
    membership = Membership(instances=list(entries))
    covered = {entry.account_id for entry in entries}
    for entry in entries:
        if entry.organization is None:
            continue
        try:
            accounts = organization_accounts(entry, profile, calls)
        except OrganizationError as error:
            membership.failed[entry.label] = str(error)
            continue
        members, skipped = member_instances(entry, accounts, covered)
        membership.instances.extend(members)
        membership.members_of[entry.account_id] = [member.account_id for member in members]
        covered.update(member.account_id for member in members)
        for account_id, reason in skipped.items():
            membership.skipped.setdefault(account_id, reason)
    return membership
