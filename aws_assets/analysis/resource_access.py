"""Who may use each resource that has a resource-based policy: one row per (resource, principal, request resource,
outcome) with the exact actions, each decided by the evaluator (`aws_assets.analysis.evaluation.evaluate`).

The resources are the entities of every type that declares its resource policy (`EntityType.resource_policy`: S3
bucket policies, Lambda function policies, API Gateway resource policies, key policies, queue and topic policies,
...) and every IAM role, whose trust policy is the resource policy of `sts:AssumeRole*`.

How a row is made, for one resource:

- The principals are those the policy's Allow statements name: an IAM user, role or session ARN (`principal`), an
  account (its ID or `:root`, `account`), a service (`service`), an identity provider (`federated`) or everyone
  (`*`, `{"AWS": "*"}`, NotPrincipal: `everyone`; `organization` when the grant requires `aws:PrincipalOrgID` or
  `aws:PrincipalOrgPaths`). A grant to everyone that requires `aws:PrincipalAccount` or a literal `aws:PrincipalArn`
  is also evaluated for the accounts and principals it names, and one that refuses only unsigned callers
  (`aws:PrincipalType` not `Anonymous`: an ACL grant to authenticated users) for a signed caller of an account the
  lake does not hold (`SIGNED_CALLER`). A canonical user ID (`CanonicalUser`, an ACL grantee) is the account whose
  buckets the lake holds with that owner ID (`ownerId`); one it does not know is left out. A bucket's policy is
  read with what its ACL and Block Public Access add (`aws_assets.analysis.bucket_access`).
- The representative caller (`requestPrincipal`) of each: the ARN as named (a role ARN calls as any session of the
  role), the account's root for an account, the service or provider name, `anonymous` for everyone. The request
  resources (`requestResource`) are the Allow statements' Resource patterns as written (`arn:aws:s3:::b/*`; a
  pattern's own wildcards stand for whatever it covers); where a statement has none, `*` or a form that is not an
  ARN, the resource's ARN and, when the reference has resource types below it, a pattern for them
  (`arn:aws:s3:::b/*` for a bucket's objects, `function:f:*` for a function's versions and aliases).
- The actions tried are those AWS's Service Authorization Reference lists for the resource types a request
  resource names (`authorization_reference.actions_on`), of its ARN's service (of STS for an IAM role), that some
  Allow of the policy names. Each is evaluated with the resource policy, the RCPs of the resource's account, level
  by level (`organization_policies`), and, for an IAM caller, identity policies taken to allow everything: like
  Access Analyzer, the table says what the resource side lets through; what the principal's own policies allow is
  `principal_access`'s question. The organisations of callers and of the resource are those the lake holds
  (`aws:PrincipalOrgID`, `aws:ResourceOrgID` and their paths are decided); other context keys stay unknown.
- A row is kept when the request is allowed, or allowed when conditions hold (`conditional`: the evaluator's best
  case allows), or when an Allow grants it but an explicit Deny (of the policy or an RCP) refuses it (`deniedBy`).
  `decision` is the evaluator's result, its worst case when conditional; `conditionKeys` the keys it could not
  decide; `statements` the Allows naming the principal for the action, `conditions` their Conditions and those of
  the Denies that may refuse.
- `external`: whether the principal is outside the resource account's zone of trust (`zone_of_trust`), as Access
  Analyzer judges it: another account, an organisation other than the zone's, everyone, an identity provider, or a
  service acting for any account, unless a condition keeps the callers inside the zone (in every Allow that grants,
  or in a "Deny unless" statement): `aws:PrincipalOrgID`/`PrincipalOrgPaths`, `aws:PrincipalAccount`,
  `aws:PrincipalArn`, `aws:SourceAccount`, `aws:SourceArn`, `aws:SourceOrgID`/`SourceOrgPaths`, `kms:CallerAccount`
  with values in the zone, or `aws:SourceVpc`/`aws:SourceVpce`, which Access Analyzer treats as not external. A
  service trusted by a role is not external: a service assumes a role only for the resources it is passed to,
  and passing it takes `iam:PassRole` in the role's account.

Pure: rows of the lake's tables in, rows and an Arrow table out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from aws_assets.analysis.authorization_reference import actions_on, resource_types_of
from aws_assets.analysis.bucket_access import (
    ACCOUNT_COLUMNS,
    BUCKET_COLUMNS,
    BUCKET_TYPE,
    AccountFlags,
    bucket_policy,
    canonical_accounts,
)
from aws_assets.analysis.documents import listify
from aws_assets.analysis.evaluation import (
    RCP_SERVICES,
    TRUST_ACTIONS,
    Decision,
    PolicySet,
    Result,
    StatementRef,
    evaluate,
    statement_ref,
)
from aws_assets.analysis.forked import map_in_forks, share_size
from aws_assets.analysis.matching import (
    expand_api_shorthand,
    statement_action_matches,
    statement_names,
    statement_resource_truth,
)
from aws_assets.analysis.organization_policies import ORGANIZATION_COLUMNS, OrganizationPolicies, organization_policies
from aws_assets.analysis.policy_sets import KEY_MANAGER, ROLES, TRUST_POLICY, resource_policy_columns
from aws_assets.analysis.request import Caller, CallerKind, Request, arn_account, arn_service, parse_caller
from aws_assets.analysis.reserved import reserved_change
from aws_assets.analysis.statements import Layer, Policy, Statement, read_statements
from aws_assets.analysis.zone_of_trust import ZoneOfTrust, zones_of_trust
from aws_assets.model.entity import Column, boolean, json_text, schema_of, string, strings
from aws_assets.services.apigateway import REST_API
from aws_assets.services.catalog import ENTITY_TYPES

RESOURCE_ACCESS_TABLE = "resource_access"
ROLE_TYPE = ROLES
REST_API_TYPE = REST_API.type
ANONYMOUS = "anonymous"
ACCOUNT_ID = re.compile(r"[0-9]{12}")
SERVICE_SUFFIXES = (".amazonaws.com", ".amazonaws.com.cn")
# Fewer resources are decided here: forking costs more than it saves on an estate of a few accounts.
PARALLEL_RESOURCES = 2000
# What the table assumes of an IAM caller's own policies: they allow; the resource side decides.
PRINCIPAL_SIDE_ALLOWS = Policy("principal's own policies (taken to allow)", {
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
})
# A resource policy on an IAM resource (a role's trust policy) governs STS's actions on it.
ACTION_SERVICE_OF_ARN = {"iam": "sts"}

# Who stands for "any signed AWS principal": the root of an account no lake holds.
SIGNED_CALLER = "000000000000"
PRINCIPAL, ACCOUNT, ORGANIZATION, SERVICE, EVERYONE, FEDERATED = (
    "principal", "account", "organization", "service", "everyone", "federated")

# Condition keys that keep callers inside a zone, and how a value of each is judged.
_ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
_ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "kms:calleraccount", "aws:sourceowner"})
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
_NETWORK_KEYS = frozenset({"aws:sourcevpc", "aws:sourcevpce"})
_POSITIVE = frozenset({"stringequals", "stringlike", "stringequalsignorecase", "arnequals", "arnlike"})
_NEGATED = frozenset({"stringnotequals", "stringnotlike", "stringnotequalsignorecase", "arnnotequals", "arnnotlike"})

Row = Mapping[str, Any]

RESOURCE_ACCESS_COLUMNS: tuple[Column, ...] = (
    string("resourceKey", "`_key` of the resource"),
    string("resourceType", "`_type` of the resource, e.g. aws_s3_bucket, aws_iam_role"),
    string("resourceArn", "ARN of the resource"),
    string("accountId", "Account of the resource"),
    string("region", "Region of the resource, or `global`"),
    string("principal", "The principal as the policy names it: an ARN, an account ID, `*`, a service, a provider"),
    string("principalKind", "principal (an IAM user, role or session), account, organization, service, everyone or "
           "federated"),
    string("principalAccount", "Account of the principal, when it has one"),
    string("principalOrgId", "For `organization`: the organisation(s) the grant requires (aws:PrincipalOrgID)"),
    boolean("ingested", "Whether the lake holds the principal (an ingested user, role or account)"),
    boolean("external", "Whether the principal is outside the zone of trust of the resource's account, as IAM "
            "Access Analyzer judges it"),
    string("zoneOfTrust", "The zone the row is judged against: `account:<id>` or `organization:<o-...>`"),
    strings("actions", "The exact actions, from AWS's Service Authorization Reference for the resource's type"),
    string("requestPrincipal", "The caller the evaluator decided for: the ARN, the account's root (an account ID), "
           "the service or provider, `anonymous` for everyone"),
    string("requestResource", "The resource of the request: the resource's ARN or the policy's Resource pattern "
           "(`arn:aws:s3:::bucket/*`)"),
    json_text("conditions", "The Conditions of the statements that grant, and of the Denies that may refuse, by "
              "statement"),
    strings("conditionKeys", "The context keys the decision depends on and the lake does not know"),
    boolean("conditional", "Allowed only when conditions the lake cannot decide hold"),
    string("decision", "The evaluator's result for the request: Allowed, ImplicitlyDenied or ExplicitlyDenied (its "
           "worst case when conditional)"),
    json_text("deniedBy", "For an explicit deny: the Deny statements (resource policy or RCP) that refuse"),
    json_text("statements", "The Allow statements of the resource policy that grant it"),
)
RESOURCE_ACCESS_SCHEMA = schema_of(RESOURCE_ACCESS_COLUMNS)
TABLE_DESCRIPTION = (
    "Who may use each resource that has a resource-based policy (S3, Lambda, API Gateway, and every type that "
    "declares one; IAM roles through their trust policy): one row per resource, principal and outcome, with the "
    "exact actions, the conditions and the evaluator's decision, RCPs included, and whether the principal is "
    "outside the zone of trust."
)


@dataclass(frozen=True)
class PolicyResource:
    key: str
    type: str
    arn: str
    account_id: str
    region: str
    policy_column: str
    document: Any  # the policy (JSON text or an object); a bucket's with its ACL and Block Public Access
    aws_managed_key: bool = False  # an AWS managed KMS key, which RCPs do not govern


@dataclass(frozen=True)
class KnownPrincipals:
    """What the lake knows of principals: its organisations, accounts and IAM principals, and the zones."""

    organization: OrganizationPolicies
    accounts: frozenset[str]
    principals: frozenset[str]  # ARNs of the ingested users and roles
    zones: Mapping[str, ZoneOfTrust]
    canonical_accounts: Mapping[str, str] = field(default_factory=dict)  # canonical user ID -> account
    account_flags: AccountFlags = field(default_factory=AccountFlags)  # S3 account-level public access block

    @property
    def canonical_ids(self) -> dict[str, str]:
        return {account: canonical for canonical, account in self.canonical_accounts.items()}

    def caller(self, principal: str) -> Caller:
        """The caller as a request from it is decided: with its account's canonical user ID when the lake knows it."""
        caller = parse_caller(principal)
        canonical = self.canonical_ids.get(caller.account or "") if caller.is_iam else None
        return replace(caller, canonical_id=canonical) if canonical else caller

    def zone(self, account_id: str) -> ZoneOfTrust:
        return self.zones.get(account_id) or ZoneOfTrust(account_id, None, frozenset({account_id}))


