"""AWS Organizations: the organisation, its roots and organizational units (OUs), each account's place in the tree,
and every service control policy (SCP) and resource control policy (RCP) with its document and its targets.

Only the management account, or a delegated administrator of Organizations, may list an organisation; any other
account's partition has empty tables, and its materializations say why. Calls per account (Organizations is global,
so one partition per account), the list calls paginated at 20 items a page (the most they return):
- organizations:DescribeOrganization: the organisation's ID, feature set and management account. An account in no
  organisation answers AWSOrganizationsNotInUseException: nothing more is asked.
- organizations:ListRoots. A member account that is not a delegated administrator is refused (AccessDenied):
  nothing more is asked. Refused in the management account, it is the role's problem and fails the partition.
- Per parent (each root, then each OU, level by level, concurrently): ListOrganizationalUnitsForParent and
  ListAccountsForParent. Two calls per root or OU place every OU and every account in the tree; ListAccounts would
  need a ListParents per account on top.
- ListPolicies once per policy type (SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY); not at all in an organisation
  with consolidated billing only, which has no policies.
- Per policy, concurrently: DescribePolicy (its document) and ListTargetsForPolicy (the roots, OUs and accounts it is
  attached to). A refusal costs the policy its document or its targets, not the policy: `collectionErrors` says which.

Tags (ListTagsForResource, a call per root, OU, account and policy) are not collected.

Keys: an Organizations ARN names an object of one organisation, and a row is one account's view of it. The
management account's rows are keyed by the ARN (it holds the management account's ID); a delegated administrator's
view of the same organisation, and each AWS managed policy (one ARN, `arn:aws:organizations::aws:policy/...`, in
every organisation), end in `@<accountId>`, so two views never share a key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from aws_assets.aws.collect import NothingToCollect
from aws_assets.aws.partition import ACCESS_DENIED_CODES, DetailCalls, PartitionCollection, error_code, optional
from aws_assets.model.entity import (
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    json_text,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import console_link

NOT_IN_USE = "AWSOrganizationsNotInUseException"
POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
ALL_FEATURES = "ALL"  # the feature set with policies; CONSOLIDATED_BILLING has none
PAGES = {"PaginationConfig": {"PageSize": 20}}  # the largest page every Organizations list call accepts
CONSOLE_TREE = "organizations/v2/home/accounts"
CONSOLE_POLICIES = "organizations/v2/home/policies"


@dataclass(frozen=True)
class Placed:
    """An OU or an account, with the ID of the root or OU it sits in."""

    item: dict[str, Any]
    parent_id: str


@dataclass
class PolicyDetails:
    """A listed policy's summary, its document and its targets; None where AWS refused the call."""

    summary: dict[str, Any]
    document: str | None
    targets: list[dict[str, Any]] | None
    errors: list[str] = field(default_factory=list)


@dataclass
class OrganizationView:
    """What one account can see of its organisation: all of it, or (`unavailable`) why nothing."""

    organization: dict[str, Any] = field(default_factory=dict)
    roots: list[dict[str, Any]] = field(default_factory=list)
    units: list[Placed] = field(default_factory=list)
    accounts: list[Placed] = field(default_factory=list)
    policies: list[PolicyDetails] = field(default_factory=list)
    unavailable: str | None = None


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def organization_key(arn: str, account_id: str) -> str:
    owner = arn.split(":")[4]
    return arn if owner == account_id else f"{arn}@{account_id}"


def not_in_an_organisation(account_id: str) -> str:
    return f"account {account_id} is not in an AWS Organization"


def not_allowed_to_list(account_id: str, organization: dict[str, Any], code: str) -> str:
    return (
        f"account {account_id} is a member of organization {organization['Id']}, which only its management account "
        f"({organization['MasterAccountId']}) or a delegated administrator can list "
        f"(organizations:ListRoots: {code})"
    )


