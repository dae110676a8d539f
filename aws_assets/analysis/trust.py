"""Who can assume an IAM role: the trust policy read statement by statement, turned into TRUSTS edges.

Pure functions over the policy document (no AWS call, no Dagster, no DuckDB):

- `parse_trust_policy(document)` never raises. It returns one `TrustGrant` per (statement, principal), Allow and
  Deny alike, and the `problems` met on the way (unreadable JSON, a statement that is not an object, an unknown
  Effect, a missing Principal, an unsupported element, ...), which the caller turns into findings: a document the
  analysis cannot read is never a silent gap.
- `trust_edges(role_arn, role_account_id, analysis, ingested_accounts)` turns the grants that can open a role
  session into `aws_iam_role TRUSTS <target>` edges: the target entity type and `_key`, the trust zone, whether the
  edge crosses accounts, whether the target is a placeholder, the actions, the conditions and the derived flags.
- `reachable_principals(edges)` follows role -> role trusts transitively (role chaining): which principals can end
  up in a role, through how many hops, by which path.

How the policy is read (IAM's rules, and the choices where IAM leaves room):

- Effect: `Allow` or `Deny` (any case); anything else is a problem and the statement is skipped.
- Action / NotAction: matched case-insensitively, with IAM's `*` and `?` wildcards, against the STS actions a trust
  policy governs (`TRUST_ACTIONS`). A grant opens a session only through an assume action the principal can use:
  `sts:AssumeRole` for AWS principals and services, `sts:AssumeRoleWithSAML` for SAML providers,
  `sts:AssumeRoleWithWebIdentity` for OIDC and web identity providers, all three for `*`. `sts:TagSession`,
  `sts:SetSourceIdentity` and `sts:SetContext` alone open nothing: such grants are listed, without an edge, and
  their actions join the edge of a principal that can assume the role. `NotAction` in an Allow grants every trust
  action it does not exclude.
- Principal in every form IAM accepts: `*`, `{"AWS": "*"}`, a 12-digit account ID, `arn:<partition>:iam::<id>:root`,
  users and roles (with paths), `arn:<partition>:sts::<id>:assumed-role/<role>/<session>`, federated-user
  sessions, the unique IDs (`AIDA...`, `AROA...`) IAM leaves in place of deleted principals, `Service` and
  `Federated` principals; a string or a list. `CanonicalUser`, wildcards inside ARNs, groups and malformed values are
  problems (IAM itself refuses them in a trust policy).
- Element names (`Statement`, `Effect`, `Principal`, `AWS`, ...) are matched case-insensitively: the analysis would
  rather read a document IAM might refuse than miss a grant in one it accepts. Two spellings of one element in the
  same object is a problem.
- Conditions are kept as canonical JSON (sorted keys) and flags are derived from them. Condition keys are
  case-insensitive; operators may carry `ForAnyValue:`/`ForAllValues:` and `IfExists`. A condition *requires* its key
  only when a request without the key fails it: not under `...IfExists`, `Null`, a negated operator
  (`StringNotEquals`, `ArnNotLike`, ...) or `ForAllValues:` (all of those pass when the key is absent), and not a
  `...Like` whose only value is `*`. Flags: `externalIdRequired` (`sts:ExternalId`), `mfaRequired`
  (`aws:MultiFactorAuthPresent` true under `Bool`, or `aws:MultiFactorAuthAge` under a `Numeric` operator),
  `orgRestricted` (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`), `sourceRestricted` (`aws:SourceAccount`,
  `aws:SourceArn`, `aws:SourceOrgID`, `aws:SourceOrgPaths`), `principalRestricted` (`aws:PrincipalArn`,
  `aws:PrincipalAccount`, `aws:userid`, `aws:username`), `audienceRestricted` (web identity only: the token's
  `<provider>:aud`, `:oaud` or `:sub`; for GitHub Actions only `:sub`, since every GitHub token has the same `aud`).
- Deny: an unconditional Deny that covers a grant's principal removes the actions it covers; when it removes every
  assume action, the grant opens no session and has no edge. A conditional Deny removes nothing for certain (the
  request may not meet its condition): the grant keeps its edge and records the Deny in `deniedWhen`. This is a
  deliberate choice: flags come from the Allow only, so the common "Deny unless MFA" statement shows as `deniedWhen`,
  not as `mfaRequired`. A Deny naming a principal inside the grant's (an account's user, a role's session, one
  account out of `*`) is recorded in `exceptPrincipals`. `NotPrincipal` with Deny denies everyone except the
  listed principals: a grant contained in a listed principal is exempt; `Allow *` (or an account) beside an
  unconditional `Deny NotPrincipal [...]` becomes grants to the listed principals it contains. A Deny whose
  NotPrincipal or NotAction list could not be read whole is only recorded in `deniedWhen`: an exemption the analysis
  cannot read must not hide a trust. `NotPrincipal` with Allow grants everyone except the listed: a public edge with
  `notPrincipal` set and the listed in `exceptPrincipals`.

Targets and keys (as the project's entities are keyed): `aws_account` `arn:aws:iam::<id>:root` for an account ID or
root; users and roles by ARN; an assumed-role session targets its role `arn:aws:iam::<id>:role/<name>`, and since a
session ARN has no path, `targetName` carries the role name to join on; a service principal targets the service
entity `aws_<prefix>:<role account>` in the role's own account (`lambda.amazonaws.com` -> `aws_lambda`, a region
label or `.cn` suffix stripped, and JupiterOne's names where its graph differs: `SERVICE_TYPE_OVERRIDES`); SAML
and OIDC providers are `aws_iam_saml_provider` / `aws_iam_oidc_provider` (JupiterOne's types) keyed by ARN, the
global web identity providers `aws_iam_identity_provider` keyed `federated:<name>`; `*` is the global `everyone`
entity; deleted principals are `aws_iam_unknown_principal` `unique_id:<id>`. Trust zones: `same_account`,
`ingested_account`, `external_account`, `public` (`*`, NotPrincipal Allow, and a global web identity provider whose
audience is not pinned; pinned, it is `external_account`), and `unknown` for deleted principals, whose account
cannot be known.

Edges are merged per target: several statements (or principal spellings) granting the same target give one edge
whose `conditions` is the JSON list of the alternatives (any one suffices, `{}` being none) and whose flags hold only
when every alternative requires them.

Where this differs from the peers (Cartography links every Principal of every statement whatever its Effect, Action
and Condition, and flags nothing; PMapper simulates AssumeRole without ExternalId or MFA context and so drops those
trusts): counted case by case on the labelled corpus in `aws_assets_tests/data/trust_corpus/CORPUS.md`, recomputed by
`aws_assets_tests/unit/test_trust_analysis.py`.
"""

