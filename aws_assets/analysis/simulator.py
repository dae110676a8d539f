"""The offline policy simulator: one request decided on the lake (`can`), and every principal that may make one
(`who_can`), each answer from the evaluator (`aws_assets.analysis.evaluation.evaluate`) on the policies
`aws_assets.analysis.policy_sets.PolicyIndex` assembles.

`who_can` evaluates every user and role the lake holds (any account), then the principals outside the lake that
the resource policy names (another account's root or users, a service, everyone), taken to be allowed by their own
account's policies: the resource's side is what the lake can answer for them. Then the paths through role
chaining: a principal that may `sts:AssumeRole` a role (its identity policy allows and the role's trust policy
allows, both decided by the evaluator) that may make the request, up to `max_hops` assumptions, never through a
role twice. A request is listed when it is allowed, or conditionally allowed (the evaluator's best case allows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_assets.analysis.documents import listify
from aws_assets.analysis.evaluation import Decision, Result, evaluate
from aws_assets.analysis.matching import statement_action_matches
from aws_assets.analysis.policy_sets import ROLES, Assembled, PolicyIndex, Principal
from aws_assets.analysis.request import ContextValue, arn_account
from aws_assets.analysis.statements import Layer, Policy, read_statements

ASSUME_ROLE = "sts:AssumeRole"
EVERYONE = "*"
MAX_HOPS = 3


def can(index: PolicyIndex, principal_arn: str, action: str, resource_arn: str,
        context: Mapping[str, ContextValue] | None = None, context_complete: bool = False,
        ) -> tuple[Assembled, Decision]:
    assembled = index.assemble(principal_arn, action, resource_arn, context, context_complete=context_complete)
    return assembled, evaluate(assembled.request, assembled.policies)


def may(decision: Decision) -> bool:
    """Allowed, or allowed for some values of the context keys the request lacks."""
    return decision.allowed or (decision.conditional is not None and decision.conditional.best_case is Result.ALLOWED)


@dataclass(frozen=True)
class Access:
    """A principal that may make the request: directly (`path` names it alone), through roles it assumes in turn
    (`path`: the ARNs from it to the role that makes the request; `decisions`: one per assumption, the request
    last), or from outside the lake (`path` names it as the resource policy does)."""

    principal: str
    path: tuple[str, ...]
    decisions: tuple[Decision, ...]
    outside: bool = False

    @property
    def allowed(self) -> bool:
        return all(decision.allowed for decision in self.decisions)

    @property
    def path_names(self) -> str:
        """`user/alice -> role/deploy`; each hop names its account when the path crosses accounts. A principal
        outside the lake is named as the resource policy names it."""
        lake_path = self.path[1:] if self.outside else self.path
        accounts = {arn_account(arn) for arn in lake_path}

        def name(arn: str) -> str:
            kind, _, rest = arn.split(":", 5)[5].partition("/")
            short = f"{kind}/{rest.rsplit('/', 1)[-1]}"
            return short if len(accounts) == 1 else f"{arn_account(arn)}:{short}"

        return " -> ".join([*self.path[:1 if self.outside else 0], *map(name, lake_path)])

    @property
    def missing_keys(self) -> tuple[str, ...]:
        keys = (key for decision in self.decisions if decision.conditional
                for key in decision.conditional.missing_keys)
        return tuple(dict.fromkeys(keys))


def named_principals(policy: Policy | None) -> list[str]:
    """The principals the Allow statements of a resource policy name (`*` for everyone), as written."""
    if policy is None:
        return []
    named: list[str] = []
    for statement in read_statements(policy, Layer.RESOURCE, policy.name):
        if not statement.allow:
            continue
        if statement.not_principal or statement.principal == EVERYONE:
            named.append(EVERYONE)
            continue
        element = statement.principal
        if isinstance(element, str):
            named.append(element)
        elif isinstance(element, Mapping):
            for key, values in element.items():
                if str(key).lower() in ("aws", "service", "federated"):
                    named += [value for value in listify(values) or [] if isinstance(value, str)]
    return list(dict.fromkeys(named))


class WhoCan:
    """Who may make one request on the lake."""

    def __init__(self, index: PolicyIndex, action: str, resource_arn: str, max_hops: int = MAX_HOPS) -> None:
        self.index, self.action, self.resource_arn, self.max_hops = index, action, resource_arn, max_hops
        self.notes: tuple[str, ...] = ()
        self._assumers: dict[str, bool] = {}

    def decide(self, principal_arn: str, action: str, resource_arn: str, outside: bool = False) -> Decision:
        assembled = self.index.assemble(principal_arn, action, resource_arn, outside=outside)
        return evaluate(assembled.request, assembled.policies)

    def run(self) -> list[Access]:
        index = self.index
        rows: dict[str, list[Access]] = {}
        acting: list[tuple[Principal, Access]] = []
        for principal in index.principals():
            decision = self.decide(principal.arn, self.action, self.resource_arn)
            if may(decision):
                access = Access(principal.arn, (principal.arn,), (decision,))
                rows[principal.arn] = [access]
                if principal.table == ROLES:
                    acting.append((principal, access))
        self.notes = tuple(index.resource_notes(self.resource_arn))
        outside = [access for access in self._outside(self.action, self.resource_arn) if access.principal not in rows]
        return sorted([*(access for found in rows.values() for access in found), *self._chains(acting, rows),
                       *outside], key=lambda a: (not a.allowed, a.outside, len(a.path), a.path))

    def _outside(self, action: str, resource_arn: str, through: Access | None = None) -> list[Access]:
        """The principals outside the lake that the resource's policy names and that may make the request (on
        their own, or to go on `through` the role they would assume)."""
        found = []
        for named in named_principals(self.index.resource_policy(action, resource_arn)):
            caller = "anonymous" if named == EVERYONE else named
            if caller.isdigit() and len(caller) == 12:
                caller = f"arn:aws:iam::{caller}:root"
            try:
                in_lake = self.index.principal(caller) is not None or (
                    caller.endswith(":root") and arn_account(caller) in self.index.accounts)
                if in_lake:
                    continue  # its principals are the lake's, evaluated with their own policies
                decision = self.decide(caller, action, resource_arn, outside=True)
            except ValueError:
                continue  # not a principal AWS can authenticate: it names no one
            if may(decision):
                path, decisions = (through.path, through.decisions) if through else ((), ())
                found.append(Access(named, (named, *path), (decision, *decisions), outside=True))
        return found

    def _trust_candidates(self, role: Principal) -> list[Principal]:
        """The principals the evaluator could let assume the role, which it then decides one by one: all when the
        trust policy names everyone; else those of the accounts it names that it names themselves or whose
        identity policies could allow sts:AssumeRole (a grant to an account delegates to them, and across accounts
        they must allow)."""
        named = named_principals(self.index.resource_policy(ASSUME_ROLE, role.arn))
        if EVERYONE in named:
            return self.index.principals()
        accounts = {arn_account(value) or value for value in named}
        lowered = {value.lower() for value in named}
        return [principal for principal in self.index.principals() if principal.account in accounts
                and (principal.arn.lower() in lowered or self._may_assume_roles(principal))]

    def _may_assume_roles(self, principal: Principal) -> bool:
        """Whether an Allow of the principal's identity policies names an action sts:AssumeRole matches."""
        if principal.arn not in self._assumers:
            statements = (statement for policy in self.index.identity_policies(principal, [])
                          for statement in read_statements(policy, Layer.IDENTITY, policy.name))
            self._assumers[principal.arn] = any(
                statement.allow and statement_action_matches(statement, ASSUME_ROLE)
                for statement in statements)
        return self._assumers[principal.arn]

    def _chains(self, acting: list[tuple[Principal, Access]], rows: dict[str, list[Access]]) -> list[Access]:
        chains: list[Access] = []
        expanded: set[str] = set()
        chained: set[str] = set()
        frontier = acting
        for _ in range(self.max_hops):
            following: list[tuple[Principal, Access]] = []
            for role, through in frontier:
                if role.arn in expanded:
                    continue
                expanded.add(role.arn)
                for candidate in self._trust_candidates(role):
                    if candidate.arn in through.path:
                        continue
                    decision = self.decide(candidate.arn, ASSUME_ROLE, role.arn)
                    if not may(decision):
                        continue
                    access = Access(candidate.arn, (candidate.arn, *through.path),
                                    (decision, *through.decisions))
                    listed_allowed = any(row.allowed for row in rows.get(candidate.arn, ()))
                    if candidate.arn not in chained and not listed_allowed:
                        chained.add(candidate.arn)
                        chains.append(access)
                    if candidate.table == ROLES:
                        following.append((candidate, access))
                for access in self._outside(ASSUME_ROLE, role.arn, through):
                    if access.principal not in chained:
                        chained.add(access.principal)
                        chains.append(access)
            frontier = following
        return chains


def who_can(index: PolicyIndex, action: str, resource_arn: str, max_hops: int = MAX_HOPS) -> list[Access]:
    return WhoCan(index, action, resource_arn, max_hops).run()
