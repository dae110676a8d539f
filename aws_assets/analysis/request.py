"""One AWS request as the evaluator reads it: who calls (the caller, parsed from the principal ARN), which action on
which resource, and the request context, with the keys AWS derives from the caller filled in.

A context key is looked up case-insensitively (IAM's condition keys are) and is one of three things:
- present: the values the caller gave, or that AWS always sets and the ARN tells (`aws:PrincipalArn`,
  `aws:PrincipalAccount`, `aws:username` for an IAM user, `aws:PrincipalType`, `aws:PrincipalIsAWSService`, ...);
- `ABSENT`: known not to be in the request (`aws:username` for a role session, a principal tag when the caller's
  tags were given and lack it): AWS's documented behaviour for an absent key applies;
- `MISSING`: not given and not derivable. The request may or may not hold it, so a condition that reads it is left
  unknown and the decision names the key (see `aws_assets.analysis.conditions`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

ContextValue = str | list[str] | bool | int


class Lookup(Enum):
    ABSENT = "absent"
    MISSING = "missing"


ABSENT, MISSING = Lookup.ABSENT, Lookup.MISSING
Found = list[str] | Lookup


class CallerKind(Enum):
    USER = "User"
    ROLE = "Role"  # a role named without a session: any session of it
    ROLE_SESSION = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    ROOT = "Account"
    SERVICE = "Service"
    FEDERATED = "Federated"  # a SAML or OIDC identity provider (AssumeRoleWith*)
    ANONYMOUS = "Anonymous"  # an unsigned request (`anonymous`)


IAM_KINDS = frozenset({CallerKind.USER, CallerKind.ROLE, CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER,
                       CallerKind.ROOT})

_ACCOUNT = r"(?P<account>[0-9]{12})"
_CALLER_FORMS = (
    (CallerKind.USER, re.compile(rf"arn:(?P<partition>[^:]+):iam::{_ACCOUNT}:user/(?:.*/)?(?P<name>[^/]+)")),
    (CallerKind.ROLE, re.compile(rf"arn:(?P<partition>[^:]+):iam::{_ACCOUNT}:role/(?:.*/)?(?P<name>[^/]+)")),
    (CallerKind.ROLE_SESSION,
     re.compile(rf"arn:(?P<partition>[^:]+):sts::{_ACCOUNT}:assumed-role/(?P<name>[^/]+)/(?P<session>.+)")),
    (CallerKind.FEDERATED_USER, re.compile(rf"arn:(?P<partition>[^:]+):sts::{_ACCOUNT}:federated-user/(?P<name>.+)")),
    (CallerKind.ROOT, re.compile(rf"arn:(?P<partition>[^:]+):iam::{_ACCOUNT}:root")),
    (CallerKind.FEDERATED, re.compile(rf"arn:(?P<partition>[^:]+):iam::{_ACCOUNT}:(?:saml|oidc)-provider/.+")),
)


@dataclass(frozen=True)
class Caller:
    kind: CallerKind
    arn: str
    account: str | None = None
    partition: str = "aws"
    name: str | None = None  # the user's, role's or federated user's name
    session: str | None = None
    canonical_id: str | None = None  # the canonical user ID of its account (S3 ACLs and CanonicalUser name it)

    @property
    def is_iam(self) -> bool:
        """Whether IAM policies (identity, boundary, session, SCPs) govern the caller: not a service or provider."""
        return self.kind in IAM_KINDS

    @property
    def role_arn(self) -> str | None:
        if self.kind in (CallerKind.ROLE, CallerKind.ROLE_SESSION):
            return f"arn:{self.partition}:iam::{self.account}:role/{self.name}"
        return None


def parse_caller(principal: str) -> Caller:
    if principal.lower() == "anonymous":
        return Caller(CallerKind.ANONYMOUS, "anonymous")
    if re.fullmatch(r"[0-9]{12}", principal):
        return Caller(CallerKind.ROOT, f"arn:aws:iam::{principal}:root", principal)
    for kind, form in _CALLER_FORMS:
        match = form.fullmatch(principal)
        if match:
            groups = match.groupdict()
            return Caller(kind, principal, groups["account"], groups["partition"], groups.get("name"),
                          groups.get("session"))
    if principal.startswith("arn:"):
        raise ValueError(f"not a principal AWS can authenticate: {principal!r}")
    # A service principal (`ec2.amazonaws.com`) or a web identity provider (`accounts.google.com`): matched by name.
    service = principal.endswith((".amazonaws.com", ".amazonaws.com.cn")) and not principal.startswith("cognito-")
    return Caller(CallerKind.SERVICE if service else CallerKind.FEDERATED, principal)


def arn_account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and re.fullmatch(r"[0-9]{12}", parts[4]) else None


def arn_service(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[2] if len(parts) == 6 and parts[0] == "arn" else ""


@dataclass(frozen=True, eq=False)
class Request:
    """One request; `principal_arn` is an IAM ARN, a service or identity-provider name, or `anonymous` for an
    unsigned request. `principal_account` and `resource_account` default to the ARNs' accounts; an S3 ARN names no
    account, so give `resource_account` for a bucket of another account (without it the bucket is taken to be the
    caller's). `principal_tags` / `resource_tags`, when given, are the whole tag set: a tag they lack is absent.
    `role_arn` is the role behind a session with its path (`aws:PrincipalArn`), derived without a path if not given.
    `context_complete` says the context is the request's whole context (as in a real request, or a simulation that
    gives every key): a key it lacks is absent rather than unknown.
    """

    principal_arn: str
    action: str
    resource_arn: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal_account: str | None = None
    resource_account: str | None = None
    principal_tags: Mapping[str, str] | None = None
    resource_tags: Mapping[str, str] | None = None
    principal_org_id: str | None = None  # "" for a principal outside any organisation
    principal_org_paths: list[str] | None = None  # `o-.../r-.../ou-.../` paths, for aws:PrincipalOrgPaths
    resource_org_id: str | None = None
    resource_org_paths: list[str] | None = None
    role_arn: str | None = None
    principal_canonical_id: str | None = None  # the canonical user ID of the caller's account, when known
    # True: the context holds every key the request has, so a key neither given nor derived is absent (AWS's rules
    # for an absent key apply); False: such a key is unknown and conditions reading it leave the decision conditional.
    context_complete: bool = False

    def __post_init__(self) -> None:
        caller = parse_caller(self.principal_arn)
        if self.principal_canonical_id and caller.is_iam:
            caller = replace(caller, canonical_id=self.principal_canonical_id)
        object.__setattr__(self, "caller", caller)
        if self.principal_account is None:
            object.__setattr__(self, "principal_account", caller.account)
        if self.resource_account is None:
            object.__setattr__(self, "resource_account", arn_account(self.resource_arn) or self.principal_account)
        given = {key.lower(): _values(value) for key, value in self.context.items()}
        object.__setattr__(self, "_keys", {**self._derived_keys(caller), **given})

    caller: Caller = field(init=False, repr=False)
    _keys: dict[str, Found] = field(init=False, repr=False)

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0].lower()

    def lookup(self, key: str) -> Found:
        key = key.lower()
        found = self._keys.get(key)
        if found is not None:
            return found
        for prefix, tags in (("aws:principaltag/", self.principal_tags), ("aws:resourcetag/", self.resource_tags)):
            if key.startswith(prefix) and tags is not None:
                wanted = key[len(prefix):]
                values = [value for name, value in tags.items() if name.lower() == wanted]
                return values or ABSENT
        return ABSENT if self.context_complete else MISSING

    def _derived_keys(self, caller: Caller) -> dict[str, Found]:
        iam = caller.is_iam
        principal_arn = (self.role_arn or caller.role_arn) if caller.role_arn else caller.arn
        keys: dict[str, Found] = {
            "aws:principalarn": [principal_arn] if iam and principal_arn else ABSENT,
            "aws:principalaccount": [caller.account] if iam and caller.account else ABSENT,
            "aws:username": [caller.name] if caller.kind is CallerKind.USER and caller.name else ABSENT,
            # A role named without a session calls as one of its sessions.
            "aws:principaltype": ["AssumedRole" if caller.kind is CallerKind.ROLE else caller.kind.value]
            if iam or caller.kind is CallerKind.ANONYMOUS else ABSENT,
            "aws:principalisawsservice": ["true" if caller.kind is CallerKind.SERVICE else "false"],
            "aws:principalservicename": [caller.arn] if caller.kind is CallerKind.SERVICE else ABSENT,
        }
        if caller.kind is CallerKind.ROOT and caller.account:
            keys["aws:userid"] = [caller.account]
        # What the lake knows of the organisations: an empty value means outside any (the key is then absent).
        for key, org_id in (("aws:principalorgid", self.principal_org_id), ("aws:resourceorgid", self.resource_org_id)):
            if org_id is not None:
                keys[key] = [org_id] if org_id else ABSENT
        for key, paths in (("aws:principalorgpaths", self.principal_org_paths),
                           ("aws:resourceorgpaths", self.resource_org_paths)):
            if paths is not None:
                keys[key] = list(paths) if paths else ABSENT
        if self.resource_account:
            keys["aws:resourceaccount"] = [self.resource_account]
        return keys


def _values(value: ContextValue) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]