from __future__ import annotations

import copy
import json
import re
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from aws_assets.analysis.documents import DocumentProblem, DocumentReader, glob_match, listify, short
from aws_assets.services.catalog import SERVICE_ENTITY_TYPES

# ---- vocabulary --------------------------------------------------------------------------------------------------

ASSUME_ROLE = "sts:AssumeRole"
ASSUME_ROLE_WITH_SAML = "sts:AssumeRoleWithSAML"
ASSUME_ROLE_WITH_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
SET_CONTEXT = "sts:SetContext"
SET_SOURCE_IDENTITY = "sts:SetSourceIdentity"
TAG_SESSION = "sts:TagSession"
ASSUME_ACTIONS = (ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY)
SESSION_ACTIONS = (SET_CONTEXT, SET_SOURCE_IDENTITY, TAG_SESSION)
TRUST_ACTIONS = ASSUME_ACTIONS + SESSION_ACTIONS
_CANONICAL_ACTIONS = {action.lower(): action for action in TRUST_ACTIONS}

# Principal kinds.
ACCOUNT, ROOT, USER, ROLE, ASSUMED_ROLE = "account", "root", "user", "role", "assumed_role"
FEDERATED_USER, SERVICE, FEDERATED = "federated_user", "service", "federated"
EVERYONE, UNIQUE_ID = "everyone", "unique_id"
PRINCIPAL_KINDS = (ACCOUNT, ROOT, USER, ROLE, ASSUMED_ROLE, FEDERATED_USER, SERVICE, FEDERATED, EVERYONE, UNIQUE_ID)
_AWS_KINDS = frozenset({ACCOUNT, ROOT, USER, ROLE, ASSUMED_ROLE, FEDERATED_USER, UNIQUE_ID})
_ACCOUNT_KINDS = frozenset({ACCOUNT, ROOT})

# Trust zones.
SAME_ACCOUNT, INGESTED_ACCOUNT, EXTERNAL_ACCOUNT, PUBLIC, UNKNOWN = (
    "same_account", "ingested_account", "external_account", "public", "unknown",
)
TRUST_ZONES = (SAME_ACCOUNT, INGESTED_ACCOUNT, EXTERNAL_ACCOUNT, PUBLIC, UNKNOWN)

# Target entity types that are not service entities.
ACCOUNT_TYPE, USER_TYPE, ROLE_TYPE = "aws_account", "aws_iam_user", "aws_iam_role"
SAML_PROVIDER_TYPE, OIDC_PROVIDER_TYPE = "aws_iam_saml_provider", "aws_iam_oidc_provider"
IDENTITY_PROVIDER_TYPE = "aws_iam_identity_provider"  # the global web identity providers (Cognito, Google, ...)
EVERYONE_TYPE, EVERYONE_KEY = "everyone", "everyone"
UNKNOWN_PRINCIPAL_TYPE = "aws_iam_unknown_principal"
FEDERATED_USER_TYPE = "aws_sts_federated_user"

# The entity types this project collects that a trust can point at. A target of another type, or in an account
# that is not ingested, is a placeholder the caller creates.
COLLECTED_TARGET_TYPES = frozenset({ACCOUNT_TYPE, USER_TYPE, ROLE_TYPE, *SERVICE_ENTITY_TYPES})

# Where JupiterOne's graph names a service entity otherwise than `aws_<principal prefix>`.
SERVICE_TYPE_OVERRIDES = {
    "events": "aws_cloudwatch_events",
    "logs": "aws_cloudwatch_logs",
    "cognito-idp": "aws_cognitoidp",
    # aws_cloudtrail is a trail (JupiterOne's name for it); the service entity of the account is this one.
    "cloudtrail": "aws_cloudtrail_service",
}
SERVICE_PRINCIPAL_SUFFIXES = (".amazonaws.com.cn", ".amazonaws.com", ".amazon.com", ".c2s.ic.gov", ".sc2s.sgov.gov")
GLOBAL_IDENTITY_PROVIDERS = frozenset({
    "cognito-identity.amazonaws.com", "accounts.google.com", "www.amazon.com", "graph.facebook.com",
})
GITHUB_ACTIONS_PROVIDER = "token.actions.githubusercontent.com"

# Condition operators (lower case, without ForAnyValue:/ForAllValues: and IfExists).
_NEGATED_OPERATORS = frozenset({
    "stringnotequals", "stringnotequalsignorecase", "stringnotlike", "numericnotequals", "datenotequals",
    "notipaddress", "arnnotequals", "arnnotlike",
})
_KNOWN_OPERATORS = _NEGATED_OPERATORS | {
    "stringequals", "stringequalsignorecase", "stringlike", "numericequals", "numericlessthan",
    "numericlessthanequals", "numericgreaterthan", "numericgreaterthanequals", "dateequals", "datelessthan",
    "datelessthanequals", "dategreaterthan", "dategreaterthanequals", "bool", "binaryequals", "ipaddress",
    "arnequals", "arnlike", "null",
}
_EXTERNAL_ID_KEYS = frozenset({"sts:externalid"})
_ORG_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})
_SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"})
_PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "aws:userid", "aws:username"})

FLAG_NAMES = (
    "externalIdRequired", "mfaRequired", "orgRestricted", "sourceRestricted", "principalRestricted",
    "audienceRestricted",
)

# ASCII only: IAM names and IDs are ASCII, and a Unicode digit or letter must not pass for one.
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_PARTITION = r"aws(?:-[a-z]+)*"
_PRINCIPAL_ARN = re.compile(rf"arn:({_PARTITION}):(iam|sts)::([0-9]{{12}}):(.+)", re.IGNORECASE | re.ASCII | re.DOTALL)
_PROVIDER_ARN = re.compile(
    rf"arn:({_PARTITION}):iam::([0-9]{{12}}):(saml-provider|oidc-provider)/(.+)", re.IGNORECASE | re.ASCII | re.DOTALL
)
_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
_PATH_AND_NAME = re.compile(r"(?:/[\w+=,.@/-]*/|/)?([\w+=,.@-]+)", re.ASCII)
_UNIQUE_ID = re.compile(r"A(?:IDA|ROA)[A-Z0-9]{12,}")
_REGION_LABEL = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]+")
_SERVICE_LABELS = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


# ---- results -----------------------------------------------------------------------------------------------------


