"""Matching one statement's Action, Resource and Principal against one request, as IAM does.

- Actions: case-insensitive, with `*` and `?` (`documents.glob_match`).
- Resources: ARNs case-sensitively, segment by segment: the partition, service, region and account segments each
  match on their own (a wildcard in one never runs into the next), the resource part as a whole (there `*` crosses
  `/` and `:`). So `arn:aws:lambda:us-east-1:A:function:*` never reaches a us-west-2 function, and
  `arn:aws:s3:::bucket/*` (the objects) never the bucket `arn:aws:s3:::bucket`. Policy variables are resolved first
  (`aws_assets.analysis.variables`).
- Principals: what a resource-based policy's Principal grants the caller (`GrantKind`): the caller's own ARN, its
  session's issuer (the role of a role session, the IAM user of a federated-user session), everyone, or the caller's
  account, which delegates to the account's IAM policies. S3 also names an account by its canonical user ID
  (`{"CanonicalUser": id}`): it names the caller when the request gives the caller's (`Request.principal_canonical_id`).
  Service and federated principals match by exact name (`ec2.amazonaws.com` is not `ec2.amazonaws.com.cn`); an
  assumed-role session ARN only that session. A Deny's NotPrincipal exempts a caller only when it lists the caller's
  account as well as the caller (a user by its ARN; a session by its ARN or its issuer's): AWS may check the
  account first, then the role, then the session, so the NotPrincipal page requires the account beside the
  principal. An Allow's NotPrincipal excludes any caller it names in any of these ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from typing import Any

from aws_assets.analysis.documents import glob_match, listify
from aws_assets.analysis.request import Caller, CallerKind
from aws_assets.analysis.statements import Layer, Statement
from aws_assets.analysis.truth import Truth, all_of, any_of, negate
from aws_assets.analysis.variables import UNRESOLVED, KeyLookup, split_outside_variables, substitute, wildcard_match


def action_matches(patterns: Iterable[Any], action: str) -> bool:
    return any(isinstance(pattern, str) and glob_match(pattern, action) for pattern in patterns)


def resource_matches(patterns: Iterable[Any], arn: str, lookup: KeyLookup) -> Truth:
    return any_of(arn_matches(pattern, arn, lookup) if isinstance(pattern, str) else False for pattern in patterns)


def arn_matches(pattern: str, arn: str, lookup: KeyLookup) -> Truth:
    """Whether one Resource pattern (or ArnLike value) matches `arn`, segment by segment."""
    if pattern == "*":
        return True
    if not (pattern.startswith("arn:") and arn.startswith("arn:")):
        return _segment_matches(pattern, arn, lookup)
    segments = split_outside_variables(pattern, ":", 5)
    parts = arn.split(":", 5)
    if len(segments) > len(parts):
        return False
    # A pattern of fewer segments matches its last one against the rest of the ARN (`arn:aws:s3:*`).
    texts = parts[:len(segments) - 1] + [":".join(parts[len(segments) - 1:])]
    return all_of(_segment_matches(segment, text, lookup) for segment, text in zip(segments, texts))


def _segment_matches(segment: str, text: str, lookup: KeyLookup) -> Truth:
    pattern = substitute(segment, lookup, wildcards=True)
    if pattern is UNRESOLVED:
        return False
    if isinstance(pattern, frozenset):
        return pattern
    assert isinstance(pattern, str)
    return wildcard_match(pattern, text)


class GrantKind(Enum):
    """How a Principal names the caller, strongest first."""

    SELF = "self"  # the caller's own ARN: user, role session, federated user, service, identity provider
    SESSION_ISSUER = "session_issuer"  # the role of a role session, the IAM user of a federated-user session
    EVERYONE = "everyone"  # `*`, `{"AWS": "*"}` or NotPrincipal
    ACCOUNT = "account"  # the caller's account (ID or `:root`): delegates to the account's IAM policies


_STRENGTH = list(GrantKind)
API_SHORTHAND = "execute-api:/"
_PRINCIPAL_TYPES = {"aws": "AWS", "service": "Service", "federated": "Federated", "canonicaluser": "CanonicalUser"}
_IAM_PRINCIPAL = re.compile(r"arn:(?P<partition>[^:]+):(?P<service>iam|sts)::(?P<account>[0-9]{12}):(?P<rest>.+)")


def strongest(kinds: Iterable[GrantKind | None]) -> GrantKind | None:
    found = [kind for kind in kinds if kind is not None]
    return min(found, key=_STRENGTH.index) if found else None


def principal_grant(principal: Any, caller: Caller) -> GrantKind | None:
    """The strongest way the Principal element names the caller, None when it does not."""
    if principal == "*":
        return GrantKind.EVERYONE
    if isinstance(principal, str):
        principal = _element(principal)
    if not isinstance(principal, dict):
        return None
    kinds: list[GrantKind | None] = []
    for key, values in principal.items():
        kind = _PRINCIPAL_TYPES.get(str(key).lower())
        for value in listify(values) or []:
            if not isinstance(value, str):
                continue
            if kind == "AWS" and value == "*":
                kinds.append(GrantKind.EVERYONE)  # the Principal page lists it with "*" as all principals
            elif kind == "AWS":
                kinds.append(_aws_grant(value, caller))
            elif kind == "CanonicalUser":  # an account, by its canonical user ID (S3)
                kinds.append(GrantKind.ACCOUNT if caller.is_iam and value == caller.canonical_id else None)
            elif kind in ("Service", "Federated") and caller.kind in (CallerKind.SERVICE, CallerKind.FEDERATED):
                kinds.append(GrantKind.SELF if value == caller.arn else None)
    return strongest(kinds)


def _element(principal: str) -> dict[str, str]:
    """A Principal written as a bare string (IAM wants an object): read as the principal it names."""
    service = principal.endswith((".amazonaws.com", ".amazonaws.com.cn")) and not principal.startswith("arn:")
    return {"Service" if service else "AWS": principal}


def _aws_grant(value: str, caller: Caller) -> GrantKind | None:
    if not caller.is_iam:
        return None
    if value == caller.account:
        return GrantKind.ACCOUNT
    match = _IAM_PRINCIPAL.fullmatch(value)
    if not match or match["account"] != caller.account or match["partition"] != caller.partition:
        return None
    service, rest = match["service"], match["rest"]
    if service == "iam" and rest == "root":
        return GrantKind.ACCOUNT
    kind, _, path = rest.partition("/")
    name = path.rsplit("/", 1)[-1]  # IAM names are unique in an account whatever the path
    if service == "iam" and kind == "user" and caller.kind is CallerKind.USER:
        return GrantKind.SELF if name == caller.name else None
    if service == "iam" and kind == "user" and caller.kind is CallerKind.FEDERATED_USER:
        return GrantKind.SESSION_ISSUER if name == caller.name else None
    if service == "iam" and kind == "role" and caller.kind in (CallerKind.ROLE, CallerKind.ROLE_SESSION):
        return GrantKind.SESSION_ISSUER if name == caller.name else None
    if service == "sts" and caller.kind in (CallerKind.ROLE_SESSION, CallerKind.FEDERATED_USER):
        return GrantKind.SELF if value == caller.arn else None
    return None


# What a NotPrincipal must list to exempt a caller: any one of these sets of identities.
_SELF, _ISSUER, _ACCOUNT = GrantKind.SELF, GrantKind.SESSION_ISSUER, GrantKind.ACCOUNT
_EXEMPTING = {
    CallerKind.USER: ({_SELF, _ACCOUNT},),
    CallerKind.ROLE: ({_ISSUER, _ACCOUNT},),
    CallerKind.ROLE_SESSION: ({_SELF, _ACCOUNT}, {_ISSUER, _ACCOUNT}),
    CallerKind.FEDERATED_USER: ({_SELF, _ACCOUNT}, {_ISSUER, _ACCOUNT}),
    CallerKind.ROOT: ({_ACCOUNT},),
    CallerKind.SERVICE: ({_SELF},),
    CallerKind.FEDERATED: ({_SELF},),
    CallerKind.ANONYMOUS: (),  # only NotPrincipal "*" names an unsigned caller
}


def not_principal_exempts(not_principal: Any, caller: Caller, strict: bool) -> bool:
    """Whether a NotPrincipal lists the caller (so its statement does not apply to the caller). `strict` (a Deny):
    only when it lists the caller fully, account included; otherwise (an Allow) any of the caller's identities
    listed is enough: read either way, the exemption never widens access."""
    if isinstance(not_principal, str) and not_principal != "*":
        not_principal = _element(not_principal)
    if not_principal == "*":
        return True
    if not isinstance(not_principal, dict):
        return False
    listed: set[GrantKind] = set()
    for kind, values in not_principal.items():
        for value in listify(values) or []:
            grant = principal_grant({kind: value}, caller)
            if grant is GrantKind.EVERYONE:
                return True
            if grant is not None:
                listed.add(grant)
    if not strict:
        return bool(listed)
    return any(required <= listed for required in _EXEMPTING[caller.kind])


# ---- one statement, as the evaluator reads it (the access tables prune with the same readings) -----------------


def statement_action_matches(statement: Statement, action: str) -> bool:
    """Whether the statement's Action (or NotAction) covers the action."""
    return action_matches(statement.actions, action) != statement.not_action