def organization_rows(organization: dict[str, Any], account_id: str) -> list[dict[str, Any]]:
    return [
        {
            "_key": organization_key(organization["Arn"], account_id),
            "name": organization["Id"],
            "arn": organization["Arn"],
            "webLink": console_link(CONSOLE_TREE),
            "organizationId": organization["Id"],
            "featureSet": organization.get("FeatureSet"),
            "managementAccountId": organization.get("MasterAccountId"),
            "managementAccountEmail": organization.get("MasterAccountEmail"),
        }
    ]


def root_rows(roots: list[dict[str, Any]], organization: dict[str, Any], account_id: str) -> list[dict[str, Any]]:
    return [
        {
            "_key": organization_key(root["Arn"], account_id),
            "name": root.get("Name") or root["Id"],
            "arn": root["Arn"],
            "webLink": console_link(CONSOLE_TREE),
            "rootId": root["Id"],
            "organizationId": organization["Id"],
            "enabledPolicyTypes": [t["Type"] for t in root.get("PolicyTypes", []) if t.get("Status") == "ENABLED"],
        }
        for root in roots
    ]


def unit_rows(units: list[Placed], organization: dict[str, Any], account_id: str) -> list[dict[str, Any]]:
    return [
        {
            "_key": organization_key(unit.item["Arn"], account_id),
            "name": unit.item["Name"],
            "arn": unit.item["Arn"],
            "webLink": console_link(CONSOLE_TREE),
            "organizationalUnitId": unit.item["Id"],
            "parentId": unit.parent_id,
            "organizationId": organization["Id"],
        }
        for unit in units
    ]


def member_rows(accounts: list[Placed], organization: dict[str, Any], account_id: str) -> list[dict[str, Any]]:
    return [
        {
            "_key": organization_key(member.item["Arn"], account_id),
            "name": member.item.get("Name") or member.item["Id"],
            "arn": member.item["Arn"],
            "webLink": console_link(f"{CONSOLE_TREE}/{member.item['Id']}"),
            "memberAccountId": member.item["Id"],
            "email": member.item.get("Email"),
            "status": member.item.get("Status"),
            "state": member.item.get("State"),
            "joinedMethod": member.item.get("JoinedMethod"),
            "joinedOn": member.item.get("JoinedTimestamp"),
            "parentId": member.parent_id,
            "organizationId": organization["Id"],
            "managementAccount": member.item["Id"] == organization.get("MasterAccountId"),
        }
        for member in accounts
    ]


def policy_row(policy: PolicyDetails, organization: dict[str, Any], account_id: str) -> dict[str, Any]:
    summary = policy.summary
    return {
        "_key": organization_key(summary["Arn"], account_id),
        "name": summary["Name"],
        "arn": summary["Arn"],
        "webLink": console_link(CONSOLE_POLICIES),
        "category": ["other"],  # the data model's ControlPolicy categories have none for access guardrails
        "policyId": summary["Id"],
        "policyType": summary["Type"],
        "description": summary.get("Description") or None,
        "awsManaged": bool(summary.get("AwsManaged")),
        "document": policy.document,
        "targetIds": None if policy.targets is None else [target["TargetId"] for target in policy.targets],
        "organizationId": organization["Id"],
        "collectionErrors": policy.errors,
    }


def policy_rows(policies: list[PolicyDetails], organization: dict[str, Any], account_id: str) -> list[dict[str, Any]]:
    return [policy_row(policy, organization, account_id) for policy in policies]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_children(aws: PartitionCollection, parent_id: str) -> tuple[list[Placed], list[Placed]]:
    units = aws.paginate(
        "organizations", "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id, **PAGES
    )
    accounts = aws.paginate("organizations", "list_accounts_for_parent", "Accounts", ParentId=parent_id, **PAGES)
    return [Placed(unit, parent_id) for unit in units], [Placed(account, parent_id) for account in accounts]


