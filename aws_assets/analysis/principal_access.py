"""`principal_access`: for every user and role the lake holds, every entity it may act on and how, each answer the
request evaluator's (`aws_assets.analysis.evaluation.evaluate` on the policies `PolicyIndex.assemble` gathers), so
that a row and `evaluate` never disagree.

A row names a principal and a target entity, and splits the actions AWS's Service Authorization Reference lists for
the target's resource type (`authorization_reference.actions_on`, for every service whose resource types take the
target's ARN: `sts:AssumeRole` on a role) into `actions` (Allowed), `conditionalActions` (allowed only for some
values of the context keys `conditionKeys`, which the lake cannot know) and `deniedActions` (an Allow covers them but
an explicit Deny refuses them, `deniedBy`). `limitedBy` names the guardrails (permissions boundary, SCPs, RCPs) that
removed an identity grant. A group never makes a request: its members' rows say `via group:<name>`.

Candidates, since no estate can be evaluated request by request:
- an entity of the principal's account that an identity Allow's Resource matches (a statement on `*` reaches every
  entity of its actions' services; any other pattern is matched against the account's ARNs, sorted, from its literal
  prefix), or whose resource policy names the principal's account, its ARN or everyone;
- an entity of another account whose resource policy names the principal's account (or ARN) or everyone, when an
  identity Allow matches it: across accounts both sides must allow, so an entity without a resource policy is never
  reached from another account.
An action no Allow (identity, or the target's resource policy for this principal) covers can never be Allowed, and
is not evaluated.

Equivalence classes: a request's decision depends on the statements whose Action and Resource match it (and, for
statements naming principals, how they name the caller), on what the two accounts are to each other and to their
organisations (SCP and RCP levels, management accounts), on what kind of caller it is, and on a few rules of the
action and ARN (trust actions, changes to resources AWS owns, KMS keys). Requests alike in all of these share one
evaluation, and the statements are compared by how they read (effect, actions, condition, how their Resource matched,
how they name the caller), not by their names: a customer policy copied into every account is evaluated once, and
the statements that decided are named by their rank among the matching ones, then by the principal's and target's
own names. A statement whose Resource or Condition reads the principal (`${...}` variables, `aws:PrincipalArn`,
`aws:username`, `aws:userid`, `aws:PrincipalTag`) adds the principal to the class, one reading the resource's tags
(`aws:ResourceTag`, or a variable) the target, one reading `aws:PrincipalAccount`, `aws:ResourceAccount` or the
organisation paths the two accounts.

Rows: each distinct row but its principal's and target's columns is a template, built once; the rows are indexes
into the templates, the principals and the targets, and every string column is dictionary-encoded on them (Arrow
and Parquet), so a million rows hold a few thousand distinct values. On the 200-account estate of
`benchmarks/policy_analysis.py` (1.7 million rows, 4,754 evaluations) it takes 15 to 20 s in one process and
1 GiB peak RSS, 13 s spread over 2 cores (`table(workers=...)`).
"""

from __future__ import annotations

import bisect
import json
import re
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa

from aws_assets.analysis.authorization_reference import actions_on, datastore
from aws_assets.analysis.documents import glob_match, listify
from aws_assets.analysis.evaluation import TRUST_ACTIONS, Decision, Result, evaluate
from aws_assets.analysis.forked import map_in_forks, share_size
from aws_assets.analysis.heap import without_cycle_collection
from aws_assets.analysis.matching import (
    GrantKind,
    resource_matches,
    statement_names,
    statement_resource_truth,
)
from aws_assets.analysis.organization_policies import OrganizationTreeError
from aws_assets.analysis.policy_sets import ROLES, TRUST_POLICY, USERS, PolicyIndex, Principal
from aws_assets.analysis.request import MISSING, Caller, arn_service
from aws_assets.analysis.reserved import reserved_change
from aws_assets.analysis.statements import Layer, Policy, Statement, read_statements
from aws_assets.analysis.truth import Truth
from aws_assets.analysis.variables import UNRESOLVED, substitute
from aws_assets.model.entity import Column, boolean, schema_of

ACCESS_TABLE = "principal_access"

# Rows repeat their principal, target and decided columns: every string is dictionary-encoded (an index per row into
# the distinct values), in memory and in Parquet; readers (DuckDB) see plain strings and lists of strings.
LABEL = pa.dictionary(pa.int32(), pa.string())


def label(name: str, description: str) -> Column:
    return Column(name, LABEL, description)


def labels(name: str, description: str) -> Column:
    return Column(name, pa.list_(LABEL), description)


ACCESS_COLUMNS: tuple[Column, ...] = (
    label("principalKey", "`_key` of the user or role (a group makes no request: see `via`)"),
    label("principalType", "`aws_iam_user` or `aws_iam_role`"),
    label("principalArn", "ARN of the user or role"),
    label("accountId", "Account of the principal"),
    label("targetKey", "`_key` of the entity acted on"),
    label("targetType", "`_type` of the target"),
    label("targetArn", "ARN of the target"),
    label("targetAccountId", "Account of the target"),
    labels("actions", "The actions the evaluator Allows, of those AWS's Service Authorization Reference lists for "
            "the target's resource type: exact action names, never patterns"),
    labels("conditionalActions", "Actions allowed only if context keys the lake cannot know hold (`conditionKeys`)"),
    labels("conditionKeys", "The context keys the conditional actions depend on"),
    label("grantedBy", "What granted the allowed actions: `identity` (the principal's policies), `resource` (the "
           "target's resource policy) or `both`; empty when nothing is allowed"),
    labels("deniedActions", "Actions an Allow covers that an explicit Deny refuses"),
    labels("deniedBy", "Each Deny that refused some: `<layer>:<policy>#<statement>` (layer identity, boundary, scp, "
            "rcp or resource; the statement's Sid, else its index)"),
    labels("limitedBy", "Guardrails that removed some identity grant: `boundary:<policy>` (the permissions boundary "
            "does not allow, or denies), `scp:<policy>` (a level's SCPs do not allow, or one denies), `rcp:<policy>`"),
    labels("via", "How the identity policies that allow reach the principal: `attached`, `inline`, "
            "`group:<group name>`"),
    boolean("crossAccount", "The target is in another account than the principal"),
    boolean("admin", "Every action of the target's resource type is allowed"),
)
ACCESS_SCHEMA = schema_of(ACCESS_COLUMNS)
TABLE_DESCRIPTION = ("What each user and role may do to each entity, as AWS's policy evaluation decides it (identity "
                     "policies, permissions boundary, SCPs, RCPs, resource policies): the exact actions allowed, "
                     "allowed under conditions, and denied, with the layers that decided.")