TrustProblem = DocumentProblem  # the trust engine's problems are those of any policy document


@dataclass(frozen=True)
class Principal:
    """One principal as a statement names it, normalised."""

    kind: str  # one of PRINCIPAL_KINDS
    element: str  # "AWS", "Service", "Federated", or "*" for the bare `"Principal": "*"`
    value: str  # as written
    target: str  # normalised: an ARN (an account as its root ARN), a service or provider name, "*", a unique ID
    account_id: str | None = None
    partition: str = "aws"
    name: str | None = None  # user or role name (the role's, for a session), provider name, service name


@dataclass(frozen=True)
class Denial:
    """A Deny statement that applies to a grant without removing it for certain."""

    statement: int
    actions: tuple[str, ...]
    conditions: Any  # the Deny's condition object; {} when unconditional
    principals: tuple[str, ...] = ()  # the Deny covers only these principals within the grant's ("" = all of it)
    not_principals: tuple[str, ...] = ()  # a NotPrincipal Deny: everyone but these

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "statement": self.statement, "actions": list(self.actions), "conditions": self.conditions,
        }
        if self.principals:
            out["principals"] = list(self.principals)
        if self.not_principals:
            out["notPrincipals"] = list(self.not_principals)
        return out


@dataclass(frozen=True)
class TrustFlags:
    external_id_required: bool = False
    mfa_required: bool = False
    org_restricted: bool = False
    source_restricted: bool = False
    principal_restricted: bool = False
    audience_restricted: bool = False

    def as_dict(self) -> dict[str, bool]:
        return dict(zip(FLAG_NAMES, (
            self.external_id_required, self.mfa_required, self.org_restricted, self.source_restricted,
            self.principal_restricted, self.audience_restricted,
        )))


@dataclass(frozen=True)
class TrustGrant:
    """One (statement, principal) of the document, Allow or Deny, with what it grants once the Denies are applied."""

    statement: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    principal: Principal
    declared_actions: tuple[str, ...]  # the statement's Action or NotAction, normalised
    not_action: bool
    actions: tuple[str, ...]  # the TRUST_ACTIONS the statement matches (for a derived grant: those it keeps)
    remaining_actions: tuple[str, ...]  # `actions` less what unconditional Denies remove
    granted_actions: tuple[str, ...]  # `remaining_actions` if they let the principal assume the role, else ()
    conditions: str  # canonical JSON of the statement's Condition ("{}" when none)
    flags: TrustFlags
    not_principal: bool = False  # from NotPrincipal: everyone except `except_principals`
    except_principals: tuple[str, ...] = ()
    denied_by: tuple[int, ...] = ()  # Deny statements that removed some of the actions for certain
    denied_when: tuple[Denial, ...] = ()
    derived_from: int | None = None  # the NotPrincipal Deny statement that narrowed an `Allow *` to this principal

    @property
    def opens_session(self) -> bool:
        return self.effect == "Allow" and bool(self.granted_actions)


@dataclass(frozen=True)
class TrustAnalysis:
    grants: tuple[TrustGrant, ...]
    problems: tuple[TrustProblem, ...]
    version: str | None = None
    statement_count: int = 0

    @property
    def readable(self) -> bool:
        """Whether every part of the document was understood (warnings aside)."""
        return not any(problem.severity == "error" for problem in self.problems)


@dataclass(frozen=True)
class TrustEdge:
    """`aws_iam_role TRUSTS <target>`."""

    from_key: str  # the role's ARN
    account_id: str  # the role's account
    to_type: str
    to_key: str
    to_name: str | None
    to_account_id: str | None
    trust_zone: str
    cross_account: bool | None  # None when the principal's account cannot be known (deleted principals)
    placeholder: bool  # the target is not an entity collected from an ingested account
    actions: tuple[str, ...]
    conditions: str  # canonical JSON list of condition objects, one per granting statement; any one suffices
    external_id_required: bool
    mfa_required: bool
    org_restricted: bool
    source_restricted: bool
    principal_restricted: bool
    audience_restricted: bool
    not_principal: bool
    deleted_principal: bool
    principals: tuple[str, ...]  # as written in the document
    principal_kinds: tuple[str, ...]
    statements: tuple[int, ...]
    denied_when: str  # canonical JSON list of Denial objects
    except_principals: tuple[str, ...]
    from_type: str = ROLE_TYPE

    @property
    def key(self) -> str:
        return f"{self.from_key}|trusts|{self.to_key}"

    @property
    def flags(self) -> dict[str, bool]:
        return dict(zip(FLAG_NAMES, (
            self.external_id_required, self.mfa_required, self.org_restricted, self.source_restricted,
            self.principal_restricted, self.audience_restricted,
        )))

    def as_row(self) -> dict[str, Any]:
        """The edge as a relationship row (the project's column names)."""
        return {
            "_key": self.key,
            "_fromEntityKey": self.from_key,
            "_toEntityKey": self.to_key,
            "_fromEntityType": self.from_type,
            "_toEntityType": self.to_type,
            "accountId": self.account_id,
            "targetName": self.to_name,
            "targetAccountId": self.to_account_id,
            "trustZone": self.trust_zone,
            "crossAccount": self.cross_account,
            "placeholder": self.placeholder,
            "actions": list(self.actions),
            "conditions": self.conditions,
            **self.flags,
            "notPrincipal": self.not_principal,
            "deletedPrincipal": self.deleted_principal,
            "principals": list(self.principals),
            "principalKinds": list(self.principal_kinds),
            "statements": list(self.statements),
            "deniedWhen": self.denied_when,
            "exceptPrincipals": list(self.except_principals),
        }


class Reach(NamedTuple):
    """A principal that can end up in `role` after `hops` assumptions, along `path` (role first, principal last)."""

    role: str
    principal: str
    hops: int
    path: tuple[str, ...]


# ---- helpers -----------------------------------------------------------------------------------------------------


def canonical_json(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=True)