@dataclass(frozen=True)
class Candidate:
    """A principal named by the policy and the caller that stands for it."""

    principal: str
    kind: str
    caller: str


def policy_table_columns() -> dict[str, tuple[str, ...]]:
    """Table -> the columns the analysis reads of it, its policy last: each resource type declaring a resource
    policy, and the roles."""
    columns: dict[str, tuple[str, ...]] = {
        name: ("_key", "arn", "accountId", "region",
               *(KEY_MANAGER for column in ENTITY_TYPES[name].all_columns if column.name == KEY_MANAGER),
               *(BUCKET_COLUMNS if name == BUCKET_TYPE else ()), policy)
        for name, policy in resource_policy_columns().items()}
    columns[ROLE_TYPE] = ("_key", "arn", "accountId", "region", TRUST_POLICY)
    return columns


PRINCIPAL_COLUMNS: dict[str, tuple[str, ...]] = {"aws_account": ACCOUNT_COLUMNS, "aws_iam_user": ("arn",)}


def input_columns() -> dict[str, tuple[str, ...]]:
    """Table -> the columns `resource_access_from_tables` reads."""
    columns = {**ORGANIZATION_COLUMNS, **PRINCIPAL_COLUMNS, **policy_table_columns()}
    return {table: tuple(dict.fromkeys(names)) for table, names in columns.items()}