_ROW_COLUMNS = ("principalKey", "principalType", "principalArn", "accountId",
                "targetKey", "targetType", "targetArn", "targetAccountId")
_TEMPLATE_COLUMNS = tuple(name for name in ACCESS_SCHEMA.names if name not in _ROW_COLUMNS)
_PRINCIPAL_KEYS = re.compile(r"\$\{|aws:(principalarn|username|userid|principaltag)")
_RESOURCE_KEYS = re.compile(r"\$\{|aws:resourcetag")
_ACCOUNT_KEYS = re.compile(r"aws:(principalaccount|resourceaccount|principalorgpaths|resourceorgpaths)")
_WILDCARD = re.compile(r"\*|\?|\$\{")
_ANY = "*"  # every service
_BATCH_ROWS = 1 << 17
# Fewer principals are decided here: forking costs more than it saves on an estate of a few accounts.
PARALLEL_PRINCIPALS = 1000


@dataclass(frozen=True)
class Targets:
    """The entities a principal may act on: key, `_type`, ARN and account of each (entities without an ARN are
    never named by a request and are left out)."""

    keys: Sequence[str]
    types: Sequence[str]
    arns: Sequence[str]
    accounts: Sequence[str]

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str, str | None, str | None]]) -> Targets:
        kept = [row for row in rows if row[2] and row[3]]
        return cls(*(list(column) for column in zip(*kept))) if kept else cls([], [], [], [])


# ---- the authorization reference, per resource type -------------------------------------------------------------


@lru_cache(maxsize=1)
def _acting_services() -> dict[str, tuple[str, ...]]:
    """ARN service -> the services whose resource types have ARNs of that service (`iam` -> iam, sts, ...)."""
    found: dict[str, set[str]] = {}
    for prefix, service in datastore().items():
        for resource in (service.get("resources") or {}).values():
            arn = resource.get("arn") if isinstance(resource, dict) else None
            parts = arn.split(":") if isinstance(arn, str) else []
            if len(parts) > 2 and "$" not in parts[2]:
                found.setdefault(parts[2], set()).add(prefix)
    return {arn_service: tuple(sorted(services)) for arn_service, services in found.items()}


def target_actions(arn: str) -> tuple[str, ...]:
    """Every action AWS's reference lists as acting on the resource type the ARN names, of any service."""
    arn_service_name = arn_service(arn)
    services = _acting_services().get(arn_service_name, (arn_service_name,))
    return tuple(sorted({action for service in services for action in actions_on(service, arn)}))


# ---- statements -------------------------------------------------------------------------------------------------


StatementId = tuple[str, str, int, int]  # layer, policy, index, level (SCPs and RCPs; else 0)


@dataclass(eq=False)
class _Statement:
    """A statement with what the candidate search and the classes need of it."""

    statement: Statement
    id: StatementId
    every: bool  # its Resource matches every ARN
    services: frozenset[str]  # the services its actions may name (`*`: any)
    reads_principal: bool
    reads_resource: bool
    reads_accounts: bool
    variables: bool
    behaviour: str  # all the evaluator reads of it but its Resource, Principal and names, as text
    bounds: tuple[tuple[str, str], ...] | None  # what an ARN its Resource matches begins and ends with, per pattern
    allow: bool
    layer: Layer
    grants_identity: bool  # an identity policy's Allow
    reads_resource_keys: bool  # a variable in its Resource reads the resource (`${aws:ResourceTag/...}`)

    @property
    def reads(self) -> int:
        """What it reads of the request as bits: the principal 1, the resource 2, the accounts 4."""
        return self.reads_principal | self.reads_resource << 1 | self.reads_accounts << 2


def _wrap(statement: Statement, level: int) -> _Statement:
    text = json.dumps([statement.resources, statement.condition, statement.principal], default=str).lower()
    resources = statement.resources
    every = resources is None or (not statement.not_resource and "*" in resources)
    services: set[str] = set()
    for action in statement.actions:
        prefix = action.split(":", 1)[0].lower() if isinstance(action, str) and ":" in action else _ANY
        services.add(_ANY if statement.not_action or "*" in prefix or "?" in prefix else prefix)
    behaviour = json.dumps([statement.layer.value, level, statement.allow, statement.actions, statement.not_action,
                            statement.condition], sort_keys=True, default=str)
    return _Statement(statement, (statement.layer.value, statement.policy, statement.index, level), every,
                      frozenset(services), bool(_PRINCIPAL_KEYS.search(text)), bool(_RESOURCE_KEYS.search(text)),
                      bool(_ACCOUNT_KEYS.search(text)), "${" in json.dumps(resources), behaviour,
                      _bounds(statement), statement.allow, statement.layer,
                      statement.allow and statement.layer is Layer.IDENTITY,
                      "${aws:resource" in json.dumps(resources).lower())


def _bounds(statement: Statement) -> tuple[tuple[str, str], ...] | None:
    """Each Resource pattern's literal beginning (up to its first wildcard or variable) and end (after its last
    wildcard): an ARN it matches begins and ends with them, for IAM matches ARNs case-sensitively, character by
    character where the pattern is literal."""
    if statement.resources is None or statement.not_resource:
        return None
    bounds = []
    for pattern in statement.resources:
        if not isinstance(pattern, str):
            continue
        if not pattern.startswith("arn:"):
            return None
        cuts = list(_WILDCARD.finditer(pattern))
        if not cuts:
            bounds.append((pattern, pattern))
        elif "${" in pattern:
            bounds.append((pattern[:cuts[0].start()], ""))
        else:
            bounds.append((pattern[:cuts[0].start()], pattern[cuts[-1].end():]))
    return tuple(bounds)


