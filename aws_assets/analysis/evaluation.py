"""One AWS request decided as AWS's documented policy evaluation logic decides it ("Policy evaluation logic",
"Determining whether a request is allowed or denied within an account", "Cross-account policy evaluation logic").

`evaluate(request, policies) -> Decision`, pure (no I/O). In order:

1. `sts:GetCallerIdentity` is always allowed: no policy, not even an explicit Deny, can refuse it.
2. An explicit Deny in any policy that applies wins: identity policies, the permissions boundary, the session
   policy, the SCPs and RCPs when they apply, the resource-based policy. A resource policy's
   `Deny` with `NotPrincipal` always applies to a principal that has a permissions boundary (the boundary page says
   so, whatever NotPrincipal lists). Then a change to a resource AWS owns (an AWS managed policy, an IAM Identity
   Center role, an AWS managed key's alias: `aws_assets.analysis.reserved`) is implicitly denied, whatever allows it.
3. Guardrails: SCPs must allow at every level, root first down to the principal's account; they apply to IAM
   principals of member accounts only (never the management account) and never to service-linked roles. RCPs apply
   to the actions of the services that support them (`RCP_SERVICES`) on resources of member accounts, not to
   service-linked roles nor AWS managed keys; every level holds RCPFullAWSAccess, which cannot be detached, so an
   RCP limits only by its Denies (step 2). Neither ever grants.
4. Grants. The identity path: an identity policy allows (an account's root user needs none), and the boundary and
   the session policy, when given, allow too. The resource path: the resource-based policy allows the caller.
   - Within one account either path suffices, except that a KMS key policy and a role's trust policy must allow
     (a grant to the account there delegates to the identity path). A resource-policy grant naming the caller's
     own ARN (an IAM user, or a role session's session ARN), or everyone, is not limited by the boundary or the
     session policy ("the resource-based policy permissions are not limited by the session policies" when it
     names the session); one to the session's issuer (the role ARN, or a federated user's IAM user) is. A grant
     to the account delegates to IAM: the identity path decides.
   - Across accounts both must allow: the identity path and a resource-policy grant (to the caller, its role, its
     account or everyone). With no resource-based policy the request is implicitly denied.
   - A service, an identity provider or an unsigned (anonymous) caller has no identity policies: only a
     resource-policy grant naming it (or everyone) allows it.

Conditions that read context keys the request does not hold (`request.MISSING`) are unknown, and so is each
statement whose match depends on one. The request is then decided in four ways (`Assumption`): with every unknown
statement applying, with none applying, and at the two bounds: the best case (unknown Allows apply, unknown Denies do
not) and the worst case (the reverse). Evaluation only grows more permissive with more Allows and fewer Denies, so
whatever values the keys take the result lies between the two bounds. When they differ, `Decision.conditional`
names the keys and the four results, and `Decision.result` is the worst case: a grant that needs an unknown key is
never reported as allowed, and `conditional.best_case` says whether the request could be allowed at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, NamedTuple

from aws_assets.analysis.conditions import condition_holds
from aws_assets.analysis.matching import (
    GrantKind,
    statement_action_matches,
    statement_names,
    statement_resource_truth,
)
from aws_assets.analysis.request import CallerKind, Request, arn_service
from aws_assets.analysis.reserved import reserved_change
from aws_assets.analysis.statements import (
    PRINCIPAL_LAYERS,
    Layer,
    Policy,
    Statement,
    read_statements,
)
from aws_assets.analysis.truth import Truth, all_of

__all__ = [
    "Assumption", "Conditional", "Decision", "Layer", "Policy", "PolicySet", "Request", "Result", "StatementRef",
    "evaluate",
]

Document = Policy | Mapping[str, Any] | str

# The services whose actions RCPs govern (AWS Organizations, "Resource control policies"), by action prefix: the
# resource may be `*` (s3:ListAllMyBuckets) or name another service (sts:AssumeRole on an IAM role).
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager"})
# The STS actions a role's trust policy governs.
TRUST_ACTIONS = frozenset(action.lower() for action in (
    "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:TagSession",
    "sts:SetSourceIdentity", "sts:SetContext",
))
GET_CALLER_IDENTITY = "sts:getcalleridentity"


class Result(Enum):
    ALLOWED = "Allowed"
    IMPLICITLY_DENIED = "ImplicitlyDenied"
    EXPLICITLY_DENIED = "ExplicitlyDenied"


@dataclass(frozen=True)
class PolicySet:
    """Every policy that bears on one request. `scps` holds one list of documents per level, from the root down to
    the principal's account; `rcps` likewise for the resource's account; an empty list means the organisation does
    not use that policy type. A level of SCPs that allows nothing denies; a level of RCPs always holds
    RCPFullAWSAccess (AWS attaches it and it cannot be detached), given or not."""

    identity: Sequence[Document] = ()
    boundary: Document | None = None
    session: Document | None = None
    scps: Sequence[Sequence[Document]] = ()
    rcps: Sequence[Sequence[Document]] = ()
    resource: Document | None = None
    principal_is_management_account: bool = False
    resource_is_management_account: bool = False
    principal_is_service_linked_role: bool = False  # also derived from a role path `aws-service-role/`
    resource_is_aws_managed_key: bool = False  # an AWS managed KMS key, which RCPs do not govern


@dataclass(frozen=True)
class StatementRef:
    """A statement that decided: its layer, its policy (a `Policy` name, else the layer and index, such as
    `identity[0]` or `scp[1][0]` for the first SCP of the second level) and its Sid, or its index when it has none."""

    layer: Layer
    policy: str
    statement: str
    allow: bool


@dataclass(frozen=True)
class Conditional:
    """The decision depends on context keys the request does not hold: what it is if every statement reading them
    applies (`if_conditions_hold`), if none does (`if_conditions_fail`), and the most permissive and most
    restrictive results any values of the keys can give."""

    missing_keys: tuple[str, ...]
    if_conditions_hold: Result
    if_conditions_fail: Result
    best_case: Result
    worst_case: Result


class Assumption(Enum):
    """How a world decides a statement whose match is unknown."""

    HOLD = "hold"  # it applies
    FAIL = "fail"  # it does not
    BEST = "best"  # an Allow applies, a Deny does not
    WORST = "worst"  # a Deny applies, an Allow does not

    def applies(self, statement: Statement) -> bool:
        if self is Assumption.BEST:
            return statement.allow
        if self is Assumption.WORST:
            return not statement.allow
        return self is Assumption.HOLD


@dataclass(frozen=True)
class Decision:
    result: Result
    statements: tuple[StatementRef, ...] = ()
    reason: str = ""
    lacking: Layer | None = None  # for an implicit deny: the layer that gave no Allow
    conditional: Conditional | None = None

    @property
    def allowed(self) -> bool:
        return self.result is Result.ALLOWED


@dataclass
class _Policies:
    """The PolicySet read into statements."""

    identity: list[Statement]
    boundary: list[Statement] | None
    session: list[Statement] | None
    scps: list[list[Statement]]
    rcps: list[list[Statement]]
    resource: list[Statement] | None

    @classmethod
    def read(cls, policies: PolicySet) -> _Policies:
        def many(documents: Iterable[Document], layer: Layer, name: str) -> list[Statement]:
            return [statement for index, document in enumerate(documents)
                    for statement in read_statements(document, layer, f"{name}[{index}]")]

        def one(document: Document | None, layer: Layer) -> list[Statement] | None:
            return None if document is None else read_statements(document, layer, layer.value)

        return cls(
            identity=many(policies.identity, Layer.IDENTITY, "identity"),
            boundary=one(policies.boundary, Layer.BOUNDARY),
            session=one(policies.session, Layer.SESSION),
            scps=[many(level, Layer.SCP, f"scp[{depth}]") for depth, level in enumerate(policies.scps)],
            rcps=[many(level, Layer.RCP, f"rcp[{depth}]") for depth, level in enumerate(policies.rcps)],
            resource=one(policies.resource, Layer.RESOURCE),
        )


def statement_ref(statement: Statement) -> StatementRef:
    return StatementRef(statement.layer, statement.policy, statement.label, statement.allow)


@dataclass
class _World:
    """One evaluation, deciding each statement whose match is unknown by `assumption`; it records the keys that
    were unknown."""

    request: Request
    policies: PolicySet
    read: _Policies
    assumption: Assumption
    missing: set[str] = field(default_factory=set)

    def _decide(self, truth: Truth, statement: Statement) -> bool:
        if isinstance(truth, frozenset):
            self.missing |= truth
            return self.assumption.applies(statement)
        return truth

    def matches(self, statement: Statement) -> bool:
        """Whether the statement's action, resource and condition match the request (its principal aside)."""
        request = self.request
        if not statement_action_matches(statement, request.action):
            return False
        truth = statement_resource_truth(statement, request.resource_arn, request.lookup)
        if truth is False:
            return False
        return self._decide(all_of([truth, condition_holds(statement.condition, request.lookup)]), statement)

    def grant(self, statement: Statement) -> GrantKind | None:
        """How a statement naming principals names the caller, when it applies to the request; None if not."""
        kind = statement_names(statement, self.request.caller, self.policies.boundary is not None)
        return kind if kind is not None and self.matches(statement) else None

    def applies(self, statement: Statement) -> bool:
        if statement.layer in PRINCIPAL_LAYERS:
            return self.grant(statement) is not None
        return self.matches(statement)

    def allows(self, statements: Iterable[Statement]) -> list[Statement]:
        return [statement for statement in statements if statement.allow and self.applies(statement)]

    def run(self) -> Decision:
        request, policies, read = self.request, self.policies, self.read
        caller = request.caller
        action = request.action.lower()
        if action == GET_CALLER_IDENTITY:
            return Decision(Result.ALLOWED, (StatementRef(Layer.AWS_RULE, "AWS", "GetCallerIdentity", True),),
                            "sts:GetCallerIdentity is allowed whatever the policies")
        slr = policies.principal_is_service_linked_role or ":role/aws-service-role/" in (
            request.role_arn or request.principal_arn)
        scps_apply = bool(read.scps) and caller.is_iam and not policies.principal_is_management_account and not slr
        rcps_apply = (bool(read.rcps) and not policies.resource_is_management_account and not slr
                      and not policies.resource_is_aws_managed_key
                      and request.service in RCP_SERVICES)
        applicable: list[Statement] = list(read.resource or [])
        if caller.is_iam:
            applicable += read.identity + (read.boundary or []) + (read.session or [])
        if scps_apply:
            applicable += [statement for level in read.scps for statement in level]
        if rcps_apply:
            applicable += [statement for level in read.rcps for statement in level]
        denies = [statement for statement in applicable if not statement.allow and self.applies(statement)]
        if denies:
            return Decision(Result.EXPLICITLY_DENIED, tuple(map(statement_ref, denies)), "an explicit Deny applies")
        reserved = reserved_change(request.action, request.resource_arn)
        if reserved:  # no policy can allow it; an explicit Deny, above, is still reported as one
            return Decision(Result.IMPLICITLY_DENIED, (StatementRef(Layer.AWS_RULE, "AWS", reserved, False),),
                            reserved, lacking=Layer.AWS_RULE)
        # Every level must allow. RCPs always do: RCPFullAWSAccess is attached to every level and cannot be
        # detached (it is the only RCP that may Allow), so only their Denies count.
        for depth, level in enumerate(read.scps if scps_apply else []):
            if not self.allows(level):
                return Decision(Result.IMPLICITLY_DENIED, reason=f"no SCP of level {depth} allows the request",
                                lacking=Layer.SCP)
        return self._grants()

    def _grants(self) -> Decision:
        caller = self.request.caller
        grants = [(statement, self.grant(statement)) for statement in self.read.resource or [] if statement.allow]
        granted = [(statement, kind) for statement, kind in grants if kind is not None]
        if not caller.is_iam:
            return self._for_service_or_provider(granted)
        side = self._identity_side(granted)
        if self.request.principal_account != self.request.resource_account:
            return self._across_accounts(side, granted)
        return self._within_account(side, granted)

    def _identity_side(self, granted: list[tuple[Statement, GrantKind]]) -> _IdentitySide:
        read, caller = self.read, self.request.caller
        identity = self.allows(read.identity)
        boundary = None if read.boundary is None else self.allows(read.boundary)
        session = None if read.session is None else self.allows(read.session)
        guards_pass = boundary != [] and session != []
        allows = (bool(identity) or caller.kind is CallerKind.ROOT) and guards_pass
        refs = tuple(map(statement_ref, identity + (boundary or []) + (session or [])))
        # What an implicit deny on this side lacks: the identity policy, unless a grant the guards limit was there.
        limited = any(kind is GrantKind.SESSION_ISSUER for _, kind in granted)
        if not identity and caller.kind is not CallerKind.ROOT and not limited:
            lacking = Layer.IDENTITY
        else:
            lacking = Layer.BOUNDARY if boundary == [] else Layer.SESSION
        return _IdentitySide(allows, guards_pass, refs, lacking)

    @staticmethod
    def _for_service_or_provider(granted: list[tuple[Statement, GrantKind]]) -> Decision:
        """A service or identity provider has no IAM policies: only a resource-policy grant naming it allows."""
        direct = [statement for statement, kind in granted if kind is not GrantKind.ACCOUNT]
        if direct:
            return Decision(Result.ALLOWED, tuple(map(statement_ref, direct)), "the resource-based policy allows")
        return Decision(Result.IMPLICITLY_DENIED, reason="no resource-based policy allows this principal",
                        lacking=Layer.RESOURCE)

    @staticmethod
    def _across_accounts(side: _IdentitySide, granted: list[tuple[Statement, GrantKind]]) -> Decision:
        if not side.allows:
            return Decision(Result.IMPLICITLY_DENIED, reason="across accounts the identity side must allow",
                            lacking=side.lacking)
        if not granted:
            return Decision(Result.IMPLICITLY_DENIED, reason="across accounts the resource-based policy must allow",
                            lacking=Layer.RESOURCE)
        return Decision(Result.ALLOWED, side.refs + tuple(statement_ref(statement) for statement, _ in granted),
                        "both the identity side and the resource side allow")

    def _within_account(self, side: _IdentitySide, granted: list[tuple[Statement, GrantKind]]) -> Decision:
        request = self.request
        # A grant to the caller itself (or to everyone) stands on its own; one to the session's issuer is an
        # identity grant in all but name, so the boundary and the session policy limit it.
        direct = [statement for statement, kind in granted if kind in (GrantKind.SELF, GrantKind.EVERYONE)
                  or (kind is GrantKind.SESSION_ISSUER and side.guards_pass)]
        if direct:
            return Decision(Result.ALLOWED, tuple(map(statement_ref, direct)), "the resource-based policy allows")
        resource_must_allow = ((arn_service(request.resource_arn) == "kms" and ":key/" in request.resource_arn)
                               or (request.action.lower() in TRUST_ACTIONS and ":role/" in request.resource_arn))
        delegated = [statement for statement, kind in granted if kind is GrantKind.ACCOUNT]
        if resource_must_allow and not delegated:
            return Decision(Result.IMPLICITLY_DENIED, reason="the key policy or trust policy must allow (the "
                            "caller, or the account to delegate to IAM)", lacking=Layer.RESOURCE)
        if side.allows:
            return Decision(Result.ALLOWED, side.refs + tuple(map(statement_ref, delegated)),
                            "the identity-based policies allow")
        return Decision(Result.IMPLICITLY_DENIED, reason="no policy allows the request", lacking=side.lacking)