def known_principals(tables: Mapping[str, Sequence[Row]], zone_settings: Mapping[str, str | None],
                     organization_entries: Iterable[str] = ()) -> KnownPrincipals:
    """What the lake knows of principals, from the tables of `input_columns`, and each account's zone of trust
    from the instances' settings (account -> `account`, `organization` or None; `organization_entries`: the
    accounts whose instance stands for their organisation)."""
    organization = organization_policies(*(tables.get(table, ()) for table in ORGANIZATION_COLUMNS))
    accounts = frozenset(row["accountId"] for row in tables.get("aws_account", ()) if row["accountId"])
    principals = frozenset(row["arn"] for table in ("aws_iam_user", ROLE_TYPE) for row in tables.get(table, ())
                           if row["arn"])
    resource_accounts = {row["accountId"] for table in policy_table_columns() for row in tables.get(table, ())}
    zones = zones_of_trust(accounts | resource_accounts, zone_settings, organization, organization_entries)
    owners = canonical_accounts(tables.get(BUCKET_TYPE, ()))
    return KnownPrincipals(organization, accounts, principals, zones, owners,
                           AccountFlags.of(tables.get("aws_account", ())))


def resource_access_from_tables(tables: Mapping[str, Sequence[Row]], zone_settings: Mapping[str, str | None],
                                organization_entries: Iterable[str] = (), workers: int = 1,
                                parallel_from: int = PARALLEL_RESOURCES) -> pa.Table:
    """The table; with `workers` > 1 and `parallel_from` resources or more, shares of the resources are decided by
    forked processes (`forked.map_in_forks`): the same rows in the same order."""
    known = known_principals(tables, zone_settings, organization_entries)
    resources = policy_resources(tables, known.account_flags)
    if workers <= 1 or len(resources) < parallel_from:
        return resource_access_table(resource_access_rows(resources, known))
    size = share_size(len(resources), workers)
    shares = [range(start, min(start + size, len(resources))) for start in range(0, len(resources), size)]

    def table_of(share: range) -> pa.Table:
        return resource_access_table(resource_access_rows((resources[position] for position in share), known))

    return pa.concat_tables(list(map_in_forks(table_of, shares, workers)))