@lru_cache(maxsize=65536)
def _arn_shape(pattern: str) -> re.Pattern[str]:
    """What the ARNs a pattern without variables matches look like, to rule out the rest before
    `matching.arn_matches` decides: its first five segments each match on their own (a wildcard stays in its
    segment), the last takes the rest of the ARN."""
    segments = pattern.split(":", 5)
    parts = []
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        star, one = (".*", ".") if last else ("[^:]*", "[^:]")
        parts.append("".join(star if c == "*" else one if c == "?" else re.escape(c) for c in segment))
    return re.compile(":".join(parts), re.DOTALL)


def _resolved_shape(pattern: str, lookup: Any) -> re.Pattern[str] | bool | None:
    """The shape of a pattern whose variables the principal's keys resolve (their values read as wildcards, which
    only widens it); False if one cannot be resolved (it then matches nothing), None if one is unknown."""
    resolved = substitute(pattern, lookup, wildcards=False)
    if resolved is UNRESOLVED:
        return False
    return _arn_shape(resolved) if isinstance(resolved, str) else None


def _may_match(statement: _Statement, arn: str) -> bool:
    return statement.bounds is None or any(
        arn.startswith(start) and arn.endswith(end) for start, end in statement.bounds)


def _missing(key: str) -> Any:
    return MISSING


def _no_keys(number: int) -> Any:
    return _missing


# ---- the targets, indexed ---------------------------------------------------------------------------------------


class _Catalog:
    """The targets by account, by kind (a resource type's actions) and by ARN, and those with a resource policy."""

    def __init__(self, targets: Targets, index: PolicyIndex) -> None:
        self.targets = targets
        self._reserved: dict[int, bool] = {}
        kinds: dict[tuple[str, tuple[str, ...]], int] = {}
        self.kind_of: list[int] = []
        self.kind_type: list[str] = []
        self.kind_actions: list[tuple[str, ...]] = []
        self.kind_services: list[frozenset[str]] = []
        self.by_account_kind: dict[str, dict[int, list[int]]] = {}
        by_arn_service: dict[tuple[str, str], list[tuple[str, int]]] = {}
        shapes: dict[tuple[str, int, int], tuple[str, ...]] = {}
        for number, (type_, arn, account) in enumerate(zip(targets.types, targets.arns, targets.accounts)):
            shape = (type_, arn.count("/"), arn.count(":"))
            actions = shapes.get(shape)
            if actions is None:
                actions = shapes[shape] = target_actions(arn)
            kind = kinds.get((type_, actions))
            if kind is None:
                kind = kinds[(type_, actions)] = len(self.kind_type)
                self.kind_type.append(type_)
                self.kind_actions.append(actions)
                self.kind_services.append(frozenset(action.split(":", 1)[0].lower() for action in actions))
            self.kind_of.append(kind)
            if actions:
                self.by_account_kind.setdefault(account, {}).setdefault(kind, []).append(number)
                by_arn_service.setdefault((account, arn_service(arn)), []).append((arn, number))
        self.sorted_arns: dict[tuple[str, str], tuple[list[str], list[int]]] = {}
        for place, pairs in by_arn_service.items():
            pairs.sort()
            self.sorted_arns[place] = ([arn for arn, _ in pairs], [number for _, number in pairs])
        self.account_services: dict[str, list[str]] = {}
        for account, service in self.sorted_arns:
            self.account_services.setdefault(account, []).append(service)
        # Targets with a resource policy (a role: its trust policy), and the accounts their Allows name.
        self.policies: dict[int, tuple[Policy | None, Policy | None]] = {}  # -> (for most actions, for trust)
        self.texts: dict[int, str] = {}  # -> the policies as text
        self.with_policy: dict[str, list[int]] = {}  # account -> its targets with a policy
        self.naming_account: dict[str, list[int]] = {}
        self.public: list[int] = []
        self.statements: dict[int, list[Statement]] = {}
        for number, (type_, arn) in enumerate(zip(targets.types, targets.arns)):
            if not self.kind_actions[self.kind_of[number]]:
                continue
            resource = index.resources.get(arn)
            own = resource.policy if resource is not None else None
            trust = None
            if type_ == ROLES:
                role = index.roles.get(arn.lower())
                trust = index.resource_policy("sts:AssumeRole", arn) if role and role.row.get(TRUST_POLICY) else None
            if own is None and trust is None:
                continue
            self.policies[number] = (own, trust)
            self.with_policy.setdefault(targets.accounts[number], []).append(number)
            self.texts[number] = json.dumps([own and own.document, trust and trust.document], default=str)
            named: set[str] = set()
            public = False
            for policy in (own, trust):
                for statement in read_statements(policy, Layer.RESOURCE, "resource") if policy else ():
                    if not statement.allow:
                        continue
                    if statement.not_principal or statement.principal == "*":
                        public = True
                        continue
                    element = statement.principal if isinstance(statement.principal, Mapping) else {
                        "AWS": statement.principal}
                    for element_type, values in element.items():
                        for value in listify(values) or []:
                            if str(element_type).lower() == "aws" and value == "*":
                                public = True
                            elif str(element_type).lower() == "aws" and isinstance(value, str):
                                named.add(value if value.isdigit() else (value.split(":") + [""] * 5)[4])
                            elif str(element_type).lower() == "canonicaluser" and value in index.canonical_owners:
                                named.add(index.canonical_owners[value])
            for account in named:
                self.naming_account.setdefault(account, []).append(number)
            if public:
                self.public.append(number)

    def reserved(self, number: int) -> bool:
        """Whether some action of the target changes a resource AWS owns (`reserved_change`)."""
        arn = self.targets.arns[number]
        if arn_service(arn) not in ("iam", "kms"):
            return False
        found = self._reserved.get(number)
        if found is None:
            found = self._reserved[number] = any(
                reserved_change(action, arn) for action in self.kind_actions[self.kind_of[number]])
        return found

    def matches(self, statement: _Statement, account: str, lookup_for: Callable[[int], Any]) -> dict[int, Truth]:
        """The targets of the account the statement's Resource (or NotResource) matches, with the truth of each
        (`lookup_for(target)`: the request's keys, for policy variables)."""
        raw = statement.statement
        found: dict[int, Truth] = {}
        if raw.not_resource:
            for numbers in self.by_account_kind.get(account, {}).values():
                for number in numbers:
                    truth = statement_resource_truth(raw, self.targets.arns[number], lookup_for(number))
                    if truth is not False:
                        found[number] = truth
            return found
        for pattern in raw.resources or ():
            if not isinstance(pattern, str):
                continue
            parts = pattern.split(":", 5)
            if pattern.startswith("arn:") and len(parts) > 2 and not _WILDCARD.search(parts[2]):
                services = [parts[2]]
            else:
                services = self.account_services.get(account, [])
            cut = _WILDCARD.search(pattern)
            prefix = pattern if cut is None else pattern[:cut.start()]
            if not pattern.startswith("arn:"):
                prefix = ""
            # `*` at the end of the resource part (after the fifth colon) matches whatever follows the prefix.
            whole_range = pattern.endswith("*") and prefix == pattern[:-1] and prefix.count(":") >= 5
            last = None if "${" in pattern else list(_WILDCARD.finditer(pattern))
            suffix = pattern[last[-1].end():] if last else ""
            shape: re.Pattern[str] | bool | None = None
            shaped = False
            for service in services:
                arns, numbers = self.sorted_arns.get((account, service), ([], []))
                start = bisect.bisect_left(arns, prefix)
                end = bisect.bisect_right(arns, prefix + "\uffff") if prefix else len(arns)
                if whole_range:
                    found.update((numbers[position], True) for position in range(start, end))
                    continue
                if start == end:
                    continue
                if not shaped:  # once per pattern, and only for a pattern some ARN may match
                    shape = _arn_shape(pattern) if "${" not in pattern else None if statement.reads_resource_keys \
                        else _resolved_shape(pattern, lookup_for(-1))
                    shaped = True
                if shape is False:
                    continue  # a variable the principal cannot resolve matches nothing
                for position in range(start, end):
                    if found.get(numbers[position]) is True or not arns[position].endswith(suffix) or (
                            isinstance(shape, re.Pattern) and not shape.fullmatch(arns[position])):
                        continue
                    truth = resource_matches((pattern,), arns[position], lookup_for(numbers[position]))
                    if truth is not False:
                        found[numbers[position]] = truth
        return found