def get_tree(aws: PartitionCollection, root_ids: list[str]) -> tuple[list[Placed], list[Placed]]:
    """Every OU and every account under the roots, a level of the tree at a time."""
    units: list[Placed] = []
    accounts: list[Placed] = []
    parents = root_ids
    while parents:
        level = aws.map_concurrently(partial(get_children, aws), parents)
        level_units = [unit for children, _ in level for unit in children]
        units += level_units
        accounts += [account for _, children in level for account in children]
        parents = [unit.item["Id"] for unit in level_units]
    return units, accounts


def get_policy_details(aws: PartitionCollection, summary: dict[str, Any]) -> PolicyDetails:
    organizations = aws.client("organizations")
    policy_id = summary["Id"]
    # Any refusal (PolicyNotFoundException for a policy deleted since ListPolicies, say) costs what the call reads.
    calls = DetailCalls(record_any_error=True)
    document = calls.get(
        "organizations:DescribePolicy", lambda: organizations.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
    )
    targets = calls.get(
        "organizations:ListTargetsForPolicy",
        lambda: aws.paginate("organizations", "list_targets_for_policy", "Targets", PolicyId=policy_id, **PAGES),
    )
    return PolicyDetails(summary, document, targets, calls.errors)


def get_policies(aws: PartitionCollection) -> list[PolicyDetails]:
    summaries = [
        summary
        for policy_type in POLICY_TYPES
        for summary in aws.paginate("organizations", "list_policies", "Policies", Filter=policy_type, **PAGES)
    ]
    return aws.map_concurrently(partial(get_policy_details, aws), summaries)


def get_organization(aws: PartitionCollection) -> OrganizationView:
    organizations = aws.client("organizations")
    organization = optional(lambda: organizations.describe_organization()["Organization"], NOT_IN_USE)
    if organization is None:
        return OrganizationView(unavailable=not_in_an_organisation(aws.account_id))
    try:
        roots = aws.paginate("organizations", "list_roots", "Roots", **PAGES)
    except ClientError as error:
        if error_code(error) not in ACCESS_DENIED_CODES or organization["MasterAccountId"] == aws.account_id:
            raise
        return OrganizationView(unavailable=not_allowed_to_list(aws.account_id, organization, error_code(error)))
    units, accounts = get_tree(aws, [root["Id"] for root in roots])
    policies = get_policies(aws) if organization.get("FeatureSet") == ALL_FEATURES else []
    return OrganizationView(organization, roots, units, accounts, policies)


def organization_view(aws: PartitionCollection) -> OrganizationView:
    """The organisation as the partition's account sees it, fetched once for the five entity types."""
    view = aws.shared("organizations", lambda: get_organization(aws))
    if view.unavailable:
        raise NothingToCollect(view.unavailable)
    return view


def collect_organization(aws: PartitionCollection) -> list[dict[str, Any]]:
    return organization_rows(organization_view(aws).organization, aws.account_id)


def collect_roots(aws: PartitionCollection) -> list[dict[str, Any]]:
    view = organization_view(aws)
    return root_rows(view.roots, view.organization, aws.account_id)


def collect_units(aws: PartitionCollection) -> list[dict[str, Any]]:
    view = organization_view(aws)
    return unit_rows(view.units, view.organization, aws.account_id)


def collect_accounts(aws: PartitionCollection) -> list[dict[str, Any]]:
    view = organization_view(aws)
    return member_rows(view.accounts, view.organization, aws.account_id)


def collect_policies(aws: PartitionCollection) -> list[dict[str, Any]]:
    view = organization_view(aws)
    return policy_rows(view.policies, view.organization, aws.account_id)


# ---- declarations ------------------------------------------------------------------------------------------------

ORGANIZATION_ID = string("organizationId", "ID of the organisation, e.g. o-a1b2c3d4e5")
PARENT_ID = string("parentId", "ID of the root or OU it sits in directly")

ORGANIZATION = EntityType(
    type="aws_organization",
    classes=("Organization",),
    description="The AWS Organization the account manages (or administers as a delegated administrator).",
    columns=(
        ORGANIZATION_ID,
        string("featureSet", "ALL (policies and every feature) or CONSOLIDATED_BILLING (shared billing only)"),
        string("managementAccountId", "12-digit ID of the organisation's management account"),
        string("managementAccountEmail", "E-mail address of the management account"),
    ),
    collect=collect_organization,
    console="AWS Organizations > AWS accounts",
)

