"""Every policy that bears on one request, assembled from the lake's rows for the evaluator
(`aws_assets.analysis.evaluation.PolicySet`), and the request as the lake knows it.

`PolicyIndex(tables)` indexes the rows once (dictionaries by ARN, lower-case where IAM names are case-insensitive)
so that assembling a request is a few lookups:
- identity policies: an IAM user's inline and attached managed policies and those of its groups (inline and
  attached); a role's, for the role and for each of its sessions (`arn:aws:sts::<account>:assumed-role/<role>/<s>`).
  An AWS managed policy (`arn:aws:iam::aws:policy/...`) appears in every account's `aws_iam_policy` and is read once;
- the permissions boundary, a managed policy named by the user's or role's `permissionsBoundaryArn`;
- the SCP levels of the principal's account and the RCP levels of the resource's account
  (`aws_assets.analysis.organization_policies`), whether each is its organisation's management account, and the
  organisation IDs and paths the request's `aws:PrincipalOrg*` / `aws:ResourceOrg*` keys read;
- the resource's own policy, in the column its entity type declares (`EntityType.resource_policy`); for
  `sts:AssumeRole*` on a role, the role's trust policy; an S3 object (`arn:aws:s3:::bucket/key`) takes its bucket's,
  and an API method (`arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<verb>/<path>`) its REST API's.

What the lake does not hold is never guessed: a resource it does not hold has no resource policy, a managed policy
it does not hold grants nothing, an account outside every organisation it holds has its organisation keys left
unknown (conditions reading them stay conditional), and each such gap is a note of the assembled request.

A user's tags are the whole of its principal tags; a role's are not (a session may carry session tags), so
`aws:PrincipalTag` conditions of a role's requests stay conditional. Pure: rows in (the lake tables' columns as
dictionaries, keyed by table name), policy sets out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from aws_assets.analysis.bucket_access import (
    ACCOUNT_COLUMNS,
    BUCKET_COLUMNS,
    BUCKET_TYPE,
    AccountFlags,
    bucket_policy,
    canonical_accounts,
)
from aws_assets.analysis.evaluation import TRUST_ACTIONS, PolicySet
from aws_assets.analysis.matching import execute_api_prefix
from aws_assets.analysis.organization_policies import (
    ORGANIZATION_COLUMNS,
    OrganizationPolicies,
    OrganizationTreeError,
    organization_policies,
)
from aws_assets.analysis.request import CallerKind, ContextValue, Request, arn_account, parse_caller
from aws_assets.analysis.statements import Policy
from aws_assets.services.apigateway import rest_api_arn
from aws_assets.services.catalog import ENTITY_TYPES

Row = Mapping[str, Any]

USERS, GROUPS, ROLES, MANAGED_POLICIES = "aws_iam_user", "aws_iam_group", "aws_iam_role", "aws_iam_policy"
ACCOUNTS = "aws_account"
INLINE_POLICIES = {"aws_iam_user_policy": "userArn", "aws_iam_group_policy": "groupArn",
                   "aws_iam_role_policy": "roleArn"}  # table -> its owner's ARN column
TRUST_POLICY = "trustPolicy"  # aws_iam_role's column: the role's resource policy for sts:AssumeRole*
KEY_MANAGER = "keyManager"  # a KMS key's: AWS for an AWS managed key, which RCPs do not govern
SERVICE_LINKED_PATH = "/aws-service-role/"
S3_OBJECT_PREFIX = "arn:aws:s3:::"
OUTSIDE_IDENTITY = "its own account's policies (outside the lake)"

# What the index reads of the IAM and organisation tables, besides every entity table's `resource_columns`.
PRINCIPAL_COLUMNS = {
    USERS: ("arn", "accountId", "username", "path", "tags", "groupNames", "attachedPolicyArns",
            "permissionsBoundaryArn"),
    GROUPS: ("arn", "accountId", "groupName", "attachedPolicyArns"),
    ROLES: ("arn", "accountId", "roleName", "path", "tags", "attachedPolicyArns", "permissionsBoundaryArn",
            TRUST_POLICY, "serviceLinked"),
    MANAGED_POLICIES: ("arn", "document"),
    ACCOUNTS: ACCOUNT_COLUMNS,
    **{table: ("_key", "document", owner) for table, owner in INLINE_POLICIES.items()},
}
RESOURCE_COLUMNS = ("arn", "accountId", "tags")


def resource_policy_columns() -> dict[str, str]:
    """Entity type -> the column of its resource-based policy, as each type declares it."""
    return {name: entity.resource_policy for name, entity in ENTITY_TYPES.items() if entity.resource_policy}


def resource_columns(table: str) -> tuple[str, ...]:
    """The columns of an entity table the index reads: ARN, account, tags, its resource policy and key manager."""
    entity = ENTITY_TYPES[table]
    names = {column.name for column in entity.all_columns}
    extra = tuple(name for name in (entity.resource_policy, KEY_MANAGER) if name and name in names)
    return RESOURCE_COLUMNS + extra + (BUCKET_COLUMNS if table == BUCKET_TYPE else ())


class UnknownPrincipal(LookupError):
    """The lake holds no such principal; `suggestions` are the ARNs it holds that look like it."""

    def __init__(self, arn: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"the lake holds no principal {arn}{hint}")
        self.arn = arn
        self.suggestions = suggestions


@dataclass(frozen=True)
class Principal:
    """A user or role the lake holds."""

    arn: str  # with its path, as the lake holds it
    table: str  # aws_iam_user or aws_iam_role
    account: str
    row: Row


@dataclass(frozen=True)
class Resource:
    """An entity a request may name, with its resource-based policy when its type declares one."""

    arn: str
    table: str
    account: str
    policy: Policy | None
    tags: dict[str, str] | None
    aws_managed_key: bool = False


@dataclass(frozen=True)
class Assembled:
    """A request with every policy the lake holds that bears on it, and what the lake could not tell."""

    request: Request
    policies: PolicySet
    principal: Principal | None
    resource: Resource | None
    notes: tuple[str, ...] = ()


def _tags(value: Any) -> dict[str, str]:
    """A tags map as the lake's rows give it: a dict, or Arrow's list of (key, value) pairs."""
    if isinstance(value, Mapping):
        return dict(value)
    return dict(value or ())


def _decoded(document: Any) -> Any:
    """The document parsed once, so that every evaluation reading it does not parse it again; text the evaluator
    should judge (unreadable JSON) is left as it is."""
    if isinstance(document, str):
        try:
            return json.loads(document)
        except ValueError:
            return document
    return document


def _resource(table: str, row: Row, policy_column: str | None, s3_flags: AccountFlags | None = None) -> Resource | None:
    account = row.get("accountId") or arn_account(row.get("arn") or "")
    if not row.get("arn") or account is None:
        return None
    document = row.get(policy_column) if policy_column else None
    if table == BUCKET_TYPE:  # its ACL and Block Public Access, as the statements they equal
        document = bucket_policy(row, (s3_flags or AccountFlags()).get(account, (False, False)))
    return Resource(row["arn"], table, account,
                    None if document is None else Policy(f"{row['arn']} resource policy", _decoded(document)),
                    _tags(row.get("tags")), row.get(KEY_MANAGER) == "AWS")


def _rest_api_of(arn: str) -> str | None:
    """The REST API whose resource policy governs an `execute-api` ARN (a stage, method and path of the API)."""
    prefix = execute_api_prefix(arn)
    if prefix is None:
        return None
    _, _, _, region, _, api_id = prefix.split(":", 5)
    return rest_api_arn(region, api_id)


class PolicyIndex:
    """The lake's principals, policies, organisations and resources, indexed for assembling requests."""

    def __init__(self, tables: Mapping[str, Iterable[Row]], locate: Callable[[str], Row | None] | None = None) -> None:
        """`tables`: rows by table name. `locate`, when given, finds by ARN the row (`_type` naming its table) of an
        entity whose table `tables` leaves out: a lake of a million entities need not be read whole for one
        request when only the tables with resource policies (and IAM's) are."""
        self.locate = locate

        def rows(table: str) -> Iterable[Row]:
            return tables.get(table, ())

        self.managed: dict[str, Policy | None] = {}
        for row in rows(MANAGED_POLICIES):
            arn = row["arn"]
            if row.get("document") is not None or arn.lower() not in self.managed:
                self.managed[arn.lower()] = None if row.get("document") is None else Policy(
                    arn, _decoded(row["document"]))
        self.inline: dict[str, list[Policy]] = {}
        for table, owner in INLINE_POLICIES.items():
            for row in rows(table):
                self.inline.setdefault(row[owner].lower(), []).append(Policy(row["_key"], _decoded(row["document"])))
        self.users = {row["arn"].lower(): Principal(row["arn"], USERS, row["accountId"], row) for row in rows(USERS)}
        self.roles = {row["arn"].lower(): Principal(row["arn"], ROLES, row["accountId"], row) for row in rows(ROLES)}
        self.groups = {(row["accountId"], row["groupName"].lower()): row for row in rows(GROUPS)}
        # IAM names are unique in an account whatever their path: a role session names its role without one.
        self.by_name = {(principal.account, principal.table, principal.arn.rsplit("/", 1)[-1].lower()): principal
                        for principal in (*self.users.values(), *self.roles.values())}
        self._principals = [*self.users.values(), *self.roles.values()]
        self.accounts = {principal.account for principal in self._principals}
        self.organizations: OrganizationPolicies = organization_policies(*(rows(t) for t in ORGANIZATION_COLUMNS))
        self.resources: dict[str, Resource] = {}
        self.trusts: dict[str, Policy | None] = {}  # role ARN -> its trust policy, read when a request needs it
        self.policy_columns = resource_policy_columns()
        self.s3_flags = AccountFlags.of(rows(ACCOUNTS))
        # The canonical user ID of each account whose buckets the lake holds: ACL grants and CanonicalUser
        # principals name accounts by it.
        self.canonical_owners = canonical_accounts(rows(BUCKET_TYPE))
        self.canonical_ids = {account: canonical for canonical, account in self.canonical_owners.items()}
        for table, table_rows in tables.items():
            if table not in ENTITY_TYPES:
                continue
            for row in table_rows:
                resource = _resource(table, row, self.policy_columns.get(table), self.s3_flags)
                if resource is not None:
                    self.resources[resource.arn] = resource

    # ---- look-ups ------------------------------------------------------------------------------------------------

    def principals(self) -> list[Principal]:
        """Every user and role the lake holds."""
        return self._principals

    def principal(self, arn: str) -> Principal | None:
        """The user or role an ARN names: its own ARN (any case, with or without its path), or for a role session
        the role."""
        caller = parse_caller(arn)
        table = {CallerKind.USER: USERS, CallerKind.ROLE: ROLES, CallerKind.ROLE_SESSION: ROLES}.get(caller.kind)
        if table is None:
            return None
        exact = (self.users if table == USERS else self.roles).get(arn.lower())
        if exact is not None and caller.kind is not CallerKind.ROLE_SESSION:
            return exact
        return self.by_name.get((caller.account or "", table, (caller.name or "").lower()))

    def suggestions(self, arn: str, limit: int = 3) -> list[str]:
        """The principal ARNs the lake holds whose names are nearest to the name `arn` ends with, those of its
        account first (whole ARNs would all look alike: they share their prefix)."""
        by_name: dict[str, list[Principal]] = {}
        for principal in self._principals:
            by_name.setdefault(principal.arn.rsplit("/", 1)[-1].lower(), []).append(principal)
        wanted = arn.rsplit("/", 1)[-1].lower()
        account = arn_account(arn)
        near = [principal for name in get_close_matches(wanted, list(by_name), n=limit, cutoff=0.6)
                for principal in by_name[name]]
        return [principal.arn for principal in sorted(near, key=lambda p: p.account != account)][:limit]

    def resource(self, arn: str) -> Resource | None:
        found = self.resources.get(arn)
        if found is not None:
            return found
        role = self.roles.get(arn.lower())  # IAM ARNs are case-insensitive
        if role is not None:
            return self.resources[role.arn]
        if arn.startswith(S3_OBJECT_PREFIX) and "/" in arn:
            bucket = self.resources.get(arn.split("/", 1)[0])
            if bucket is not None:  # an object: its bucket's policy and account; the object's tags are its own
                return Resource(arn, bucket.table, bucket.account, bucket.policy, None)
        api = _rest_api_of(arn)
        if api is not None and api != arn:
            rest_api = self.resource(api)
            if rest_api is not None:  # a method of an API: the API's policy and account
                return Resource(arn, rest_api.table, rest_api.account, rest_api.policy, None)
        row = self.locate(arn) if self.locate is not None else None
        located = None if row is None else _resource(row["_type"], row, self.policy_columns.get(row["_type"]),
                                                     self.s3_flags)
        if located is not None:
            self.resources[arn] = located
        return located

    def managed_policy(self, arn: str) -> Policy | None:
        return self.managed.get(arn.lower())

    # ---- assembling ----------------------------------------------------------------------------------------------

    def identity_policies(self, principal: Principal, notes: list[str]) -> list[Policy]:
        row = principal.row
        policies = list(self.inline.get(principal.arn.lower(), ()))
        attached = list(row.get("attachedPolicyArns") or ())
        if principal.table == USERS:
            for group_name in row.get("groupNames") or ():
                group = self.groups.get((principal.account, group_name.lower()))
                if group is None:
                    notes.append(f"group {group_name} of {principal.arn} is not in the lake: its policies are unknown")
                    continue
                policies += self.inline.get(group["arn"].lower(), ())
                attached += group.get("attachedPolicyArns") or ()
        for arn in dict.fromkeys(attached):
            policy = self.managed_policy(arn)
            if policy is None:
                notes.append(f"managed policy {arn} is not in the lake (or has no document): it grants nothing here")
            else:
                policies.append(policy)
        return policies

    def boundary(self, principal: Principal, notes: list[str]) -> Policy | None:
        arn = principal.row.get("permissionsBoundaryArn")
        if not arn:
            return None
        policy = self.managed_policy(arn)
        if policy is None:
            notes.append(f"permissions boundary {arn} is not in the lake: its limits are not applied")
        return policy

    def resource_notes(self, resource_arn: str) -> list[str]:
        """What the lake cannot tell of the resource."""
        if resource_arn == "*" or self.resource(resource_arn) is not None:
            return []
        notes = [f"the resource {resource_arn} is not in the lake: evaluated without a resource policy"]
        if arn_account(resource_arn) is None:
            notes.append("its account is unknown: it is taken to be the principal's")
        return notes

    def resource_policy(self, action: str, resource_arn: str) -> Policy | None:
        """The resource's own policy for this action: a role's trust policy for sts:AssumeRole*."""
        return self._resource_policy(action, self.resource(resource_arn))

    def _resource_policy(self, action: str, resource: Resource | None) -> Policy | None:
        if action.lower() in TRUST_ACTIONS and resource is not None and resource.table == ROLES:
            if resource.arn not in self.trusts:
                trust = self.roles[resource.arn.lower()].row.get(TRUST_POLICY)
                self.trusts[resource.arn] = None if trust is None else Policy(
                    f"{resource.arn} trust policy", _decoded(trust))
            return self.trusts[resource.arn]
        return None if resource is None else resource.policy

    def _organization(self, account: str | None, notes: list[str], side: str) -> tuple[
            list[list[Policy]], list[list[Policy]], bool, str | None, list[str] | None]:
        """SCP levels, RCP levels, whether it is a management account, and its organisation ID and paths (None
        where the lake holds no organisation of the account)."""
        organizations = self.organizations
        organization_id, paths = organizations.context(account)
        if account is None or organization_id is None:
            return [], [], False, organization_id, paths
        try:
            return (organizations.scps(account), organizations.rcps(account),
                    organizations.is_management_account(account), organization_id, paths)
        except OrganizationTreeError as error:
            notes.append(f"{side} account: {error}; its SCPs and RCPs are not applied")
            return [], [], organizations.is_management_account(account), organization_id, None

    def assemble(self, principal_arn: str, action: str, resource_arn: str,
                 context: Mapping[str, ContextValue] | None = None, outside: bool = False,
                 context_complete: bool = False) -> Assembled:
        """The request and its policy set. A principal the lake holds is required unless the caller has no IAM
        policies of its own (a service, an identity provider, `anonymous`, an account's root), raising
        `UnknownPrincipal`; with `outside`, an IAM user or role the lake does not hold is taken to be allowed by
        its own account's policies (what the resource's side allows it is then the answer). A resource the lake
        does not hold is evaluated without a resource policy. With `context_complete`, a context key neither given
        nor known from the lake is absent from the request rather than unknown."""
        caller = parse_caller(principal_arn)
        notes: list[str] = []
        principal = self.principal(principal_arn)
        assumed_identity = principal is None and outside and caller.kind in (
            CallerKind.USER, CallerKind.ROLE, CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER)
        if principal is None and not assumed_identity and caller.kind not in (
                CallerKind.SERVICE, CallerKind.FEDERATED, CallerKind.ANONYMOUS, CallerKind.ROOT):
            raise UnknownPrincipal(principal_arn, self.suggestions(principal_arn))
        resource = self.resource(resource_arn)
        notes += self.resource_notes(resource_arn)
        principal_account = principal.account if principal else caller.account
        resource_account = resource.account if resource else None
        scps, _, principal_management, principal_org, principal_paths = self._organization(
            principal_account, notes, "the principal's")
        _, rcps, resource_management, resource_org, resource_paths = self._organization(
            resource_account or arn_account(resource_arn) or principal_account, notes, "the resource's")
        identity: list[Policy] = []
        boundary = None
        if assumed_identity:
            identity = [Policy(OUTSIDE_IDENTITY, {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": action, "Resource": resource_arn}]})]
            notes.append(f"{principal_arn} is not in the lake: its own policies are taken to allow the request")
        if principal is not None:
            identity = self.identity_policies(principal, notes)
            boundary = self.boundary(principal, notes)
        # A user or role named without its path calls with the ARN the lake holds; a session keeps its own.
        calling_arn = principal.arn if principal is not None and caller.kind is not CallerKind.ROLE_SESSION \
            else principal_arn
        row = principal.row if principal is not None else {}
        request = Request(
            principal_arn=calling_arn, action=action, resource_arn=resource_arn, context=dict(context or {}),
            principal_account=principal_account, resource_account=resource_account,
            principal_tags=_tags(row.get("tags")) if principal is not None and principal.table == USERS else None,
            resource_tags=resource.tags if resource is not None else None,
            principal_org_id=principal_org, principal_org_paths=principal_paths,
            resource_org_id=resource_org, resource_org_paths=resource_paths,
            role_arn=principal.arn if principal is not None and principal.table == ROLES else None,
            principal_canonical_id=self.canonical_ids.get(principal_account or ""),
            context_complete=context_complete,
        )
        service_linked = principal is not None and (
            bool(row.get("serviceLinked")) or (row.get("path") or "").startswith(SERVICE_LINKED_PATH))
        policies = PolicySet(
            identity=identity, boundary=boundary, scps=scps, rcps=rcps,
            resource=self._resource_policy(action, resource),
            principal_is_management_account=principal_management,
            resource_is_management_account=resource_management,
            principal_is_service_linked_role=service_linked,
            resource_is_aws_managed_key=resource is not None and resource.aws_managed_key,
        )
        return Assembled(request, policies, principal, resource, tuple(notes))