def _jsonable(value: Any) -> Any:
    """Plain JSON types all the way down (a document given as a dict may hold anything)."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return repr(value)


@lru_cache(maxsize=4096)
def _matched_trust_actions(pattern: str) -> frozenset[str]:
    return frozenset(action for action in TRUST_ACTIONS if glob_match(pattern, action))


def service_entity_type(service_principal: str) -> str:
    """`lambda.amazonaws.com` -> `aws_lambda`; `logs.eu-west-1.amazonaws.com` -> `aws_cloudwatch_logs`."""
    name = service_principal.lower()
    for suffix in SERVICE_PRINCIPAL_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    labels = [label for label in name.split(".") if not _REGION_LABEL.fullmatch(label)] or [name]
    prefix = "_".join(labels)
    return SERVICE_TYPE_OVERRIDES.get(prefix, f"aws_{prefix}")


def account_key(account_id: str, partition: str = "aws") -> str:
    """The `_key` of an `aws_account` entity (as aws_assets.services.account.account_key for the aws partition)."""
    return f"arn:{partition}:iam::{account_id}:root"


_DOCUMENT_ELEMENTS = {name.lower(): name for name in ("Version", "Id", "Statement")}
_STATEMENT_ELEMENTS = {
    name.lower(): name
    for name in ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Condition")
}
_PRINCIPAL_TYPES = {name.lower(): name for name in ("AWS", "Service", "Federated", "CanonicalUser")}
_VERSIONS = ("2012-10-17", "2008-10-17")


# ---- reading the document ----------------------------------------------------------------------------------------


def _statements(document: dict[Any, Any], reader: DocumentReader) -> tuple[list[Any], str | None]:
    elements = reader.elements(document, _DOCUMENT_ELEMENTS, "document", None)
    version = elements.get("Version")
    if "Version" in elements and version not in _VERSIONS:
        reader.problem(
            "unsupported_version", f"Version {short(version)} is neither 2012-10-17 nor 2008-10-17",
            severity="warning",
        )
    if "Statement" not in elements:
        reader.problem("missing_statement", "the document has no Statement")
        return [], version if isinstance(version, str) else None
    statements = elements["Statement"]
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        reader.problem("invalid_statement", f"Statement is a {type(statements).__name__}, not an object or a list")
        return [], version if isinstance(version, str) else None
    if not statements:
        reader.problem("missing_statement", "the Statement list is empty")
    return statements, version if isinstance(version, str) else None


@dataclass
class _Statement:
    index: int
    sid: str | None
    effect: str
    principals: list[Principal]
    not_principal: bool
    declared_actions: tuple[str, ...]
    not_action: bool
    actions: frozenset[str]
    condition: Any  # the Condition element (plain JSON), {} when absent
    condition_readable: bool
    complete: bool  # every action and principal of the statement was read

    @property
    def unconditional(self) -> bool:
        """Whether the statement certainly applies to its principals. A Deny that is not, because of a condition or
        because part of its NotPrincipal/NotAction list was unreadable, is only recorded (`deniedWhen`): an
        unreadable exemption must not hide a trust."""
        return self.condition_readable and not self.condition and (
            self.complete or not (self.not_principal or self.not_action)
        )


def _read_statement(index: int, raw: Any, reader: DocumentReader) -> _Statement | None:
    if not isinstance(raw, Mapping):
        reader.problem("statement_not_object", f"statement {index} is a {type(raw).__name__}, not an object", index)
        return None
    elements = reader.elements(raw, _STATEMENT_ELEMENTS, f"statement {index}", index)
    sid = elements.get("Sid") if isinstance(elements.get("Sid"), str) else None

    effect_value = elements.get("Effect")
    effect = effect_value.capitalize() if isinstance(effect_value, str) else None
    if effect not in ("Allow", "Deny"):
        reader.problem(
            "invalid_effect", f"statement {index}: Effect {short(effect_value)} is neither Allow nor Deny", index
        )
        return None

    if "Action" in elements and "NotAction" in elements:
        reader.problem("conflicting_elements", f"statement {index} has both Action and NotAction", index)
        return None
    if "Action" not in elements and "NotAction" not in elements:
        reader.problem("missing_action", f"statement {index} has neither Action nor NotAction", index)
        return None
    not_action = "NotAction" in elements
    problems_before = len(reader.problems)
    declared = _read_actions(elements["NotAction" if not_action else "Action"], index, reader)
    if declared is None:
        return None
    matched = frozenset().union(*(_matched_trust_actions(action) for action in declared)) if declared else frozenset()
    actions = frozenset(TRUST_ACTIONS) - matched if not_action else matched

    if "Principal" in elements and "NotPrincipal" in elements:
        reader.problem("conflicting_elements", f"statement {index} has both Principal and NotPrincipal", index)
        return None
    if "Principal" not in elements and "NotPrincipal" not in elements:
        reader.problem("missing_principal", f"statement {index} has neither Principal nor NotPrincipal", index)
        return None
    not_principal = "NotPrincipal" in elements
    principals = _read_principals(
        elements["NotPrincipal" if not_principal else "Principal"], index, reader,
        "NotPrincipal" if not_principal else "Principal",
    )

    complete = not any(
        problem.severity == "error"
        for problem in reader.problems[problems_before:]
    )
    condition = _jsonable(elements.get("Condition", {}))
    condition_readable = _check_condition(condition, index, reader)
    return _Statement(
        index, sid, effect, principals, not_principal, declared, not_action, actions, condition, condition_readable,
        complete,
    )


def _read_actions(value: Any, index: int, reader: DocumentReader) -> tuple[str, ...] | None:
    items = listify(value)
    if not items:
        reader.problem("invalid_action", f"statement {index}: the action is {short(value)}", index)
        return None
    declared: list[str] = []
    for item in items:
        normalised = _normalise_action(item) if isinstance(item, str) else None
        if normalised is None:
            reader.problem("invalid_action", f"statement {index}: {short(item)} is not an action", index)
        elif normalised not in declared:
            declared.append(normalised)
    return tuple(declared)


def _normalise_action(action: str) -> str | None:
    if action == "*":
        return action
    prefix, sep, name = action.partition(":")
    if not sep or not prefix or not name or not _NAME.fullmatch(prefix) or any(c.isspace() for c in name):
        return None
    return _CANONICAL_ACTIONS.get(action.lower(), f"{prefix.lower()}:{name}")


def _read_principals(value: Any, index: int, reader: DocumentReader, element: str) -> list[Principal]:
    if isinstance(value, str):
        if value == "*":
            return [Principal(EVERYONE, "*", "*", "*")]
        reader.problem(
            "invalid_principal",
            f'statement {index}: {element} {short(value)} must be "*" or an object such as {{"AWS": ...}}', index,
        )
        return []
    if not isinstance(value, Mapping) or not value:
        reader.problem("invalid_principal", f"statement {index}: {element} is {short(value)}", index)
        return []
    principals: list[Principal] = []
    seen: set[tuple[str, str]] = set()
    for principal_type, raw_values in reader.elements(
        value, _PRINCIPAL_TYPES, f"statement {index} {element}", index, ("unsupported_principal_type", "error")
    ).items():
        if principal_type == "CanonicalUser":
            reader.problem(
                "unsupported_principal_type", f"statement {index}: CanonicalUser is not a principal of a role", index
            )
            continue
        items = listify(raw_values)
        if not items:
            reader.problem(
                "invalid_principal", f"statement {index}: {element} {principal_type} is {short(raw_values)}", index
            )
            continue
        for item in items:
            if not isinstance(item, str):
                reader.problem(
                    "invalid_principal",
                    f"statement {index}: {principal_type} principal {short(item)} is not a string",
                    index,
                )
                continue
            if (principal_type, item) in seen:
                continue
            seen.add((principal_type, item))
            parser = {"AWS": _aws_principal, "Service": _service_principal, "Federated": _federated_principal}
            principal, why = parser[principal_type](item)
            if principal is None:
                reader.problem("invalid_principal", f"statement {index}: {principal_type} {short(item)}: {why}", index)
            else:
                principals.append(principal)
    return principals


def _aws_principal(value: str) -> tuple[Principal | None, str]:
    if value == "*":
        return Principal(EVERYONE, "AWS", value, "*"), ""
    if _ACCOUNT_ID.fullmatch(value):
        return Principal(ACCOUNT, "AWS", value, account_key(value), value, "aws", value), ""
    if _UNIQUE_ID.fullmatch(value):
        deleted = "user" if value.startswith("AIDA") else "role"
        return Principal(UNIQUE_ID, "AWS", value, value, None, "aws", deleted), ""
    if "*" in value or "?" in value:
        return None, "IAM accepts no wildcard in a principal but a lone *"
    match = _PRINCIPAL_ARN.fullmatch(value)
    if not match:
        return None, "neither an account ID, an IAM or STS principal ARN, nor a unique ID"
    partition, service, account_id, resource = match.groups()
    partition, service = partition.lower(), service.lower()
    prefix = f"arn:{partition}:{service}::{account_id}:"
    kind_part, _, rest = resource.partition("/")
    kind_part = kind_part.lower()
    if service == "iam" and resource.lower() == "root":
        return Principal(ROOT, "AWS", value, account_key(account_id, partition), account_id, partition, account_id), ""
    if service == "iam" and kind_part in ("user", "role") and rest:
        name_match = _PATH_AND_NAME.fullmatch("/" + rest)
        if name_match:
            kind = USER if kind_part == "user" else ROLE
            return Principal(kind, "AWS", value, f"{prefix}{kind_part}/{rest}", account_id, partition,
                             name_match.group(1)), ""
    if service == "sts" and kind_part == "assumed-role":
        role_name, _, session = rest.partition("/")
        if _NAME.fullmatch(role_name) and _NAME.fullmatch(session):
            return Principal(ASSUMED_ROLE, "AWS", value, f"{prefix}assumed-role/{role_name}/{session}", account_id,
                             partition, role_name), ""
    if service == "sts" and kind_part == "federated-user" and _NAME.fullmatch(rest):
        return Principal(FEDERATED_USER, "AWS", value, f"{prefix}federated-user/{rest}", account_id, partition,
                         rest), ""
    return None, "not an account root, user, role, assumed-role or federated-user ARN"


def _service_principal(value: str) -> tuple[Principal | None, str]:
    name = value.lower()
    if not any(name.endswith(suffix) for suffix in SERVICE_PRINCIPAL_SUFFIXES) or not _SERVICE_LABELS.fullmatch(name):
        return None, "not an AWS service principal (<service>.amazonaws.com)"
    return Principal(SERVICE, "Service", value, name, None, "aws", name), ""


def _federated_principal(value: str) -> tuple[Principal | None, str]:
    if value.lower() in GLOBAL_IDENTITY_PROVIDERS:
        name = value.lower()
        return Principal(FEDERATED, "Federated", value, f"federated:{name}", None, "aws", name), ""
    if "*" in value or "?" in value:
        return None, "IAM accepts no wildcard in a principal"
    match = _PROVIDER_ARN.fullmatch(value)
    if not match or any(c.isspace() for c in match.group(4)):
        return None, "neither an identity provider ARN nor a web identity provider IAM knows"
    partition, account_id, provider_kind, name = match.groups()
    partition, provider_kind = partition.lower(), provider_kind.lower()
    target = f"arn:{partition}:iam::{account_id}:{provider_kind}/{name}"
    return Principal(FEDERATED, "Federated", value, target, account_id, partition, name), ""


def _check_condition(condition: Any, index: int, reader: DocumentReader) -> bool:
    if not isinstance(condition, dict):
        reader.problem(
            "invalid_condition", f"statement {index}: Condition is {short(condition)}, not an object", index
        )
        return False
    readable = True
    for operator, block in condition.items():
        _, base, _ = _split_operator(operator)
        if base not in _KNOWN_OPERATORS:
            reader.problem(
                "unknown_condition_operator", f"statement {index}: condition operator {short(operator)} is unknown",
                index, "warning",
            )
        if not isinstance(block, dict) or not block:
            reader.problem(
                "invalid_condition", f"statement {index}: condition {short(operator)} holds {short(block)}", index
            )
            readable = False
            continue
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            if not items or any(isinstance(item, (dict, list)) or item is None for item in items):
                reader.problem(
                    "invalid_condition", f"statement {index}: condition {operator} {key} has values {short(values)}",
                    index,
                )
                readable = False
    return readable


def _split_operator(operator: str) -> tuple[str, str, bool]:
    """("forallvalues" | "foranyvalue" | "", the base operator, IfExists) all lower case."""
    name = operator.lower()
    qualifier = ""
    for prefix in ("forallvalues:", "foranyvalue:"):
        if name.startswith(prefix):
            qualifier, name = prefix[:-1], name[len(prefix):]
    if_exists = name.endswith("ifexists")
    return qualifier, name.removesuffix("ifexists"), if_exists


def _requirements(condition: Any) -> list[tuple[str, str, list[Any]]]:
    """The (key, operator, values) a request must carry to meet the condition: see the module docstring."""
    if not isinstance(condition, dict):
        return []
    required = []
    for operator, block in condition.items():
        qualifier, base, if_exists = _split_operator(operator)
        if if_exists or base == "null" or base in _NEGATED_OPERATORS or qualifier == "forallvalues":
            continue
        if base not in _KNOWN_OPERATORS or not isinstance(block, dict):
            continue
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            if not items or any(isinstance(item, (dict, list)) or item is None for item in items):
                continue
            if base.endswith("like") and all(item == "*" for item in items):
                continue
            required.append((key.lower(), base, items))
    return required


def _statement_flags(condition: Any) -> TrustFlags:
    required = _requirements(condition)
    keys = {key for key, _, _ in required}
    mfa = any(
        (key == "aws:multifactorauthpresent" and base == "bool" and all(_true(item) for item in items))
        or (key == "aws:multifactorauthage" and base.startswith("numeric"))
        for key, base, items in required
    )
    return TrustFlags(
        external_id_required=bool(keys & _EXTERNAL_ID_KEYS),
        mfa_required=mfa,
        org_restricted=bool(keys & _ORG_KEYS),
        source_restricted=bool(keys & _SOURCE_KEYS),
        principal_restricted=bool(keys & _PRINCIPAL_KEYS),
    )


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _audience_restricted(principal: Principal, condition: Any) -> bool:
    if principal.kind != FEDERATED or principal.target.startswith("arn:") and ":saml-provider/" in principal.target:
        return False
    provider = (principal.name or "").lower()
    claims = ("sub",) if provider == GITHUB_ACTIONS_PROVIDER else ("aud", "oaud", "sub")
    wanted = {f"{provider}:{claim}" for claim in claims}
    return any(key in wanted for key, _, _ in _requirements(condition))


def _assume_actions_for(principal: Principal) -> frozenset[str]:
    """The assume actions with which this principal can open a session."""
    if principal.kind == EVERYONE:
        return frozenset(ASSUME_ACTIONS)
    if principal.kind == FEDERATED:
        saml = ":saml-provider/" in principal.target
        return frozenset({ASSUME_ROLE_WITH_SAML if saml else ASSUME_ROLE_WITH_WEB_IDENTITY})
    return frozenset({ASSUME_ROLE})


def _granted(principal: Principal, actions: Iterable[str]) -> tuple[str, ...]:
    actions = set(actions)
    if not actions & _assume_actions_for(principal):
        return ()
    usable = (actions & _assume_actions_for(principal)) | (actions & set(SESSION_ACTIONS))
    return tuple(sorted(usable))


# ---- principal containment (for Deny) ----------------------------------------------------------------------------


def _same(a: Principal, b: Principal) -> bool:
    if a.kind in _ACCOUNT_KINDS and b.kind in _ACCOUNT_KINDS:
        return a.account_id == b.account_id
    if (a.kind in _AWS_KINDS) != (b.kind in _AWS_KINDS) or a.kind in (SERVICE, FEDERATED) and a.kind != b.kind:
        return False
    # IAM names are unique case-insensitively, so are service principals and provider names.
    return a.target.lower() == b.target.lower()


def contains(outer: Principal, inner: Principal) -> bool:
    """Whether every request `inner` makes is also a request of `outer` (for the Principal element's matching)."""
    if outer.kind == EVERYONE:
        return True
    if inner.kind == EVERYONE:
        return False
    if _same(outer, inner):
        return True
    if outer.kind in _ACCOUNT_KINDS:
        return inner.kind in _AWS_KINDS and inner.kind != UNIQUE_ID and inner.account_id == outer.account_id
    if outer.kind == ROLE and inner.kind == ASSUMED_ROLE:
        return outer.account_id == inner.account_id and (outer.name or "").lower() == (inner.name or "").lower()
    return False


# ---- the analysis ------------------------------------------------------------------------------------------------


@dataclass
class _Working:
    statement: _Statement
    principal: Principal
    actions: set[str]
    flags: TrustFlags
    matched: frozenset[str] = frozenset()
    except_principals: list[str] = field(default_factory=list)
    denied_by: list[int] = field(default_factory=list)
    denied_when: list[Denial] = field(default_factory=list)
    derived_from: int | None = None
    not_principal: bool = False


def parse_trust_policy(document: str | dict[str, Any] | None) -> TrustAnalysis:
    """Reads a role's trust policy (JSON text, URL-encoded JSON text or a dict). Never raises."""
    reader = DocumentReader("trust policy")
    try:
        return _analyse(document, reader)
    except Exception as error:  # noqa: BLE001 - the analysis must never break the pipeline: report, do not raise
        reader.problem("internal_error", f"the analysis failed on this document: {type(error).__name__}: {error}")
        return TrustAnalysis((), tuple(reader.problems))


def _analyse(document: Any, reader: DocumentReader) -> TrustAnalysis:
    decoded = reader.decode(document)
    if decoded is None:
        return TrustAnalysis((), tuple(reader.problems))
    raw_statements, version = _statements(decoded, reader)
    statements = [s for index, raw in enumerate(raw_statements) if (s := _read_statement(index, raw, reader))]
    denies = [s for s in statements if s.effect == "Deny"]

    grants: list[TrustGrant] = []
    for statement in statements:
        if statement.effect == "Deny":
            grants.extend(_deny_listing(statement))
            continue
        working = _allow_working(statement)
        for deny in denies:
            for item in list(working):
                working.extend(_apply_deny(deny, item))
        grants.extend(_grant(item) for item in working)
    return TrustAnalysis(tuple(grants), tuple(reader.problems), version, len(raw_statements))


def _allow_working(statement: _Statement) -> list[_Working]:
    flags = _statement_flags(statement.condition)
    if statement.not_principal:
        if any(principal.kind == EVERYONE for principal in statement.principals):
            return []  # everyone except everyone
        everyone = Principal(EVERYONE, "*", "*", "*")
        return [_Working(statement, everyone, set(statement.actions), flags, statement.actions,
                         except_principals=[p.target for p in statement.principals], not_principal=True)]
    return [
        _Working(statement, principal, set(statement.actions), _with_audience(flags, principal, statement.condition),
                 statement.actions)
        for principal in statement.principals
    ]


def _with_audience(flags: TrustFlags, principal: Principal, condition: Any) -> TrustFlags:
    if not _audience_restricted(principal, condition):
        return flags
    return TrustFlags(flags.external_id_required, flags.mfa_required, flags.org_restricted, flags.source_restricted,
                      flags.principal_restricted, True)


def _apply_deny(deny: _Statement, item: _Working) -> list[_Working]:
    """Applies one Deny statement to one Allow grant; returns the grants it derives (NotPrincipal Deny)."""
    hit = item.actions & deny.actions
    if not hit:
        return []
    hit_actions = tuple(sorted(hit))
    if not deny.not_principal:
        if any(contains(d, item.principal) for d in deny.principals):
            if deny.unconditional:
                item.actions -= hit
                item.denied_by.append(deny.index)
            else:
                item.denied_when.append(Denial(deny.index, hit_actions, deny.condition))
            return []
        inside = [d.target for d in deny.principals if contains(item.principal, d)]
        if inside:
            if deny.unconditional:
                item.except_principals.extend(t for t in inside if t not in item.except_principals)
            else:
                item.denied_when.append(Denial(deny.index, hit_actions, deny.condition, tuple(inside)))
        return []
    # NotPrincipal with Deny: everyone but the listed is denied.
    if any(contains(listed, item.principal) for listed in deny.principals):
        return []  # the grant's principal is exempt
    if not deny.unconditional:
        item.denied_when.append(
            Denial(deny.index, hit_actions, deny.condition, not_principals=tuple(p.target for p in deny.principals))
        )
        return []
    item.actions -= hit
    item.denied_by.append(deny.index)
    derived = []
    for listed in deny.principals:
        if contains(item.principal, listed) and listed.target not in item.except_principals:
            derived.append(_Working(
                item.statement, listed, set(hit), _with_audience(item.flags, listed, item.statement.condition),
                frozenset(hit), denied_when=list(item.denied_when), derived_from=deny.index,
            ))
    return derived


def _grant(item: _Working) -> TrustGrant:
    statement = item.statement
    return TrustGrant(
        statement=statement.index,
        sid=statement.sid,
        effect="Allow",
        principal=item.principal,
        declared_actions=statement.declared_actions,
        not_action=statement.not_action,
        actions=tuple(sorted(item.matched)),
        remaining_actions=tuple(sorted(item.actions)),
        granted_actions=_granted(item.principal, item.actions),
        conditions=canonical_json(statement.condition),
        flags=item.flags,
        not_principal=item.not_principal,
        except_principals=tuple(item.except_principals),
        denied_by=tuple(item.denied_by),
        denied_when=tuple(item.denied_when),
        derived_from=item.derived_from,
    )


def _deny_listing(statement: _Statement) -> list[TrustGrant]:
    principals = (
        [Principal(EVERYONE, "*", "*", "*")] if statement.not_principal else statement.principals
    )
    return [
        TrustGrant(
            statement=statement.index, sid=statement.sid, effect="Deny", principal=principal,
            declared_actions=statement.declared_actions, not_action=statement.not_action,
            actions=tuple(sorted(statement.actions)), remaining_actions=tuple(sorted(statement.actions)),
            granted_actions=(),
            conditions=canonical_json(statement.condition), flags=_statement_flags(statement.condition),
            not_principal=statement.not_principal,
            except_principals=tuple(p.target for p in statement.principals) if statement.not_principal else (),
        )
        for principal in principals
    ]


# ---- edges -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    type: str
    key: str
    name: str | None
    account_id: str | None
    global_: bool = False  # not in any account (everyone, a global provider, a deleted principal, a session)


def _target(principal: Principal, role_account_id: str) -> _Target:
    kind = principal.kind
    if kind in _ACCOUNT_KINDS:
        return _Target(ACCOUNT_TYPE, principal.target, principal.account_id, principal.account_id)
    if kind == USER:
        return _Target(USER_TYPE, principal.target, principal.name, principal.account_id)
    if kind == ROLE:
        return _Target(ROLE_TYPE, principal.target, principal.name, principal.account_id)
    if kind == ASSUMED_ROLE:
        key = f"arn:{principal.partition}:iam::{principal.account_id}:role/{principal.name}"
        return _Target(ROLE_TYPE, key, principal.name, principal.account_id)
    if kind == FEDERATED_USER:
        return _Target(FEDERATED_USER_TYPE, principal.target, principal.name, principal.account_id, True)
    if kind == SERVICE:
        service_type = service_entity_type(principal.target)
        return _Target(service_type, f"{service_type}:{role_account_id}", principal.target, role_account_id)
    if kind == FEDERATED:
        if principal.account_id is None:
            return _Target(IDENTITY_PROVIDER_TYPE, principal.target, principal.name, None, True)
        provider_type = SAML_PROVIDER_TYPE if ":saml-provider/" in principal.target else OIDC_PROVIDER_TYPE
        return _Target(provider_type, principal.target, principal.name, principal.account_id)
    if kind == UNIQUE_ID:
        return _Target(UNKNOWN_PRINCIPAL_TYPE, f"unique_id:{principal.target}", principal.target, None, True)
    return _Target(EVERYONE_TYPE, EVERYONE_KEY, None, None, True)


def trust_edges(
    role_arn: str,
    role_account_id: str,
    analysis: TrustAnalysis,
    ingested_accounts: Collection[str],
    *,
    collected_types: Collection[str] = COLLECTED_TARGET_TYPES,
) -> list[TrustEdge]:
    """The role's TRUSTS edges, one per target, sorted by target type and key."""
    ingested = set(ingested_accounts) | {role_account_id}
    by_target: dict[tuple[str, str], list[tuple[TrustGrant, _Target]]] = {}
    for grant in analysis.grants:
        if grant.opens_session:
            target = _target(grant.principal, role_account_id)
            by_target.setdefault((target.type, target.key), []).append((grant, target))
    # Session actions (TagSession, ...) granted in a statement that grants no assume action still apply to a
    # principal that can assume the role through another statement.
    extra_actions: dict[tuple[str, str], set[str]] = {}
    for grant in analysis.grants:
        if grant.effect == "Allow" and not grant.opens_session:
            target = _target(grant.principal, role_account_id)
            session = set(grant.remaining_actions) & set(SESSION_ACTIONS)
            if session and (target.type, target.key) in by_target:
                extra_actions.setdefault((target.type, target.key), set()).update(session)
    edges = [
        _edge(role_arn, role_account_id, grants, extra_actions.get(key, set()), ingested, collected_types)
        for key, grants in sorted(by_target.items())
    ]
    return edges


def _edge(
    role_arn: str,
    role_account_id: str,
    grants: list[tuple[TrustGrant, _Target]],
    extra_actions: set[str],
    ingested: set[str],
    collected_types: Collection[str],
) -> TrustEdge:
    target = grants[0][1]
    flags = [grant.flags for grant, _ in grants]
    audience = all(f.audience_restricted for f in flags)
    if target.type == EVERYONE_TYPE:
        zone, cross = PUBLIC, True
    elif target.type == IDENTITY_PROVIDER_TYPE:
        zone, cross = (EXTERNAL_ACCOUNT if audience else PUBLIC), True
    elif target.type == UNKNOWN_PRINCIPAL_TYPE:
        zone, cross = UNKNOWN, None
    elif target.account_id == role_account_id:
        zone, cross = SAME_ACCOUNT, False
    else:
        zone = INGESTED_ACCOUNT if target.account_id in ingested else EXTERNAL_ACCOUNT
        cross = True
    placeholder = target.global_ or target.type not in collected_types or target.account_id not in ingested
    # Both lists are joined from canonical JSON texts, which is the canonical JSON of the list.
    conditions = sorted({grant.conditions for grant, _ in grants})
    denied_when = sorted({canonical_json(d.as_dict()) for grant, _ in grants for d in grant.denied_when})
    excepted = set.intersection(*(set(grant.except_principals) for grant, _ in grants))
    return TrustEdge(
        from_key=role_arn,
        account_id=role_account_id,
        to_type=target.type,
        to_key=target.key,
        to_name=target.name,
        to_account_id=target.account_id,
        trust_zone=zone,
        cross_account=cross,
        placeholder=placeholder,
        actions=tuple(sorted({a for grant, _ in grants for a in grant.granted_actions} | extra_actions)),
        conditions="[" + ", ".join(conditions) + "]",
        external_id_required=all(f.external_id_required for f in flags),
        mfa_required=all(f.mfa_required for f in flags),
        org_restricted=all(f.org_restricted for f in flags),
        source_restricted=all(f.source_restricted for f in flags),
        principal_restricted=all(f.principal_restricted for f in flags),
        audience_restricted=audience,
        not_principal=all(grant.not_principal for grant, _ in grants),
        deleted_principal=target.type == UNKNOWN_PRINCIPAL_TYPE,
        principals=tuple(sorted({grant.principal.value for grant, _ in grants})),
        principal_kinds=tuple(sorted({grant.principal.kind for grant, _ in grants})),
        statements=tuple(sorted({grant.statement for grant, _ in grants})),
        denied_when="[" + ", ".join(denied_when) + "]",
        except_principals=tuple(sorted(excepted)),
    )


# ---- many roles ----------------------------------------------------------------------------------------------


class RoleTrust(NamedTuple):
    """A role row, its trust policy as the engine reads it, and the TRUSTS edges it grants."""

    role: Mapping[str, Any]
    analysis: TrustAnalysis
    edges: list[TrustEdge]


def analyse_roles(roles: Iterable[Mapping[str, Any]], ingested_accounts: Collection[str]) -> list[RoleTrust]:
    """Every role's trust policy (`_key`, accountId, trustPolicy as the aws_iam_role table holds them) read and
    turned into edges. Each distinct document is read once and its edges computed once per account: most roles share
    a handful of trust policies (a service, the account's root, the organisation's CI), and an edge depends on the
    role only through its key."""
    ingested = frozenset(ingested_accounts)
    analyses: dict[Any, TrustAnalysis] = {}
    edges_by_place: dict[tuple[Any, str], tuple[str, list[TrustEdge]]] = {}
    trusts = []
    for role in roles:
        document, account, key = role["trustPolicy"], role["accountId"], role["_key"]
        cacheable = isinstance(document, str) or document is None  # a document given as a dict is read each time
        analysis = analyses.get(document) if cacheable else None
        if analysis is None:
            analysis = parse_trust_policy(document)
            if cacheable:
                analyses[document] = analysis
        known = edges_by_place.get((document, account)) if cacheable else None
        if known is None:
            edges = trust_edges(key, account, analysis, ingested)
            if cacheable:
                edges_by_place[(document, account)] = (key, edges)
        else:
            first_key, first_edges = known
            edges = first_edges if first_key == key else [_for_role(edge, key) for edge in first_edges]
        trusts.append(RoleTrust(role, analysis, edges))
    return trusts


def _for_role(edge: TrustEdge, role_key: str) -> TrustEdge:
    """The edge from another role with the same document in the same account. `dataclasses.replace` would rerun
    the constructor over every field, the largest cost of a lake of roles sharing few documents."""
    clone = copy.copy(edge)
    object.__setattr__(clone, "from_key", role_key)  # on the new object, before anyone holds it
    return clone


# ---- role chaining -----------------------------------------------------------------------------------------------


def _role_identity(arn: str) -> tuple[str, str] | None:
    """(account, lower-case role name) of a role ARN, paths ignored: how a session-targeted edge meets its role."""
    match = _PRINCIPAL_ARN.fullmatch(arn)
    if not match or not match.group(4).lower().startswith("role/"):
        return None
    return match.group(3), match.group(4).rsplit("/", 1)[-1].lower()


def reachable_principals(edges: Iterable[TrustEdge]) -> list[Reach]:
    """For every role with trust edges, every principal that can end up in it and through how few hops: a principal
    a role trusts is 1 hop away; the principals a trusted role trusts are one hop further, and so on (role chaining).
    A role does not list itself. Each (role, principal) appears once, with its fewest hops and the first such path
    (in key order). Accounts, services and providers are end points: what an account's own principals may do is
    for the IAM policy analysis."""
    outgoing: dict[str, list[TrustEdge]] = {}
    for edge in edges:
        outgoing.setdefault(edge.from_key, []).append(edge)
    roles_by_identity: dict[tuple[str, str], str] = {}
    for role in sorted(outgoing):
        identity = _role_identity(role)
        if identity is not None:
            roles_by_identity.setdefault(identity, role)

    def resolve(edge: TrustEdge) -> str:
        if edge.to_type == ROLE_TYPE:
            identity = _role_identity(edge.to_key)
            if identity is not None and identity in roles_by_identity:
                return roles_by_identity[identity]
        return edge.to_key

    # Per role, its trusted principals in key order, resolved once: (principal, whether to follow it further).
    steps = {
        role: [(resolve(edge), edge.to_type == ROLE_TYPE)
               for edge in sorted(role_edges, key=lambda e: (e.to_key, e.to_type))]
        for role, role_edges in outgoing.items()
    }
    result: list[Reach] = []
    for role in sorted(outgoing):
        seen = {role}
        queue: deque[tuple[str, tuple[str, ...]]] = deque([(role, (role,))])
        while queue:
            node, path = queue.popleft()
            for principal, is_role in steps.get(node, ()):
                if principal in seen:
                    continue
                seen.add(principal)
                result.append(Reach(role, principal, len(path), path + (principal,)))
                if is_role and principal in outgoing:
                    queue.append((principal, path + (principal,)))
    return result