ROOT = EntityType(
    type="aws_organization_root",
    classes=("Group", "Organization"),
    description="The root of the organisation's tree: every OU and account sits under it, and its policies apply "
    "to all of them.",
    columns=(
        string("rootId", "ID of the root, e.g. r-a1b2"),
        ORGANIZATION_ID,
        strings("enabledPolicyTypes", "Policy types enabled in the root, e.g. [SERVICE_CONTROL_POLICY]"),
    ),
    collect=collect_roots,
    console="AWS Organizations > AWS accounts > Root",
)

ORGANIZATIONAL_UNIT = EntityType(
    type="aws_organizational_unit",
    classes=("Group", "Organization"),
    description="An organizational unit (OU): a group of accounts and OUs within a root or another OU, whose "
    "policies apply to all it contains.",
    columns=(
        string("organizationalUnitId", "ID of the OU, e.g. ou-a1b2-c3d4e5f6"),
        PARENT_ID,
        ORGANIZATION_ID,
    ),
    collect=collect_units,
    console="AWS Organizations > AWS accounts",
)

ORGANIZATION_ACCOUNT = EntityType(
    type="aws_organization_account",
    classes=("Account",),
    description="An account of the organisation as the organisation sees it (the management account included): "
    "its status, how it joined and where it sits in the tree. It IS the `aws_account` of that account when that "
    "account is collected too.",
    columns=(
        string("memberAccountId", "12-digit ID of the account in the organisation (`accountId` is the account "
               "the row was collected from)"),
        string("email", "E-mail address of the account's root user"),
        string("status", "ACTIVE, SUSPENDED or PENDING_CLOSURE"),
        string("state", "Lifecycle state: PENDING_ACTIVATION, ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED"),
        string("joinedMethod", "INVITED or CREATED"),
        timestamp("joinedOn", "When the account joined the organisation"),
        PARENT_ID,
        ORGANIZATION_ID,
        boolean("managementAccount", "Whether it is the organisation's management account"),
    ),
    collect=collect_accounts,
    console="AWS Organizations > AWS accounts",
)

ORGANIZATIONS_POLICY = EntityType(
    type="aws_organizations_policy",
    classes=("ControlPolicy",),
    description="A service control policy (SCP: the most the IAM users and roles of the accounts it applies to may "
    "do) or resource control policy (RCP: the most anyone may do with their resources), with its document and the "
    "roots, OUs and accounts it is attached to.",
    columns=(
        string("policyId", "ID of the policy, e.g. p-a1b2c3d4 (p-FullAWSAccess for the AWS managed default SCP)"),
        string("policyType", "SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY"),
        string("description", "Description of the policy"),
        boolean("awsManaged", "Whether AWS defines the policy (FullAWSAccess, RCPFullAWSAccess)"),
        json_text("document", "The policy document"),
        strings("targetIds", "IDs of the roots, OUs and accounts the policy is attached to"),
        ORGANIZATION_ID,
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_policies,
    console="AWS Organizations > Policies",
)

SERVICE = Service(
    name="organizations",
    title="Organizations",
    scope=Scope.ACCOUNT,
    entity_types=(ORGANIZATION, ROOT, ORGANIZATIONAL_UNIT, ORGANIZATION_ACCOUNT, ORGANIZATIONS_POLICY),
    entity=ServiceEntity(
        "aws_organizations", "Organizations", "governance", CONSOLE_TREE,
        # Neither the spec nor JupiterOne's live graph has `aws_organizations HAS`: every member is beyond the spec.
        members=(),
        members_beyond_spec=(ORGANIZATION, ROOT, ORGANIZATIONAL_UNIT, ORGANIZATION_ACCOUNT, ORGANIZATIONS_POLICY),
    ),
)