def statement_resource_truth(statement: Statement, arn: str, lookup: KeyLookup) -> Truth:
    """Whether the statement's Resource (or NotResource) covers the ARN; no Resource element covers any."""
    if statement.resources is None:
        return True
    patterns = statement.resources
    if statement.layer is Layer.RESOURCE:
        patterns = tuple(expand_api_shorthand(pattern, arn) for pattern in patterns)
    matched = resource_matches(patterns, arn, lookup)
    return negate(matched) if statement.not_resource else matched


def expand_api_shorthand(pattern: Any, arn: str) -> Any:
    """An API Gateway resource policy's `execute-api:/stage/method/path` as the full ARN of the API the request is
    for: API Gateway expands the shorthand with the API's region, account and ID when it saves the policy, so a
    policy that still holds it (written by a tool, or by a simulation that does not expand it) means that API."""
    if not (isinstance(pattern, str) and pattern.startswith(API_SHORTHAND)):
        return pattern
    api = execute_api_prefix(arn)
    return pattern if api is None else api + pattern[len(API_SHORTHAND) - 1:]


def execute_api_prefix(arn: str) -> str | None:
    """`arn:<partition>:execute-api:<region>:<account>:<api-id>` of an execute-api ARN, else None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
        return None
    return ":".join(parts[:5]) + ":" + parts[5].split("/", 1)[0]


def statement_names(statement: Statement, caller: Caller, has_boundary: bool = False) -> GrantKind | None:
    """How a resource policy's or RCP's statement names the caller, conditions aside; None if it does not. A Deny's
    NotPrincipal always applies to an IAM caller with a permissions boundary (IAM's NotPrincipal page)."""
    if statement.not_principal:
        always = not statement.allow and has_boundary and caller.is_iam
        if not always and not_principal_exempts(statement.principal, caller, strict=not statement.allow):
            return None
        return GrantKind.EVERYONE
    return principal_grant(statement.principal, caller)