def policy_resources(tables: Mapping[str, Iterable[Row]], account_flags: AccountFlags | None = None,
                     ) -> list[PolicyResource]:
    """The resources whose policy was collected (a policy that is None was not, or there is none); a bucket's
    policy with what its ACL and Block Public Access add (`bucket_access`)."""
    found = []
    for table, columns in policy_table_columns().items():
        column = columns[-1]
        for row in tables.get(table, ()):
            document = row[column] if table != BUCKET_TYPE else bucket_policy(
                row, (account_flags or AccountFlags()).get(row["accountId"], (False, False)))
            if document and row["arn"]:
                found.append(PolicyResource(row["_key"], table, row["arn"], row["accountId"], row["region"], column,
                                            document, aws_managed_key=row.get(KEY_MANAGER) == "AWS"))
    return found


def request_for(resource: PolicyResource, caller: str, action: str, resource_arn: str,
                known: KnownPrincipals) -> Request:
    principal_account = parse_caller(caller).account
    principal_org, principal_paths = known.organization.context(principal_account)
    resource_org, resource_paths = known.organization.context(resource.account_id)
    return Request(caller, action, resource_arn, resource_account=resource.account_id,
                   principal_org_id=principal_org, principal_org_paths=principal_paths,
                   resource_org_id=resource_org, resource_org_paths=resource_paths,
                   principal_canonical_id=known.canonical_ids.get(principal_account or ""))