class _IdentitySide(NamedTuple):
    """The identity path of a request: whether it allows, whether the boundary and session policy let grants
    through, the statements that allowed, and the layer an implicit deny on this side lacks."""

    allows: bool
    guards_pass: bool
    refs: tuple[StatementRef, ...]
    lacking: Layer


def evaluate(request: Request, policies: PolicySet) -> Decision:
    read = _Policies.read(policies)
    worst = _World(request, policies, read, Assumption.WORST)
    decision = worst.run()
    if not worst.missing:
        return decision
    others = {assumption: _World(request, policies, read, assumption)
              for assumption in (Assumption.BEST, Assumption.HOLD, Assumption.FAIL)}
    results = {assumption: world.run().result for assumption, world in others.items()}
    if results[Assumption.BEST] is decision.result:
        return decision  # the bounds agree: the keys cannot change the answer
    missing = set(worst.missing).union(*(world.missing for world in others.values()))
    # A key is named once, however the policies spell it (condition keys are case-insensitive).
    spellings = {key.lower(): key for key in sorted(missing, reverse=True)}
    conditional = Conditional(tuple(spellings[key] for key in sorted(spellings)), results[Assumption.HOLD],
                              results[Assumption.FAIL], results[Assumption.BEST], decision.result)
    return replace(decision, conditional=conditional)