# ---- the principal's policies -----------------------------------------------------------------------------------


@dataclass
class _Side:
    """One principal's statements and what its requests share."""

    principal: Principal
    caller: Caller
    lookup: Any
    identity: list[_Statement]
    boundary: list[_Statement] | None
    scps: list[list[_Statement]]
    vias: dict[str, list[str]]  # policy name -> how it reaches the principal
    service_linked: bool
    management: bool
    boundary_name: str | None
    scp_levels: list[list[str]] = field(default_factory=list)  # each level's policy names
    # (kind, account) -> the statements on every ARN whose actions act on the kind, as entries
    every: dict[tuple[int, str], list[_Entry]] = field(default_factory=dict)

    @property
    def guards(self) -> list[_Statement]:
        """The boundary's and the SCPs' statements."""
        return [*(self.boundary or ()), *(statement for level in self.scps for statement in level)]


class PrincipalAccess:
    """The `principal_access` table of a lake's policy index and entities."""

    def __init__(self, index: PolicyIndex, targets: Targets) -> None:
        self.index = index
        self.catalog = _Catalog(targets, index)
        self._kept: dict[int, Policy] = {}  # the policies read, alive while their ids key `_wrapped`
        self._wrapped: dict[tuple[int, int], list[_Statement]] = {}
        self._matches: dict[tuple[int, str], dict[int, Truth]] = {}
        self._rcps: dict[str, tuple[list[list[_Statement]], bool]] = {}
        self._action_sets: dict[tuple[tuple[Any, ...], bool, int], frozenset[str]] = {}
        self._resource_cache: dict[tuple[Any, ...], list[_Entry]] = {}
        self._decisions: dict[tuple[Any, ...], tuple[Decision, list[int]]] = {}
        self._classes: dict[tuple[Any, ...], _Decided | None] = {}
        self._peculiarities: dict[int, tuple[str | None, bool]] = {}
        self.evaluations = 0

    # ---- reading ------------------------------------------------------------------------------------------------

    def _statements(self, policy: Policy, layer: Layer, level: int = 0) -> list[_Statement]:
        key = (id(policy), level * 16 + list(Layer).index(layer))
        found = self._wrapped.get(key)
        if found is None:
            self._kept[id(policy)] = policy
            found = self._wrapped[key] = [_wrap(statement, level)
                                          for statement in read_statements(policy, layer, policy.name)]
        return found

    def _vias(self, principal: Principal) -> dict[str, list[str]]:
        index, row = self.index, principal.row
        vias: dict[str, list[str]] = {}

        def add(policy: Policy | None, via: str) -> None:
            if policy is not None and via not in vias.setdefault(policy.name, []):
                vias[policy.name].append(via)

        for policy in index.inline.get(principal.arn.lower(), ()):
            add(policy, "inline")
        for arn in row.get("attachedPolicyArns") or ():
            add(index.managed_policy(arn), "attached")
        if principal.table == USERS:
            for name in row.get("groupNames") or ():
                group = index.groups.get((principal.account, name.lower()))
                if group is not None:
                    for policy in index.inline.get(group["arn"].lower(), ()):
                        add(policy, f"group:{name}")
                    for arn in group.get("attachedPolicyArns") or ():
                        add(index.managed_policy(arn), f"group:{name}")
        return vias

    def _side(self, principal: Principal) -> _Side:
        assembled = self.index.assemble(principal.arn, "sts:GetCallerIdentity", principal.arn)
        policies = assembled.policies
        identity = [s for policy in policies.identity for s in self._statements(_policy(policy), Layer.IDENTITY)]
        boundary_policy = None if policies.boundary is None else _policy(policies.boundary)
        boundary = None if boundary_policy is None else self._statements(boundary_policy, Layer.BOUNDARY)
        scps_apply = not policies.principal_is_management_account and not policies.principal_is_service_linked_role
        scps = [[s for policy in level for s in self._statements(_policy(policy), Layer.SCP, depth + 1)]
                for depth, level in enumerate(policies.scps)] if scps_apply else []
        return _Side(principal, assembled.request.caller, assembled.request.lookup, identity, boundary, scps,
                     self._vias(principal), policies.principal_is_service_linked_role,
                     policies.principal_is_management_account,
                     None if boundary_policy is None else boundary_policy.name,
                     [[_policy(policy).name for policy in level] for level in policies.scps])

    def _rcps_of(self, account: str) -> tuple[list[list[_Statement]], bool]:
        """The RCP statements of the resource's account, and whether it is a management account."""
        found = self._rcps.get(account)
        if found is None:
            organizations = self.index.organizations
            levels: list[list[Policy]] = []
            management = organizations.is_management_account(account)
            if account in organizations.organization_of:
                try:
                    levels = organizations.rcps(account)
                except OrganizationTreeError:
                    levels = []
            found = self._rcps[account] = ([
                [s for policy in level for s in self._statements(policy, Layer.RCP, depth + 1)]
                for depth, level in enumerate(levels)] if not management else [], management)
        return found

    def _account_matches(self, statement: _Statement, account: str, side: _Side) -> dict[int, Truth]:
        if statement.variables:
            return self.catalog.matches(statement, account, lambda number: self._lookup(side, number, statement))
        key = (id(statement), account)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = self.catalog.matches(statement, account, _no_keys)
        return found

    def _lookup(self, side: _Side, number: int, statement: _Statement) -> Any:
        """The keys of the principal's request on the target that the statement's variables read: the principal's
        alone unless they read the resource (`${aws:ResourceTag/...}`), whose keys are the target's."""
        if number < 0 or not statement.reads_resource_keys:
            return side.lookup
        arn = self.catalog.targets.arns[number]
        return self.index.assemble(side.principal.arn, "sts:GetCallerIdentity", arn).request.lookup

    def _actions_of(self, statement: Statement, kind: int) -> frozenset[str]:
        """The actions of a kind the statement's Action (or NotAction) matches."""
        key = (statement.actions, statement.not_action, kind)
        found = self._action_sets.get(key)
        if found is None:
            patterns = [pattern for pattern in statement.actions if isinstance(pattern, str)]
            matched = {action for action in self.catalog.kind_actions[kind]
                       if any(glob_match(pattern, action) for pattern in patterns)}
            if statement.not_action:
                matched = set(self.catalog.kind_actions[kind]) - matched
            found = self._action_sets[key] = frozenset(matched)
        return found

    # ---- the table ----------------------------------------------------------------------------------------------

    def table(self, workers: int = 1, parallel_from: int = PARALLEL_PRINCIPALS) -> pa.Table:
        """The rows of every principal, sorted by ARN; with `workers` > 1 and `parallel_from` principals or more,
        shares of them are computed by forked processes (`forked.map_in_forks`): the same rows in the same order."""
        principals = sorted(self.index.principals(), key=lambda p: p.arn)
        with without_cycle_collection():
            builder = _Builder(self.catalog.targets)
            shares = principal_shares(principals, workers if len(principals) >= parallel_from else 1)
            if len(shares) == 1:
                for principal in principals:
                    self._principal_rows(principal, builder)
            else:
                def rows_of(share: range) -> _Share:
                    part = _Builder(self.catalog.targets)
                    evaluations = self.evaluations
                    for position in share:
                        self._principal_rows(principals[position], part)
                    return part.share(principals, share, self.evaluations - evaluations)

                for share in map_in_forks(rows_of, shares, workers):
                    builder.extend(share, principals)
                    self.evaluations += share.evaluations
            return builder.table()

    def _principal_rows(self, principal: Principal, builder: _Builder) -> None:
        catalog, side = self.catalog, self._side(principal)
        account, accounts = principal.account, catalog.targets.accounts
        every_allows: set[str] = set()
        specific: dict[int, list[tuple[_Statement, Truth]]] = {}
        rcps, _ = self._rcps_of(account)
        for statement in (*side.identity, *side.guards, *(s for level in rcps for s in level)):
            if statement.every:
                if statement.allow and statement.layer is Layer.IDENTITY:
                    every_allows |= statement.services
                continue
            for number, truth in self._account_matches(statement, account, side).items():
                specific.setdefault(number, []).append((statement, truth))

        def reached_by_every(kind: int) -> bool:
            return _ANY in every_allows or bool(catalog.kind_services[kind] & every_allows)

        kinds = catalog.by_account_kind.get(account, {})
        block_kinds = {kind for kind in kinds if reached_by_every(kind)}
        # Targets some statement matches alone, or with a resource policy, are grouped by what matches them.
        individual = {number for number, found in specific.items()
                      if catalog.kind_of[number] in block_kinds
                      or any(s.grants_identity for s, _ in found)}
        named = {*catalog.naming_account.get(account, ()), *catalog.public}
        individual.update(number for number in catalog.with_policy.get(account, ())
                          if catalog.kind_of[number] in block_kinds or number in named)
        for kind in sorted(block_kinds):
            alike: dict[Any, list[int]] = {}
            for number in kinds[kind]:
                if number not in individual:
                    alike.setdefault(self._peculiarity(number), []).append(number)
            for rest in alike.values():
                builder.add(self._template(side, rest[0], [], []), principal, rest)
        groups: dict[tuple[Any, ...], list[int]] = {}
        found_for: dict[tuple[Any, ...], tuple[list[tuple[_Statement, Truth]], list[_Entry]]] = {}

        def group(number: int, found: list[tuple[_Statement, Truth]]) -> None:
            # Targets matched by the same statements, whose resource policies name the caller alike (and deny
            # nothing, whose names would differ), are decided and named alike.
            own = self._resource_entries(side, number) if number in catalog.policies else []
            key = (catalog.kind_of[number], accounts[number], self._peculiarity(number),
                   *((id(s), _truth_key(t)) for s, t in found),
                   number if any(not e[0].allow for e in own) else tuple(map(_behaviour, own)))
            groups.setdefault(key, []).append(number)
            found_for[key] = (found, own)

        for number in sorted(individual):
            group(number, specific.get(number, []))
        for number in sorted(n for n in named if accounts[n] != account):
            found = self._cross_matches(side, number)
            if reached_by_every(catalog.kind_of[number]) or any(
                    s.grants_identity for s, _ in found):
                group(number, found)
        for key, numbers in groups.items():
            builder.add(self._template(side, numbers[0], *found_for[key]), principal, numbers)

    def _cross_matches(self, side: _Side, number: int) -> list[tuple[_Statement, Truth]]:
        """The identity, boundary, SCP and RCP statements not on every resource that match a target of another
        account."""
        arn, account = self.catalog.targets.arns[number], self.catalog.targets.accounts[number]
        rcps, _ = self._rcps_of(account)
        lookup = None
        found: list[tuple[_Statement, Truth]] = []
        for statement in (*side.identity, *side.guards, *(s for level in rcps for s in level)):
            if statement.every or not _may_match(statement, arn):
                continue
            key_lookup = _missing
            if statement.variables:
                if lookup is None:
                    lookup = self.index.assemble(side.principal.arn, "sts:GetCallerIdentity", arn).request.lookup
                key_lookup = lookup
            truth = statement_resource_truth(statement.statement, arn, key_lookup)
            if truth is not False:
                found.append((statement, truth))
        return found

    def _peculiarity(self, number: int) -> tuple[str | None, bool]:
        """What sets a target's decisions apart from others of its kind and account whatever the statements: a
        resource AWS owns that no one may change (its ARN: which actions are refused depends on it), an AWS managed
        KMS key (RCPs do not apply to it). Targets decided as one class must agree on it."""
        found = self._peculiarities.get(number)
        if found is None:
            arn = self.catalog.targets.arns[number]
            resource = self.index.resources.get(arn) if arn_service(arn) == "kms" else None
            found = self._peculiarities[number] = (arn if self.catalog.reserved(number) else None,
                                                   resource is not None and resource.aws_managed_key)
        return found

    def _template(self, side: _Side, number: int, specific: list[tuple[_Statement, Truth]],
                  resource_entries: list[_Entry]) -> tuple[Any, ...] | None:
        """The row of the principal on the target but its principal's and target's columns; None if it may do
        nothing there. Decided once per class of targets and principals whose requests read the same."""
        catalog = self.catalog
        kind, account, arn = catalog.kind_of[number], catalog.targets.accounts[number], catalog.targets.arns[number]
        rcps, resource_management = self._rcps_of(account)
        every = side.every.get((kind, account))
        if every is None:
            every = side.every[(kind, account)] = self._relevant(
                side, kind, [(s, True) for s in (*side.identity, *side.guards, *(s for level in rcps for s in level))
                             if s.every])
        keyed = sorted(((_behaviour(entry), entry) for entry in (
            *every, *self._relevant(side, kind, specific), *resource_entries)), key=_first)
        entries = [entry for _, entry in keyed]
        reads = 0
        for entry in entries:
            reads |= entry[0].reads
        organizations = self.index.organizations.organization_of
        reserved_arn, aws_managed_key = self._peculiarity(number)
        context = (
            side.principal.table, side.service_linked, side.management, resource_management,
            organizations.get(side.principal.account), organizations.get(account), side.principal.account != account,
            side.boundary is not None, len(side.scp_levels), aws_managed_key, kind, reserved_arn,
            side.principal.arn if reads & 1 else None, arn if reads & 2 else None,
            (side.principal.account, account) if reads & 4 else None,
        )
        class_key = (context, tuple(behaviour for behaviour, _ in keyed))
        decided = self._classes.get(class_key)
        if class_key not in self._classes:
            decided = self._classes[class_key] = self._decide(side, number, context, entries)
        if decided is None:
            return None
        return self._render(side, decided, entries, side.principal.account != account)

    def _relevant(self, side: _Side, kind: int, found: list[tuple[_Statement, Truth]]) -> list[_Entry]:
        """The statements whose actions act on the kind of target, as entries (an RCP's only if it names the
        caller)."""
        services = self.catalog.kind_services[kind]
        entries: list[_Entry] = []
        for statement, truth in found:
            if _ANY not in statement.services and not statement.services & services:
                continue
            grant = None
            if statement.layer is Layer.RCP:
                grant = statement_names(statement.statement, side.caller, side.boundary is not None)
                if grant is None:
                    continue
            entries.append((statement, truth, grant, False))
        return entries

    def _resource_entries(self, side: _Side, number: int) -> list[_Entry]:
        """The statements of the target's resource policy (and a role's trust policy) that name the caller and
        match the target. They name a caller whose name they do not hold by its account and kind alone."""
        catalog, principal = self.catalog, side.principal
        text = catalog.texts[number]
        personal = principal.arn.rsplit("/", 1)[-1] in text or "${" in text
        key = (number, principal.account, principal.table, side.boundary is not None,
               principal.arn if personal else None)
        found = self._resource_cache.get(key)
        if found is None:
            arn = catalog.targets.arns[number]
            found = []
            for policy, trust in zip(catalog.policies[number], (False, True)):
                for statement in self._statements(policy, Layer.RESOURCE) if policy is not None else ():
                    if not _may_match(statement, arn):
                        continue
                    grant = statement_names(statement.statement, side.caller, side.boundary is not None)
                    lookup = self._lookup(side, number, statement) if statement.variables else _missing
                    truth = statement_resource_truth(statement.statement, arn, lookup) if grant is not None else False
                    if truth is not False:
                        found.append((statement, truth, grant, trust))
            self._resource_cache[key] = found
        return found

    def _decide(self, side: _Side, number: int, context: tuple[Any, ...],
                entries: list[_Entry]) -> _Decided | None:
        """The decided columns of a class, the statements that decided named by their place in `entries`; each
        action evaluated once per set of statements matching it."""
        catalog = self.catalog
        kind, arn = catalog.kind_of[number], catalog.targets.arns[number]
        actions = catalog.kind_actions[kind]
        is_role = catalog.kind_type[kind] == ROLES
        kms_key = arn_service(arn) == "kms" and ":key/" in arn
        reserved = catalog.reserved(number)
        per_action: dict[str, list[int]] = {}
        covered: set[str] = set()
        for place, (statement, _, _, for_trust) in enumerate(entries):
            its_actions = self._actions_of(statement.statement, kind)
            resource = statement.layer is Layer.RESOURCE
            for action in its_actions:
                if resource and is_role and (action.lower() in TRUST_ACTIONS) != for_trust:
                    continue
                per_action.setdefault(action, []).append(place)
                if statement.allow and statement.layer in (Layer.IDENTITY, Layer.RESOURCE):
                    covered.add(action)
        decided = _Decided()
        by_places: dict[tuple[Any, ...], tuple[Decision, list[int]]] = {}
        for action in actions:
            if action not in covered:
                continue
            lower = action.lower()
            places = per_action.get(action, [])
            flags = (lower.split(":", 1)[0], is_role and lower in TRUST_ACTIONS,
                     reserved and reserved_change(action, arn), kms_key)
            local = (flags, *places)
            found = by_places.get(local)
            if found is None:
                found = by_places[local] = self._decision(side, action, arn, context, flags, entries, places)
            decision, deciding = found
            if decision.allowed:
                decided.allowed.append(action)
                for place in deciding:
                    statement = entries[place][0]
                    if statement.allow and statement.layer is Layer.IDENTITY:
                        decided.granted.add("identity")
                        decided.allowing.add(place)
                    elif statement.allow and statement.layer is Layer.RESOURCE:
                        decided.granted.add("resource")
            elif decision.conditional is not None and decision.conditional.best_case is Result.ALLOWED:
                decided.conditional.append(action)
                decided.keys.update(decision.conditional.missing_keys)
                decided.allowing.update(place for place in places
                                        if entries[place][0].allow and entries[place][0].layer is Layer.IDENTITY)
            elif decision.result is Result.EXPLICITLY_DENIED:
                decided.denied.append(action)
                decided.denying.update(deciding)
            elif decision.lacking is Layer.BOUNDARY and side.boundary_name:
                decided.lacking_boundary = True
            elif decision.lacking is Layer.SCP:
                decided.lacking_scp.update(_lacking_scp_level(side, [entries[place] for place in places]))
        if not (decided.allowed or decided.conditional or decided.denied):
            return None
        decided.admin = len(decided.allowed) == len(actions)
        return decided

    def _decision(self, side: _Side, action: str, arn: str, context: tuple[Any, ...], flags: tuple[Any, ...],
                  entries: list[_Entry], places: list[int]) -> tuple[Decision, list[int]]:
        """The evaluator's decision of the request whose matching statements are `entries` at `places`, and the
        places of the statements that decided. Shared by every request whose matching statements read the same:
        they are sorted by how they read, so the statements that decided are named by their rank."""
        matching = [entries[place] for place in places]
        key = (context, flags, tuple(map(_behaviour, matching)))
        found = self._decisions.get(key)
        if found is None:
            assembled = self.index.assemble(side.principal.arn, action, arn)
            decision = evaluate(assembled.request, assembled.policies)
            self.evaluations += 1
            rank = {(s.layer, s.statement.policy, s.statement.label): position
                    for position, (s, _, _, _) in enumerate(matching)}
            found = self._decisions[key] = (decision, sorted(
                {rank[(ref.layer, ref.policy, ref.statement)] for ref in decision.statements
                 if (ref.layer, ref.policy, ref.statement) in rank}))
        decision, ranks = found
        return decision, [places[position] for position in ranks]

    def _render(self, side: _Side, decided: _Decided, entries: list[_Entry], cross: bool) -> tuple[Any, ...]:
        """A class's decided columns with the names of this principal's and target's statements."""
        denied_by, limited_by = set(), set()
        for place in decided.denying:
            statement = entries[place][0]
            raw = statement.statement
            denied_by.add(f"{raw.layer.value}:{raw.policy}#{raw.label}")
            if raw.layer in (Layer.BOUNDARY, Layer.SCP, Layer.RCP):
                limited_by.add(f"{raw.layer.value}:{raw.policy}")
        if decided.lacking_boundary:
            limited_by.add(f"boundary:{side.boundary_name}")
        for depth in decided.lacking_scp:
            limited_by.update(f"scp:{name}" for name in side.scp_levels[depth])
        via = {via for place in decided.allowing for via in side.vias.get(entries[place][0].statement.policy, ())}
        granted_by = "both" if len(decided.granted) == 2 else next(iter(decided.granted), None)
        return (decided.allowed, decided.conditional, sorted(decided.keys), granted_by, decided.denied,
                sorted(denied_by), sorted(limited_by), sorted(via), cross, decided.admin)