def policies_for(resource: PolicyResource, caller: str, known: KnownPrincipals) -> PolicySet:
    iam = parse_caller(caller).is_iam
    return PolicySet(
        identity=[PRINCIPAL_SIDE_ALLOWS] if iam else (),
        rcps=known.organization.rcps(resource.account_id),
        resource=Policy(resource.policy_column, resource.document),
        resource_is_management_account=known.organization.is_management_account(resource.account_id),
        resource_is_aws_managed_key=resource.aws_managed_key,
    )


def _candidates(statement: Statement, known: KnownPrincipals) -> list[Candidate]:
    if statement.not_principal or statement.principal == "*":
        return [Candidate("*", EVERYONE, ANONYMOUS), *_named_by_conditions(statement.condition)]
    principal = statement.principal
    if isinstance(principal, str):  # IAM wants an object; read a bare name as the principal it names
        principal = {"Service" if principal.endswith(SERVICE_SUFFIXES) else "AWS": principal}
    if not isinstance(principal, dict):
        return []
    found = []
    for key, values in principal.items():
        kind = str(key).lower()
        for value in listify(values) or []:
            if not isinstance(value, str):
                continue
            if kind == "aws" and value == "*":
                found += [Candidate("*", EVERYONE, ANONYMOUS), *_named_by_conditions(statement.condition)]
            elif kind == "aws":
                found += _aws_candidate(value)
            elif kind == "service":
                found.append(Candidate(value, SERVICE, value))
            elif kind == "federated":
                found.append(Candidate(value, FEDERATED, value))
            elif kind == "canonicaluser" and value in known.canonical_accounts:
                found.append(Candidate(value, ACCOUNT, known.canonical_accounts[value]))
    return found


def _aws_candidate(value: str) -> list[Candidate]:
    try:
        caller = parse_caller(value)
    except ValueError:
        return []  # a unique ID left by a deleted principal, or a malformed ARN: no caller has it
    if caller.kind is CallerKind.ROOT:
        return [Candidate(value, ACCOUNT, caller.account or value)]
    if caller.is_iam:
        return [Candidate(value, PRINCIPAL, value)]
    return []


def _named_by_conditions(condition: Any) -> list[Candidate]:
    """The accounts and principals a grant to everyone requires by aws:PrincipalAccount or aws:PrincipalArn."""
    found = []
    for operator, key, values in _condition_entries(condition):
        if key == "aws:principaltype" and operator in _NEGATED and "anonymous" in (v.lower() for v in values):
            found.append(Candidate("*", EVERYONE, SIGNED_CALLER))
        if operator not in _POSITIVE:
            continue
        for value in values:
            if any(wildcard in value for wildcard in "*?$"):
                continue
            if key == "aws:principalaccount":
                found += [Candidate("*", ACCOUNT, value)] if ACCOUNT_ID.fullmatch(value) else []
            elif key == "aws:principalarn":
                found += [Candidate("*", candidate.kind, candidate.caller) for candidate in _aws_candidate(value)]
    return found


def _condition_entries(condition: Any) -> Iterator[tuple[str, str, list[str]]]:
    """(operator without IfExists, lower-cased key, values) of a Condition; a set operator is kept in the name."""
    if not isinstance(condition, dict):
        return
    for operator, block in condition.items():
        if not isinstance(block, dict):
            continue
        for key, values in block.items():
            listed = listify(values) if not isinstance(values, (bool, int, float)) else [values]
            yield str(operator).lower(), str(key).lower(), [str(value) for value in listed or []]


