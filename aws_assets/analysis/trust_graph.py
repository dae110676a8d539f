"""The trust analysis as lake tables: TRUSTS edges, placeholder entities, unreadable documents, role chaining.

Pure (no Dagster, no DuckDB, no AWS): `build_trust_graph(roles, lake_targets)` runs the engine of
`aws_assets.analysis.trust` over every role's trust policy and returns the rows of four tables, each with one
explicit Arrow schema (also when empty):

- `aws_iam_role_trusts`: one `aws_iam_role TRUSTS <target>` edge per role and target, relationship-shaped
  (`_key` `<role arn>|trusts|<target key>`, `_type` by JupiterOne's naming: `aws_iam_role_trusts_user`,
  `aws_iam_role_trusts_lambda`, ...) with the engine's properties.
- `placeholder`: entity-shaped rows for the targets no ingested table holds (external accounts, principals of
  accounts not ingested, `everyone`, identity providers, deleted principals, services without an entity), so that
  both ends of every edge are in the `entities` view.
- `trust_policy_problems`: what the engine could not read (or found unusual), per role: never a silent gap.
- `role_reachability`: role chaining, which principals can end up in a role, through how many hops, by which path.

A target is the ingested entity when the lake holds its key. An assumed-role session names its role without the
role's path, so a session target is matched on the role NAME within its account (IAM role names are unique per
account, case-insensitively).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from aws_assets.analysis.trust import (
    ACCOUNT_TYPE,
    ASSUMED_ROLE,
    COLLECTED_TARGET_TYPES,
    EVERYONE_TYPE,
    FEDERATED_USER_TYPE,
    IDENTITY_PROVIDER_TYPE,
    OIDC_PROVIDER_TYPE,
    ROLE_TYPE,
    SAML_PROVIDER_TYPE,
    UNKNOWN_PRINCIPAL_TYPE,
    USER_TYPE,
    TrustEdge,
    analyse_roles,
    canonical_json,
    reachable_principals,
)
from aws_assets.model.entity import (
    COMMON_COLUMNS,
    Column,
    SchemaError,
    boolean,
    integer,
    json_text,
    schema_of,
    string,
    strings,
)
from aws_assets.model.relationship import RELATIONSHIP_COLUMNS, relationship_type_name

TRUSTS_TABLE = "aws_iam_role_trusts"
PLACEHOLDER_TABLE = "placeholder"
PROBLEMS_TABLE = "trust_policy_problems"
REACHABILITY_TABLE = "role_reachability"
VERB = "TRUSTS"

TRUST_PROPERTIES: tuple[Column, ...] = (
    string("targetName", "Name of the target: user or role name (the role's, for an assumed-role session), account "
           "ID, service principal (`lambda.amazonaws.com`) or identity provider name"),
    string("targetAccountId", "Account of the target (the role's own account for a service); empty for `everyone`, "
           "global identity providers and deleted principals"),
    string("trustZone", "`same_account`, `ingested_account` (another account of this lake), `external_account`, "
           "`public` (anyone: `*`, an Allow NotPrincipal, an identity provider whose audience is not pinned) or "
           "`unknown` (a deleted principal, whose account cannot be known)"),
    boolean("crossAccount", "Whether the target is outside the role's account (empty for a deleted principal)"),
    boolean("placeholder", f"Whether the target is a `{PLACEHOLDER_TABLE}` entity, not one collected from an "
            "ingested account"),
    strings("actions", "STS actions granted to the target: sts:AssumeRole, sts:AssumeRoleWithSAML, "
            "sts:AssumeRoleWithWebIdentity, and session actions such as sts:TagSession"),
    json_text("conditions", "The Condition of each granting statement, as a list: any one suffices, `{}` is none"),
    boolean("externalIdRequired", "Every granting statement requires sts:ExternalId"),
    boolean("mfaRequired", "Every granting statement requires MFA (aws:MultiFactorAuthPresent true, or "
            "aws:MultiFactorAuthAge)"),
    boolean("orgRestricted", "Every granting statement requires aws:PrincipalOrgID or aws:PrincipalOrgPaths"),
    boolean("sourceRestricted", "Every granting statement pins aws:SourceAccount, aws:SourceArn, aws:SourceOrgID "
            "or aws:SourceOrgPaths (the confused-deputy guard for services)"),
    boolean("principalRestricted", "Every granting statement pins aws:PrincipalArn, aws:PrincipalAccount, "
            "aws:userid or aws:username"),
    boolean("audienceRestricted", "Every granting statement pins the web identity token's audience or subject"),
    boolean("notPrincipal", "Granted through an Allow NotPrincipal: everyone except `exceptPrincipals`"),
    boolean("deletedPrincipal", "The target is the unique ID IAM leaves in place of a deleted user or role"),
    strings("principals", "The principals as the document writes them"),
    strings("principalKinds", "Their kinds: account, root, user, role, assumed_role, federated_user, service, "
            "federated, everyone, unique_id"),
    Column("statements", pa.list_(pa.int64()), "Indexes (from 0) of the granting statements in the document"),
    json_text("deniedWhen", "Conditional Deny statements that may still refuse the target, as a list"),
    strings("exceptPrincipals", "Principals inside the target that a Deny (or the NotPrincipal) excludes"),
)
TRUSTS_COLUMNS = (*RELATIONSHIP_COLUMNS, *TRUST_PROPERTIES)

PLACEHOLDER_COLUMNS: tuple[Column, ...] = (
    boolean("ingested", "Always false: the entity stands for a trust target that no ingested table holds"),
    string("reason", "Why it is a placeholder: an account not ingested, a type this project does not collect, "
           "`everyone`, a deleted principal, or an entity missing from an ingested account"),
)

PROBLEM_COLUMNS: tuple[Column, ...] = (
    string("roleKey", "`_key` of the role whose trust policy has the problem"),
    string("accountId", "Account of the role"),
    string("code", "What went wrong, e.g. unreadable_json, missing_principal, unknown_effect, unsupported_element"),
    string("severity", "`error`: a grant may be missing or unsure; `warning`: unusual but understood"),
    string("message", "The problem in words, naming the statement and element"),
    integer("statement", "Index (from 0) of the statement the problem is in; empty for the whole document"),
)

REACHABILITY_COLUMNS: tuple[Column, ...] = (
    string("roleKey", "`_key` of the role someone can end up in"),
    string("accountId", "Account of the role"),
    string("principalKey", "`_key` of the principal (user, role, account, service, provider, everyone) that can "
           "end up in the role"),
    string("principalType", "`_type` of the principal"),
    integer("hops", "How many role assumptions it takes: 1 when the role trusts the principal directly"),
    strings("path", "The TRUSTS edges followed, as entity keys: the role first, the principal last"),
)

TABLE_DESCRIPTIONS = {
    TRUSTS_TABLE: "`aws_iam_role` **TRUSTS** `aws_iam_user | aws_iam_role | aws_account | aws_<service> | ...`: who "
    "may assume each role, from its trust policy read statement by statement (Effect, Action, every Principal form, "
    "Conditions), with the trust zone and the flags a reviewer filters on (externalIdRequired, mfaRequired, "
    "orgRestricted, sourceRestricted, crossAccount).",
    PLACEHOLDER_TABLE: "Entities standing for trust targets no ingested table holds (external accounts, principals "
    "of accounts not ingested, `everyone`, identity providers, deleted principals, services without an entity), "
    "marked `ingested` false with the `reason`; part of the `entities` view.",
    PROBLEMS_TABLE: "What the trust analysis could not read, or found unusual, per role and statement: a document "
    "it cannot read is listed here, never silently skipped.",
    REACHABILITY_TABLE: "Role chaining: every principal that can end up in a role, through how few role assumptions "
    "(`hops`), along which `path` of TRUSTS edges.",
}


TRUSTS_SCHEMA = schema_of(TRUSTS_COLUMNS)
PLACEHOLDER_SCHEMA = schema_of((*COMMON_COLUMNS, *PLACEHOLDER_COLUMNS))
PROBLEMS_SCHEMA = schema_of(PROBLEM_COLUMNS)
REACHABILITY_SCHEMA = schema_of(REACHABILITY_COLUMNS)

# JupiterOne data-model classes of the placeholder targets; services are `Service` like the collected ones.
PLACEHOLDER_CLASSES = {
    ACCOUNT_TYPE: "Account",
    USER_TYPE: "User",
    ROLE_TYPE: "AccessRole",
    EVERYONE_TYPE: "Everyone",
    SAML_PROVIDER_TYPE: "Resource",
    OIDC_PROVIDER_TYPE: "Resource",
    IDENTITY_PROVIDER_TYPE: "Resource",
    UNKNOWN_PRINCIPAL_TYPE: "Resource",
    FEDERATED_USER_TYPE: "User",
}
_GLOBAL_REASONS = {
    EVERYONE_TYPE: "everyone: any principal, as `*` in a trust policy means",
    IDENTITY_PROVIDER_TYPE: "a web identity provider outside AWS accounts",
    UNKNOWN_PRINCIPAL_TYPE: "a deleted principal: IAM left its unique ID in the trust policy",
}


@dataclass(frozen=True)
class LakeTargets:
    """What the lake holds of the entities a trust can point at."""

    keys: frozenset[str]  # `_key` of every ingested entity of a COLLECTED_TARGET_TYPES table
    ingested_accounts: frozenset[str]  # the accounts of the aws_account table
    role_keys_by_name: Mapping[tuple[str, str], str]  # (account, lower-case role name) -> the role's `_key`


@dataclass(frozen=True)
class TrustGraph:
    edges: pa.Table
    placeholders: pa.Table
    problems: pa.Table
    reachability: pa.Table


def lake_targets(
    target_keys: Iterable[str], accounts: Iterable[str], roles: Iterable[Mapping[str, Any]]
) -> LakeTargets:
    """From the keys of the target tables, the aws_account IDs and the role rows (`_key`, accountId, roleName)."""
    return LakeTargets(
        keys=frozenset(target_keys),
        ingested_accounts=frozenset(accounts),
        role_keys_by_name={(role["accountId"], role["roleName"].lower()): role["_key"] for role in roles},
    )


def build_trust_graph(roles: Iterable[Mapping[str, Any]], targets: LakeTargets) -> TrustGraph:
    """The four tables from the role rows (`_key`, accountId, trustPolicy as the aws_iam_role table holds them)."""
    edges: list[TrustEdge] = []
    problems: list[dict[str, Any]] = []
    for role, analysis, found in analyse_roles(sorted(roles, key=lambda r: r["_key"]), targets.ingested_accounts):
        problems += [
            {"roleKey": role["_key"], "accountId": role["accountId"], "code": p.code, "severity": p.severity,
             "message": p.message, "statement": p.statement}
            for p in analysis.problems
        ]
        edges += _onto_lake(found, targets)
    return TrustGraph(
        edges=_table(TRUSTS_TABLE, TRUSTS_SCHEMA, [_edge_row(edge) for edge in edges]),
        placeholders=_table(PLACEHOLDER_TABLE, PLACEHOLDER_SCHEMA, _placeholder_rows(edges, targets)),
        problems=_table(PROBLEMS_TABLE, PROBLEMS_SCHEMA, problems),
        reachability=_table(REACHABILITY_TABLE, REACHABILITY_SCHEMA, _reachability_rows(edges)),
    )


def _onto_lake(edges: list[TrustEdge], targets: LakeTargets) -> list[TrustEdge]:
    """One role's edges pointing at the lake's entities: session targets resolved to the role's real key, edges
    that then meet the same target merged, `placeholder` set by what the lake holds."""
    by_target: dict[str, TrustEdge] = {}
    for edge in edges:
        edge = _resolve_session(edge, targets)
        known = by_target.get(edge.to_key)
        by_target[edge.to_key] = edge if known is None else _merge(known, edge)
    placed = []
    for _, edge in sorted(by_target.items()):
        placeholder = edge.to_key not in targets.keys
        placed.append(edge if edge.placeholder == placeholder else replace(edge, placeholder=placeholder))
    return placed


def _resolve_session(edge: TrustEdge, targets: LakeTargets) -> TrustEdge:
    if edge.to_type != ROLE_TYPE or ASSUMED_ROLE not in edge.principal_kinds or edge.to_key in targets.keys:
        return edge
    key = targets.role_keys_by_name.get((edge.to_account_id or "", (edge.to_name or "").lower()))
    return edge if key is None else replace(edge, to_key=key)


def _merge(a: TrustEdge, b: TrustEdge) -> TrustEdge:
    """Two edges of one role to one target (a role's ARN with its path, and a session naming it without): as the
    engine merges statements, any one grant suffices, so a flag holds only when both require it."""
    return replace(
        a,
        actions=tuple(sorted({*a.actions, *b.actions})),
        conditions=_json_list_union(a.conditions, b.conditions),
        external_id_required=a.external_id_required and b.external_id_required,
        mfa_required=a.mfa_required and b.mfa_required,
        org_restricted=a.org_restricted and b.org_restricted,
        source_restricted=a.source_restricted and b.source_restricted,
        principal_restricted=a.principal_restricted and b.principal_restricted,
        audience_restricted=a.audience_restricted and b.audience_restricted,
        not_principal=a.not_principal and b.not_principal,
        principals=tuple(sorted({*a.principals, *b.principals})),
        principal_kinds=tuple(sorted({*a.principal_kinds, *b.principal_kinds})),
        statements=tuple(sorted({*a.statements, *b.statements})),
        denied_when=_json_list_union(a.denied_when, b.denied_when),
        except_principals=tuple(sorted(set(a.except_principals) & set(b.except_principals))),
    )


def _json_list_union(a: str, b: str) -> str:
    """Two of the engine's canonical JSON lists as one, written as the engine writes them."""
    items = sorted({canonical_json(item) for item in (*json.loads(a), *json.loads(b))})
    return "[" + ", ".join(items) + "]"


def _edge_row(edge: TrustEdge) -> dict[str, Any]:
    return {
        **edge.as_row(),
        "_type": relationship_type_name(edge.from_type, VERB, edge.to_type),
        "_class": VERB,
    }


def _placeholder_rows(edges: list[TrustEdge], targets: LakeTargets) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for edge in edges:
        if not edge.placeholder or edge.to_key in rows:
            continue
        name = edge.to_name or edge.to_key
        rows[edge.to_key] = {
            "_key": edge.to_key,
            "_type": edge.to_type,
            "_class": [PLACEHOLDER_CLASSES.get(edge.to_type, "Service")],
            "name": name,
            "displayName": "Everyone" if edge.to_type == EVERYONE_TYPE else name,
            "accountId": edge.to_account_id,
            "region": "global" if edge.to_account_id else None,
            "arn": edge.to_key if edge.to_key.startswith("arn:") else None,
            "tags": [],
            "ingested": False,
            "reason": _placeholder_reason(edge, targets),
        }
    return [rows[key] for key in sorted(rows)]


def _placeholder_reason(edge: TrustEdge, targets: LakeTargets) -> str:
    if edge.to_type in _GLOBAL_REASONS:
        return _GLOBAL_REASONS[edge.to_type]
    if edge.to_type == FEDERATED_USER_TYPE:
        return "a federated user session (sts:GetFederationToken), which no table holds"
    if edge.to_account_id not in targets.ingested_accounts:
        return f"account {edge.to_account_id} is not ingested"
    if edge.to_type not in COLLECTED_TARGET_TYPES:
        return f"{edge.to_type} entities are not collected"
    return f"account {edge.to_account_id} is ingested but its tables hold no such {edge.to_type}"


def _reachability_rows(edges: list[TrustEdge]) -> list[dict[str, Any]]:
    # The engine meets a trusted role with the role holding edges by account and name (paths and case aside), so a
    # principal may be named by a role's own key rather than by an edge's target key.
    types = {**{edge.from_key: ROLE_TYPE for edge in edges}, **{edge.to_key: edge.to_type for edge in edges}}
    account_of = {edge.from_key: edge.account_id for edge in edges}
    return [
        {"roleKey": reach.role, "accountId": account_of[reach.role], "principalKey": reach.principal,
         "principalType": types[reach.principal], "hops": reach.hops, "path": list(reach.path)}
        for reach in reachable_principals(edges)
    ]


def _table(name: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as a table of exactly `schema`: a key the schema lacks is a programming error, not a dropped column."""
    names = set(schema.names)
    for row in rows:
        unknown = row.keys() - names
        if unknown:
            raise SchemaError(f"{name}: row {row.get('_key') or row} has undeclared columns {sorted(unknown)}")
    # Column by column: pyarrow converts a list per column several times faster than a list of row dicts.
    return pa.Table.from_pydict({column: [row.get(column) for row in rows] for column in schema.names}, schema=schema)