_Entry = tuple[_Statement, Truth, GrantKind | None, bool]  # statement, resource truth, how it names the caller,
# and for a role's trust policy whether it is that (it governs the trust actions only)


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _behaviour(entry: _Entry) -> tuple[str, str, str, bool]:
    """How an entry reads, in values that sort (entries are sorted by it)."""
    statement, truth, grant, trust = entry
    return (statement.behaviour, "" if truth is True else ",".join(sorted(truth)) if isinstance(truth, frozenset)
            else "false", grant.value if grant is not None else "", trust)


@dataclass
class _Decided:
    """A class's decisions, its statements named by their place among the entries."""

    allowed: list[str] = field(default_factory=list)
    conditional: list[str] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    granted: set[str] = field(default_factory=set)
    allowing: set[int] = field(default_factory=set)
    denying: set[int] = field(default_factory=set)
    lacking_boundary: bool = False
    lacking_scp: set[int] = field(default_factory=set)
    admin: bool = False


def _lacking_scp_level(side: _Side, entries: list[_Entry]) -> list[int]:
    """The first SCP level none of whose Allows applies to the request."""
    for depth in range(len(side.scp_levels)):
        if not any(s.allow and s.layer is Layer.SCP and s.id[3] == depth + 1 and t is True for s, t, _, _ in entries):
            return [depth]
    return []