def _whole(resource: PolicyResource) -> list[str]:
    """The resource and, when its ARN's service has sub-resource types below it (a bucket's objects, a function's
    versions and aliases), a pattern for them: what `*` or no Resource covers in a resource policy. A REST API's
    policy governs calls to its methods (`execute-api:Invoke` on `arn:aws:execute-api:...:<api-id>/*`)."""
    methods = _api_methods(resource)
    if methods is not None:
        return [f"{methods}/*"]
    service = _action_service(resource.arn)
    own = resource_types_of(service, resource.arn)
    below = [f"{resource.arn}{separator}*" for separator in "/:"]
    return [resource.arn, *(pattern for pattern in below if resource_types_of(service, pattern) - own)]


def _api_methods(resource: PolicyResource) -> str | None:
    """`arn:aws:execute-api:<region>:<account>:<api-id>` of a REST API, None for any other resource."""
    if resource.type != REST_API_TYPE:
        return None
    api_id = resource.arn.rsplit("/", 1)[-1]
    partition = resource.arn.split(":", 2)[1]
    return f"arn:{partition}:execute-api:{resource.region}:{resource.account_id}:{api_id}"


def _action_service(arn: str) -> str:
    service = arn_service(arn)
    return ACTION_SERVICE_OF_ARN.get(service, service)


def _request_resources(statements: Sequence[Statement], resource: PolicyResource) -> list[str]:
    found: dict[str, None] = {}
    for statement in statements:
        patterns = [] if statement.resources is None or statement.not_resource else list(statement.resources)
        methods = _api_methods(resource)
        for pattern in patterns or ["*"]:
            if methods is not None:
                pattern = expand_api_shorthand(pattern, methods)
            usable = isinstance(pattern, str) and pattern.startswith("arn:")
            found.update(dict.fromkeys([pattern] if usable else _whole(resource)))
    return list(found)


def _ref_json(ref: StatementRef) -> dict[str, str]:
    return {"layer": ref.layer.value, "policy": ref.policy, "statement": ref.statement,
            "effect": "Allow" if ref.allow else "Deny"}


def _names(statement: Statement, caller: Caller) -> bool:
    """Whether the statement's Principal (or NotPrincipal) names the caller, conditions aside."""
    return statement_names(statement, caller) is not None


def _covers(statement: Statement, request: Request) -> bool:
    """Whether the statement's Action and Resource may match the request, conditions aside."""
    return statement_action_matches(statement, request.action) and statement_resource_truth(
        statement, request.resource_arn, request.lookup) is not False


@dataclass
class _Outcome:
    """The actions a candidate gets with one decision: their result, the keys it depends on and, for an explicit
    deny, the statements that refuse are the same; the grants and the Denies that may refuse are those of any."""

    decision: Decision
    grants: dict[tuple[str, int], Statement]  # by (policy, index): a statement holds unhashable elements
    denies: dict[tuple[str, int], Statement]
    actions: list[str]


def _decide(resource: PolicyResource, allows: list[Statement], denies: list[Statement], candidate: Candidate,
            caller: Caller, action: str, resource_arn: str, known: KnownPrincipals,
            policies: PolicySet) -> tuple[Decision, list[Statement], list[Statement]] | None:
    """The decision of one request, the Allows naming the caller that grant it and the Denies that may refuse it;
    None when no Allow naming the candidate grants it, or nothing could allow it."""
    request = request_for(resource, candidate.caller, action, resource_arn, known)
    grants = [s for s in allows if _names(s, caller) and _covers(s, request)]
    if not grants:
        return None
    decision = evaluate(request, policies)
    possible = decision.allowed or (decision.conditional is not None
                                    and decision.conditional.best_case is Result.ALLOWED)
    if not possible and decision.result is not Result.EXPLICITLY_DENIED:
        return None
    return decision, grants, [s for s in denies if _names(s, caller) and _covers(s, request)]


def _outcome_key(decision: Decision) -> tuple:
    conditional = decision.conditional
    refusing = decision.statements if decision.result is Result.EXPLICITLY_DENIED else ()
    return (decision.result, conditional and conditional.best_case, conditional and conditional.missing_keys,
            refusing)


