"""The IAM policy analysis as lake tables: ALLOWS and DENIES edges, each principal's effective reach, the problems.

Pure (no Dagster, no DuckDB, no AWS): `build_access_graph(policies, principals, index)` runs the engine of
`aws_assets.analysis.policy` over every identity policy (managed, and inline of users, groups and roles) and returns
the rows of three tables, each with one explicit Arrow schema (also when empty):

- `iam_policy_allows`: one `AccessPolicy ALLOWS <target>` (or `DENIES`, for an explicit Deny) edge per policy, verb
  and target, relationship-shaped (`_key` `<policy key>|allows|<target key>`, `_type` by JupiterOne's naming:
  `aws_iam_policy_allows_s3_bucket`, `aws_iam_role_policy_allows_account`, ...), its statements merged.
- `principal_access`: per user, group and role, every target its policies reach, through which (`via`: attached,
  inline, `group:<name>`), and whether the access is in force: an unconditional Deny reaching the same principal
  (`deniedBy`) or the principal's permissions boundary (`boundaryLimited`) may remove it (`effective`).
- `access_policy_problems`: what the engine could not read (or found unusual), per policy: never a silent gap.

Choices: a document is read once however many policies hold it (AWS managed policies repeat in every account), and
its targets are matched once per account. A principal's row merges the policies that reach one target; an action
is effective unless a certain Deny of any of the principal's policies covers it on that target, or the principal has
an ingested permissions boundary none of whose Allow statements covers it (a boundary that is not ingested limits
nothing the analysis can see). A Deny row is `effective` when at least one of its statements has no condition.
Service control policies and resource policies are not read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from aws_assets.analysis.policy import (
    ALLOWS,
    DENIES,
    READ,
    WRITE,
    Grant,
    PolicyAnalysis,
    PolicyReach,
    PolicyStatement,
    ResourceIndex,
    parse_identity_policy,
    policy_grants,
    statement_covers,
)
from aws_assets.analysis.trust import canonical_json
from aws_assets.analysis.trust_graph import _table, schema_of
from aws_assets.entity import Column, boolean, integer, json_text, string, strings
from aws_assets.relationships.model import RELATIONSHIP_COLUMNS, relationship_type_name
from aws_assets.services.iam import managed_policy_key

EDGES_TABLE = "iam_policy_allows"
ACCESS_TABLE = "principal_access"
PROBLEMS_TABLE = "access_policy_problems"
POLICY_TABLES = ("aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role_policy")
PRINCIPAL_TABLES = ("aws_iam_user", "aws_iam_group", "aws_iam_role")

_COMMON_PROPERTIES: tuple[Column, ...] = (
    strings("actions", "The actions of the Action statements behind it, as written (prefix in lower case)"),
    strings("notActions", "The actions NotAction statements behind it exclude: everything else is granted"),
    boolean("notAction", "Granted (or denied) through a NotAction statement: every action but `notActions`"),
    boolean("read", "Some granted action reads (List or Read access level, AWS's Service Authorization "
            "Reference)"),
    boolean("write", "Some granted action writes (Write, Permissions management or Tagging access level)"),
    boolean("admin", "Granted by a statement allowing every action (`*`) on every resource (`*`)"),
    boolean("conditional", "Every statement behind it has a Condition (or one the analysis could not read)"),
    boolean("crossAccount", "The target is in another account than the policy"),
)
EDGE_PROPERTIES: tuple[Column, ...] = (
    string("targetAccountId", "Account of the target"),
    *_COMMON_PROPERTIES,
    strings("resources", "The Resource (or NotResource) patterns that reach the target, as written"),
    json_text("conditions", "The Condition of each statement behind it, as a list: any one suffices, `{}` is none"),
    Column("statements", pa.list_(pa.int64()), "Indexes (from 0) of the statements behind it in the document"),
    boolean("notResource", "Reached through a NotResource statement: every resource but the listed"),
    boolean("policyVariables", "A pattern behind it holds a policy variable (`${aws:username}`), read as `*`"),
)
EDGE_COLUMNS = (*RELATIONSHIP_COLUMNS, *EDGE_PROPERTIES)

ACCESS_COLUMNS: tuple[Column, ...] = (
    string("principalKey", "`_key` of the user, group or role"),
    string("principalType", "`aws_iam_user`, `aws_iam_group` or `aws_iam_role`"),
    string("accountId", "Account of the principal"),
    string("verb", "`ALLOWS` or `DENIES`"),
    string("targetKey", "`_key` of the entity reached: a resource, a service entity (`aws_s3:<account>`) or the "
           "account"),
    string("targetType", "`_type` of the target"),
    string("targetAccountId", "Account of the target"),
    strings("via", "How the policies reach the principal: `attached`, `inline`, `group:<group name>`"),
    strings("policyKeys", "`_key` of each policy behind the row"),
    *_COMMON_PROPERTIES,
    strings("deniedBy", "Policies of the principal whose unconditional Deny covers some of the actions on the "
            "target"),
    strings("deniedWhen", "Policies of the principal whose conditional Deny may refuse some of the actions"),
    boolean("boundaryLimited", "The principal's permissions boundary (ingested) does not allow some of the "
            "actions on the target"),
    strings("effectiveActions", "The actions that remain once Denies and the boundary are applied (for an Allow)"),
    boolean("effective", "An Allow: some access remains once unconditional Denies and the permissions boundary are "
            "applied. A Deny: some statement behind it has no condition"),
)

PROBLEM_COLUMNS: tuple[Column, ...] = (
    string("policyKey", "`_key` of the policy whose document has the problem"),
    string("policyType", "`_type` of the policy: aws_iam_policy, aws_iam_user_policy, ..."),
    string("accountId", "Account of the policy"),
    string("code", "What went wrong, e.g. unreadable_json, statement_not_object, invalid_effect, missing_resource, "
           "principal_in_identity_policy, target_not_ingested"),
    string("severity", "`error`: a grant may be missing or unsure; `warning`: unusual but understood"),
    string("message", "The problem in words, naming the statement and element"),
    integer("statement", "Index (from 0) of the statement the problem is in; empty for the whole document"),
)

TABLE_DESCRIPTIONS = {
    EDGES_TABLE: "`aws_iam_policy | aws_iam_user_policy | aws_iam_group_policy | aws_iam_role_policy` **ALLOWS** "
    "(or **DENIES**) `<resource> | aws_<service> | aws_account`: what each identity policy grants or refuses, on "
    "the ingested resources its statements match; wildcards point at the coarsest entity (`*` the account, "
    "`s3:*` on `*` the account's `aws_s3`).",
    ACCESS_TABLE: "What each user, group and role can reach through its attached, inline and group policies, and "
    "whether it is in force once Denies and the permissions boundary are applied.",
    PROBLEMS_TABLE: "What the IAM policy analysis could not read, or found unusual, per policy and statement: a "
    "document it cannot read is listed here, never silently skipped.",
}

EDGES_SCHEMA = schema_of(EDGE_COLUMNS)
ACCESS_SCHEMA = schema_of(ACCESS_COLUMNS)
PROBLEMS_SCHEMA = schema_of(PROBLEM_COLUMNS)


@dataclass(frozen=True)
class AccessGraph:
    edges: pa.Table
    access: pa.Table
    problems: pa.Table


@dataclass(frozen=True)
class _Policy:
    key: str
    type: str
    account_id: str
    analysis: PolicyAnalysis
    reach: PolicyReach


def read_policies(policies: Iterable[Mapping[str, Any]], index: ResourceIndex) -> dict[str, _Policy]:
    """Every policy row (`_key`, `_type`, accountId, document) analysed; each document read once, and matched once
    per account."""
    analyses: dict[Any, PolicyAnalysis] = {}
    reaches: dict[tuple[Any, str], PolicyReach] = {}
    read: dict[str, _Policy] = {}
    for row in sorted(policies, key=lambda r: r["_key"]):
        document, account_id = row["document"], row["accountId"]
        # The lake holds documents as text; a document given as an object is keyed by its canonical JSON.
        text = document if document is None or isinstance(document, (str, bytes)) else canonical_json(document)
        analysis = analyses.get(text)
        if analysis is None:
            analysis = analyses[text] = parse_identity_policy(document)
        reach = reaches.get((text, account_id))
        if reach is None:
            reach = reaches[(text, account_id)] = policy_grants(account_id, analysis, index)
        read[row["_key"]] = _Policy(row["_key"], row["_type"], account_id, analysis, reach)
    return read


def build_access_graph(
    policies: Iterable[Mapping[str, Any]], principals: Iterable[Mapping[str, Any]], index: ResourceIndex
) -> AccessGraph:
    """The three tables. `policies`: rows with `_key`, `_type`, accountId, document and, for inline policies,
    `ownerKey` (the user, group or role ARN). `principals`: rows with `_key`, `_type`, accountId, `name` (user,
    group or role name), attachedPolicyArns, and groupNames and permissionsBoundaryArn where the type has them."""
    policies = list(policies)
    read = read_policies(policies, index)
    edges = [_edge_row(policy, grant) for policy in read.values() for grant in policy.reach.grants]
    problems = [
        {"policyKey": policy.key, "policyType": policy.type, "accountId": policy.account_id, "code": p.code,
         "severity": p.severity, "message": p.message, "statement": p.statement}
        for policy in read.values() for p in (*policy.analysis.problems, *policy.reach.problems)
    ]
    access = _access_rows(policies, list(principals), read)
    return AccessGraph(
        edges=_table(EDGES_TABLE, EDGES_SCHEMA, edges),
        access=_table(ACCESS_TABLE, ACCESS_SCHEMA, access),
        problems=_table(PROBLEMS_TABLE, PROBLEMS_SCHEMA, problems),
    )


def _flags(grant: Grant, account_id: str) -> dict[str, Any]:
    return {
        "actions": sorted(grant.actions),
        "notActions": sorted(grant.not_actions),
        "notAction": grant.not_action,
        "read": READ in grant.levels,
        "write": WRITE in grant.levels,
        "admin": grant.admin,
        "conditional": grant.conditional,
        "crossAccount": grant.target.account_id != account_id,
    }


def _edge_row(policy: _Policy, grant: Grant) -> dict[str, Any]:
    target = grant.target
    return {
        "_key": f"{policy.key}|{grant.verb.lower()}|{target.key}",
        "_type": relationship_type_name(policy.type, grant.verb, target.type),
        "_class": grant.verb,
        "_fromEntityKey": policy.key,
        "_toEntityKey": target.key,
        "_fromEntityType": policy.type,
        "_toEntityType": target.type,
        "accountId": policy.account_id,
        "targetAccountId": target.account_id,
        **_flags(grant, policy.account_id),
        "resources": sorted(grant.resources),
        # Joined from canonical JSON texts: the canonical JSON of the list.
        "conditions": "[" + ", ".join(sorted(grant.conditions)) + "]",
        "statements": sorted(grant.statements),
        "notResource": grant.not_resource,
        "policyVariables": grant.policy_variables,
    }


# ---- effective reach per principal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reached:
    via: str
    policy: _Policy
    grant: Grant


def principal_policies(
    policies: list[Mapping[str, Any]], principals: list[Mapping[str, Any]], read: Mapping[str, _Policy]
) -> dict[str, list[tuple[str, _Policy]]]:
    """Principal key -> (via, policy) for every policy reaching it: attached, inline, and a user's groups'."""
    inline: dict[str, list[_Policy]] = {}
    for row in policies:
        if row.get("ownerKey") and row["_key"] in read:
            inline.setdefault(row["ownerKey"], []).append(read[row["_key"]])
    groups = {(p["accountId"], p["name"]): p for p in principals if p["_type"] == "aws_iam_group"}

    def own(principal: Mapping[str, Any]) -> list[tuple[str, _Policy]]:
        attached = [
            ("attached", read[key]) for arn in principal.get("attachedPolicyArns") or ()
            if (key := managed_policy_key(arn, principal["accountId"])) in read
        ]
        return attached + [("inline", policy) for policy in inline.get(principal["_key"], ())]

    reached: dict[str, list[tuple[str, _Policy]]] = {}
    for principal in principals:
        found = own(principal)
        for name in principal.get("groupNames") or ():
            group = groups.get((principal["accountId"], name))
            if group is not None:
                found += [(f"group:{name}", policy) for _, policy in own(group)]
        reached[principal["_key"]] = found
    return reached


def _access_rows(
    policies: list[Mapping[str, Any]], principals: list[Mapping[str, Any]], read: Mapping[str, _Policy]
) -> list[dict[str, Any]]:
    reached = principal_policies(policies, principals, read)
    rows = []
    for principal in sorted(principals, key=lambda p: p["_key"]):
        boundary_arn = principal.get("permissionsBoundaryArn")
        boundary = read.get(managed_policy_key(boundary_arn, principal["accountId"])) if boundary_arn else None
        through = reached[principal["_key"]]
        distinct = {policy.key: policy for _, policy in through}
        denies = [
            (policy, statement) for policy in distinct.values()
            for statement in policy.analysis.statements if statement.effect == "Deny"
        ]
        by_target: dict[tuple[str, str], list[_Reached]] = {}
        for via, policy in through:
            for grant in policy.reach.grants:
                by_target.setdefault((grant.verb, grant.target.key), []).append(_Reached(via, policy, grant))
        for (verb, _), items in sorted(by_target.items(), key=lambda item: (item[0][1], item[0][0])):
            rows.append(_access_row(principal, verb, items, denies, boundary))
    return rows


def _access_row(
    principal: Mapping[str, Any], verb: str, items: list[_Reached],
    denies: list[tuple[_Policy, PolicyStatement]], boundary: _Policy | None,
) -> dict[str, Any]:
    target = items[0].grant.target
    merged = Grant(verb, target)
    for item in items:
        grant = item.grant
        merged.actions |= grant.actions
        merged.not_actions |= grant.not_actions
        merged.levels |= grant.levels
        merged.admin = merged.admin or grant.admin
        merged.conditional = merged.conditional and grant.conditional
    row = {
        "principalKey": principal["_key"],
        "principalType": principal["_type"],
        "accountId": principal["accountId"],
        "verb": verb,
        "targetKey": target.key,
        "targetType": target.type,
        "targetAccountId": target.account_id,
        "via": sorted({item.via for item in items}),
        "policyKeys": sorted({item.policy.key for item in items}),
        **_flags(merged, principal["accountId"]),
    }
    if verb == DENIES:
        return {**row, "deniedBy": [], "deniedWhen": [], "boundaryLimited": False, "effectiveActions": [],
                "effective": not merged.conditional}
    denied_by: set[str] = set()
    denied_when: set[str] = set()
    limited = False

    def survives(actions: tuple[str, ...], not_action: bool) -> bool:
        nonlocal limited
        certain = False
        for policy, statement in denies:
            if statement_covers(statement, policy.account_id, actions, not_action, target,
                                variables_match=not statement.certain):
                if statement.certain:
                    denied_by.add(policy.key)
                    certain = True
                else:
                    denied_when.add(policy.key)
        if certain:
            return False
        if boundary is not None and not any(
            statement.effect == "Allow" and statement_covers(
                statement, boundary.account_id, actions, not_action, target, variables_match=True)
            for statement in boundary.analysis.statements
        ):
            limited = True
            return False
        return True

    effective_actions = [action for action in sorted(merged.actions) if survives((action,), False)]
    excluded_survives = bool(merged.not_actions) and survives(tuple(sorted(merged.not_actions)), True)
    return {
        **row,
        "deniedBy": sorted(denied_by),
        "deniedWhen": sorted(denied_when),
        "boundaryLimited": limited,
        "effectiveActions": effective_actions,
        "effective": bool(effective_actions) or excluded_survives,
    }