def _policy(document: Any) -> Policy:
    """The policy index gives every document as a named `Policy`."""
    assert isinstance(document, Policy), document
    return document


def _truth_key(truth: Truth) -> Any:
    return truth if isinstance(truth, frozenset) else bool(truth)


# ---- rows -------------------------------------------------------------------------------------------------------


@dataclass
class _Share:
    """The rows a forked worker computed for a share of the principals: its templates, and for each row its
    template, principal (its place among this share's principals, each given by its place in the sorted list) and
    target."""

    templates: list[tuple[Any, ...]]
    principals: list[int]
    picks: array[int]
    owners: array[int]
    numbers: array[int]
    evaluations: int


def principal_shares(principals: Sequence[Principal], workers: int) -> list[range]:
    """The principals (sorted by ARN, so by account) in a few shares per worker, an account never split: a
    worker reads each of its accounts' policies once."""
    if workers <= 1:
        return [range(len(principals))]
    size = share_size(len(principals), workers)
    shares, start = [], 0
    for position in range(1, len(principals) + 1):
        if position == len(principals) or (
                position - start >= size and principals[position].account != principals[position - 1].account):
            shares.append(range(start, position))
            start = position
    return shares


class _Builder:
    """The rows: templates (all columns but the principal's and the target's), each stored once, and for each row
    its template, principal and target, converted to Arrow a batch at a time."""

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        self.templates: list[tuple[Any, ...]] = []
        self._template_index: dict[Any, int] = {}
        self.principals: list[Principal] = []
        self.picks: list[int] = []
        self.owners: list[int] = []
        self.numbers: list[int] = []

    def add(self, decided: tuple[Any, ...] | None, principal: Principal, numbers: list[int]) -> None:
        if decided is None:
            return
        template = self._intern(decided)
        if not self.principals or self.principals[-1] is not principal:
            self.principals.append(principal)
        owner = len(self.principals) - 1
        self.picks += [template] * len(numbers)
        self.owners += [owner] * len(numbers)
        self.numbers += numbers

    def _intern(self, decided: tuple[Any, ...]) -> int:
        key = tuple(tuple(value) if isinstance(value, list) else value for value in decided)
        template = self._template_index.get(key)
        if template is None:
            template = self._template_index[key] = len(self.templates)
            self.templates.append(decided)
        return template

    def share(self, principals: Sequence[Principal], positions: range, evaluations: int) -> _Share:
        """The rows of a share of the principals (`positions` in `principals`), to extend another builder with."""
        position_of = {id(principals[position]): position for position in positions}
        return _Share(self.templates, [position_of[id(principal)] for principal in self.principals],
                      array("i", self.picks), array("i", self.owners), array("i", self.numbers), evaluations)

    def extend(self, share: _Share, principals: Sequence[Principal]) -> None:
        """Appends a share's rows, as if they had been added here one by one."""
        remap = [self._intern(template) for template in share.templates]
        offset = len(self.principals)
        self.principals += [principals[position] for position in share.principals]
        self.picks += [remap[pick] for pick in share.picks]
        self.owners += [offset + owner for owner in share.owners]
        self.numbers += share.numbers

    def table(self) -> pa.Table:
        templates = {name: _encoded([t[i] for t in self.templates], ACCESS_SCHEMA.field(name).type)
                     for i, name in enumerate(_TEMPLATE_COLUMNS)}
        principals = {
            "principalKey": [p.arn for p in self.principals], "principalType": [p.table for p in self.principals],
            "principalArn": [p.arn for p in self.principals], "accountId": [p.account for p in self.principals],
        }
        targets = {
            "targetKey": self.targets.keys, "targetType": self.targets.types, "targetArn": self.targets.arns,
            "targetAccountId": self.targets.accounts,
        }
        distinct = {name: pa.array(values, pa.string()) for name, values in (*principals.items(), *targets.items())}
        batches = []
        for start in range(0, max(len(self.picks), 1), _BATCH_ROWS):
            picks = pa.array(self.picks[start:start + _BATCH_ROWS], pa.int32())
            owners = pa.array(self.owners[start:start + _BATCH_ROWS], pa.int32())
            numbers = pa.array(self.numbers[start:start + _BATCH_ROWS], pa.int32())
            columns = {
                **{name: array.take(picks) for name, array in templates.items()},
                **{name: pa.DictionaryArray.from_arrays(owners, distinct[name]) for name in principals},
                **{name: pa.DictionaryArray.from_arrays(numbers, distinct[name]) for name in targets},
            }
            batches.append(pa.Table.from_arrays([columns[n] for n in ACCESS_SCHEMA.names], schema=ACCESS_SCHEMA))
        return pa.concat_tables(batches)


def _encoded(values: list[Any], type_: pa.DataType) -> pa.Array:
    """Template values as an array of the schema's type, strings dictionary-encoded."""
    if type_ == LABEL:
        return pa.array(values, pa.string()).dictionary_encode()
    if type_ == pa.list_(LABEL):
        lists = pa.array(values, pa.list_(pa.string()))
        return pa.ListArray.from_arrays(lists.offsets, lists.values.dictionary_encode())
    return pa.array(values, type_)