_Signatures = dict[tuple[Any, ...], tuple[list[Statement], list[tuple[str, tuple[Any, ...]]]]]


def _action_signatures(every: list[Statement], service: str, resource_arn: str,
                       cache: _Signatures) -> list[tuple[str, tuple[Any, ...]]]:
    """Each action on the resource with what the evaluator reads of it: the same for every candidate of a resource
    whose statements are the same (the cache, one resource's, keeps them alive so that their ids stay theirs)."""
    key = (resource_arn, *map(id, every))
    found = cache.get(key)
    if found is None:
        found = cache[key] = (every, [
            (action, (tuple(statement_action_matches(s, action) for s in every), action.lower() in TRUST_ACTIONS,
                      reserved_change(action, resource_arn)))
            for action in actions_on(service, resource_arn)])
    return found[1]


def _outcomes(resource: PolicyResource, statements: list[Statement], naming: list[Statement], candidate: Candidate,
              resource_arn: str, known: KnownPrincipals, signatures: _Signatures) -> list[_Outcome]:
    """What the statements `naming` the candidate grant it on the request resource, the whole policy deciding.

    The evaluator reads an action only to match it against each statement's Action or NotAction, to know a trust
    action and a change to a resource AWS reserves (`reserved`): actions alike in all three are decided alike, so
    one of them is evaluated for all (the property tests re-evaluate a sampled action of every row)."""
    service = _action_service(resource_arn)
    policies = policies_for(resource, candidate.caller, known)
    governed = service in RCP_SERVICES and not policies.resource_is_management_account
    rcp_statements = [statement for depth, level in enumerate(policies.rcps if governed else [])
                      for index, document in enumerate(level)
                      for statement in read_statements(document, Layer.RCP, f"rcp[{depth}][{index}]")]
    every = statements + rcp_statements
    denies = [statement for statement in every if not statement.allow]
    caller = known.caller(candidate.caller)
    decided: dict[tuple, tuple[Decision, list[Statement], list[Statement]] | None] = {}
    grouped: dict[tuple, _Outcome] = {}
    for action, signature in _action_signatures(every, service, resource_arn, signatures):
        if signature not in decided:
            decided[signature] = _decide(resource, naming, denies, candidate, caller, action, resource_arn, known,
                                         policies)
        found = decided[signature]
        if found is None:
            continue
        decision, grants, refusing = found
        outcome = grouped.setdefault(_outcome_key(decision), _Outcome(decision, {}, {}, []))
        outcome.grants.update({(s.policy, s.index): s for s in grants})
        outcome.denies.update({(s.policy, s.index): s for s in refusing})
        outcome.actions.append(action)
    return list(grouped.values())


def _restricts(entries: Iterable[tuple[str, str, list[str]]], zone: ZoneOfTrust, operators: frozenset[str]) -> bool:
    """Whether one of the Condition's tests, under one of `operators`, holds only for values inside the zone."""
    for operator, key, values in entries:
        if operator not in operators or not values:
            continue
        if key in _NETWORK_KEYS:
            return True
        if key in _ORG_KEYS and all(zone.holds_organization(value) for value in values):
            return True
        if key in _ORG_PATH_KEYS and zone.organization_id and all(
                value.startswith(f"{zone.organization_id}/") for value in values):
            return True
        if key in _ACCOUNT_KEYS and all(zone.holds_account(value) for value in values):
            return True
        if key in _ARN_KEYS and all(zone.holds_account(arn_account(value)) for value in values):
            return True
    return False


def _restricted_to_zone(grants: Iterable[Statement], denies: Iterable[Statement], zone: ZoneOfTrust) -> bool:
    granted = all(_restricts(_condition_entries(s.condition), zone, _POSITIVE) for s in grants)
    denied = any(_restricts(_condition_entries(s.condition), zone, _NEGATED) for s in denies)
    return granted or denied


def _org_required(grants: Iterable[Statement]) -> list[str]:
    """The organisations every granting statement requires (aws:PrincipalOrgID, or the org of OrgPaths)."""
    required: set[str] | None = None
    for statement in grants:
        found = {value if key == "aws:principalorgid" else value.split("/", 1)[0]
                 for operator, key, values in _condition_entries(statement.condition)
                 if operator in _POSITIVE and key in ("aws:principalorgid", "aws:principalorgpaths")
                 for value in values}
        if not found:
            return []
        required = found if required is None else required & found
    return sorted(required or ())


def _principal_account(candidate: Candidate) -> str | None:
    if candidate.kind == ACCOUNT:
        return candidate.caller
    if candidate.kind in (PRINCIPAL, FEDERATED):
        return arn_account(candidate.caller)
    return None


def _external(resource: PolicyResource, candidate: Candidate, account: str | None, outcome: _Outcome,
              zone: ZoneOfTrust) -> bool:
    if candidate.kind == SERVICE and resource.type == ROLE_TYPE:
        return False
    if candidate.kind in (PRINCIPAL, ACCOUNT) and zone.holds_account(account):
        return False
    return not _restricted_to_zone(outcome.grants.values(), outcome.denies.values(), zone)


def resource_access_rows(resources: Iterable[PolicyResource], known: KnownPrincipals) -> list[dict[str, Any]]:
    rows = []
    for resource in resources:
        statements = read_statements(Policy(resource.policy_column, resource.document), Layer.RESOURCE,
                                     resource.policy_column)
        naming: dict[Candidate, list[Statement]] = {}
        for statement in statements:
            for candidate in _candidates(statement, known) if statement.allow else ():
                naming.setdefault(candidate, []).append(statement)
        zone = known.zone(resource.account_id)
        signatures: _Signatures = {}
        for candidate, named_by in naming.items():
            for resource_arn in _request_resources(named_by, resource):
                for outcome in _outcomes(resource, statements, named_by, candidate, resource_arn, known, signatures):
                    rows.append(_row(resource, candidate, resource_arn, outcome, zone, known))
    return rows


def _conditions(outcome: _Outcome) -> list[dict[str, Any]]:
    return [{**_ref_json(statement_ref(statement)), "condition": statement.condition}
            for statement in (*outcome.grants.values(), *outcome.denies.values()) if statement.condition]


def _row(resource: PolicyResource, candidate: Candidate, resource_arn: str, outcome: _Outcome, zone: ZoneOfTrust,
         known: KnownPrincipals) -> dict[str, Any]:
    decision = outcome.decision
    conditional = decision.conditional is not None and decision.conditional.best_case is Result.ALLOWED
    account = _principal_account(candidate)
    kind = candidate.kind
    organizations = _org_required(outcome.grants.values()) if kind == EVERYONE else []
    if organizations:
        kind = ORGANIZATION
    ingested = (candidate.caller in known.principals if kind == PRINCIPAL
                else account in known.accounts if kind == ACCOUNT else False)
    denied = decision.result is Result.EXPLICITLY_DENIED
    return {
        "resourceKey": resource.key,
        "resourceType": resource.type,
        "resourceArn": resource.arn,
        "accountId": resource.account_id,
        "region": resource.region,
        "principal": candidate.principal,
        "principalKind": kind,
        "principalAccount": account,
        "principalOrgId": ", ".join(organizations) or None,
        "ingested": ingested,
        "external": _external(resource, candidate, account, outcome, zone),
        "zoneOfTrust": zone.label,
        "actions": sorted(outcome.actions),
        "requestPrincipal": candidate.caller,
        "requestResource": resource_arn,
        "conditions": json.dumps(_conditions(outcome), sort_keys=True),
        "conditionKeys": list(decision.conditional.missing_keys) if conditional and decision.conditional else [],
        "conditional": conditional,
        "decision": decision.result.value,
        "deniedBy": json.dumps([_ref_json(ref) for ref in decision.statements]) if denied else None,
        "statements": json.dumps([_ref_json(statement_ref(statement)) for statement in outcome.grants.values()]),
    }


def resource_access_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=RESOURCE_ACCESS_SCHEMA)
