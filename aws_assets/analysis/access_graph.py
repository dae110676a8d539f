"""The IAM policy analysis as lake tables: ALLOWS and DENIES edges, each principal's effective reach, the problems.

Pure (no Dagster, no DuckDB, no AWS): `build_access_graph(policies, principals, index)` runs the engine of
`aws_assets.analysis.policy` over every identity policy (managed, and inline of users, groups and roles) and returns
the rows of three tables, each with one explicit Arrow schema (also when empty):

- `iam_policy_allows`: one `AccessPolicy ALLOWS <target>` (or `DENIES`, for an explicit Deny) edge per policy, verb
  and target, relationship-shaped (`_key` `<policy key>|allows|<target key>`, `_type` by JupiterOne's naming:
  `aws_iam_policy_allows_s3_bucket`, `aws_iam_role_policy_allows_account`, ...), its statements merged.
- the engine's reach per principal (`access`): per user, group and role, every target its policies reach, through
  which (`via`: attached, inline, `group:<name>`), and whether the access is in force: an unconditional Deny
  reaching the same principal (`deniedBy`) or the principal's permissions boundary (`boundaryLimited`) may remove it
  (`effective`). The lake's `principal_access` is no longer this table but the request evaluator's
  (`aws_assets.analysis.principal_access`); `benchmarks/policy_analysis.py` still measures this one beside it.
- `access_policy_problems`: what the engine could not read (or found unusual), per policy: never a silent gap.

Choices: a document is read once however many policies hold it (AWS managed policies repeat in every account), and
its targets are matched once per account. A principal's row merges the policies that reach one target; an action
is effective unless a certain Deny of any of the principal's policies covers it on that target, or the principal has
an ingested permissions boundary none of whose Allow statements covers it (a boundary that is not ingested limits
nothing the analysis can see). A Deny row is `effective` when at least one of its statements has no condition.
Service control policies and resource policies are not read here.

At scale (hundreds of accounts, a million rows) the rows repeat: an edge's columns but its policy's are its
grant's, the same for every policy holding the document in the account; a principal_access row's columns but the
principal's key and type are the same for every principal of the account reached the same ways by the same
policies, with the same Denies and boundary. Each distinct row is built once (its lists sorted once, and shared),
converted to Arrow column by column, and repeated by index (`take`), a batch of rows at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aws_assets.analysis.heap import without_cycle_collection
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
from aws_assets.analysis.trust_graph import _table
from aws_assets.model.conventions import managed_policy_key
from aws_assets.model.entity import Column, SchemaError, boolean, integer, json_text, schema_of, string, strings
from aws_assets.model.relationship import RELATIONSHIP_COLUMNS, relationship_type_name

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
    with without_cycle_collection():
        policies = list(policies)
        read = read_policies(policies, index)
        problems = [
            {"policyKey": policy.key, "policyType": policy.type, "accountId": policy.account_id, "code": p.code,
             "severity": p.severity, "message": p.message, "statement": p.statement}
            for policy in read.values() for p in (*policy.analysis.problems, *policy.reach.problems)
        ]
        lists = _Lists()
        return AccessGraph(
            edges=_edges_table(read, lists),
            access=_access_table(policies, list(principals), read, lists),
            problems=_table(PROBLEMS_TABLE, PROBLEMS_SCHEMA, problems),
        )




# ---- tables of repeated rows -------------------------------------------------------------------------------------


# Rows converted to Arrow at a time: the Python values of one batch of rows at most are alive at once.
_BATCH_ROWS = 1 << 16


def _template_table(schema: pa.Schema, columns: tuple[str, ...], templates: list[tuple[Any, ...]]) -> pa.Table:
    """Row templates (tuples of `columns`) as a table of those fields of `schema`, converted column by column."""
    return pa.Table.from_arrays(
        [pa.array([template[i] for template in templates], schema.field(column).type)
         for i, column in enumerate(columns)],
        schema=pa.schema([schema.field(column) for column in columns]),
    )


def _stamped_table(
    name: str, schema: pa.Schema, templates: pa.Table, picks: list[int],
    row_columns: Mapping[str, pa.Array | list[Any]],
) -> pa.Table:
    """Rows repeating a few distinct templates: row i is the template `picks[i]`, and row i of each of
    `row_columns`; each template is converted once and repeated by index."""
    if set(templates.column_names) | set(row_columns) != set(schema.names) or (
            set(templates.column_names) & set(row_columns)):
        raise SchemaError(f"{name}: columns {sorted(templates.column_names)} and {sorted(row_columns)} do not make "
                          f"up the schema {schema.names}")
    indexes = pa.array(picks, pa.int64())
    return pa.Table.from_arrays(
        [templates.column(field.name).take(indexes) if field.name in templates.column_names
         else _array(row_columns[field.name], field.type) for field in schema],
        schema=schema,
    )


def _array(values: pa.Array | list[Any], type_: pa.DataType) -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(values, type_)


class _Lists:
    """The sorted lists of the rows, each distinct one built once and shared by every row holding it (rows only
    read them), so that a million rows do not hold a million copies; and a grant's sorted facts, once per grant."""

    EMPTY: list[Any] = []

    def __init__(self) -> None:
        self._lists: dict[frozenset[Any], list[Any]] = {}
        self._ones: dict[Any, list[Any]] = {}
        self._facts: dict[int, tuple[Grant, tuple[Any, ...]]] = {}

    def sorted(self, values: Iterable[Any]) -> list[Any]:
        values = frozenset(values)
        found = self._lists.get(values)
        if found is None:
            found = self._lists[values] = sorted(values)
        return found

    def one(self, value: Any) -> list[Any]:
        found = self._ones.get(value)
        if found is None:
            found = self._ones[value] = [value]
        return found

    def facts(self, grant: Grant) -> tuple[Any, ...]:
        """actions, notActions, notAction, read, write, admin, conditional: what `_COMMON_PROPERTIES` take from a
        grant (all but crossAccount, which is the row's account's)."""
        found = self._facts.get(id(grant))
        if found is None:
            # The grant is kept with its facts: its id is not reused while the cache lives.
            found = self._facts[id(grant)] = (grant, (
                self.sorted(grant.actions), self.sorted(grant.not_actions), grant.not_action,
                READ in grant.levels, WRITE in grant.levels, grant.admin, grant.conditional,
            ))
        return found[1]


# ---- edges -------------------------------------------------------------------------------------------------------

# What an edge takes from its policy; the rest is its grant's, the same for every policy holding the document in
# the account (`read_policies` shares the reach). `_key` is joined from the others.
_EDGE_POLICY_COLUMNS = ("_type", "_fromEntityKey", "_fromEntityType", "accountId")
_EDGE_GRANT_COLUMNS = tuple(name for name in EDGES_SCHEMA.names if name not in ("_key", *_EDGE_POLICY_COLUMNS))
_EDGE_BODY_SCHEMA = pa.schema([field for field in EDGES_SCHEMA if field.name != "_key"])


def _edges_table(read: Mapping[str, _Policy], lists: _Lists) -> pa.Table:
    policies = list(read.values())
    templates: list[tuple[Any, ...]] = []
    first_template: dict[int, int] = {}  # id of a reach (kept alive by `read`) -> template of its first grant
    for policy in policies:
        if id(policy.reach) not in first_template:
            first_template[id(policy.reach)] = len(templates)
            templates += [_edge_template(grant, policy.account_id, lists) for grant in policy.reach.grants]
    grants = _template_table(EDGES_SCHEMA, _EDGE_GRANT_COLUMNS, templates)
    del templates  # converted: the rows need only their indexes
    of_policies = {
        column: pa.array([getattr(policy, attribute) for policy in policies], pa.string())
        for column, attribute in (("_fromEntityKey", "key"), ("_fromEntityType", "type"), ("accountId", "account_id"))
    }
    type_names: dict[tuple[str, int], list[str]] = {}  # (policy type, id of a reach) -> `_type` of each grant
    batches = []
    picks: list[int] = []
    owners: list[int] = []  # index in `policies` of each edge's policy
    names: list[str] = []
    for number, policy in enumerate(policies):
        its_grants = policy.reach.grants
        its_names = type_names.get((policy.type, id(policy.reach)))
        if its_names is None:
            its_names = type_names[(policy.type, id(policy.reach))] = [
                relationship_type_name(policy.type, grant.verb, grant.target.type) for grant in its_grants]
        first = first_template[id(policy.reach)]
        picks += range(first, first + len(its_grants))
        owners += [number] * len(its_grants)
        names += its_names
        if len(picks) >= _BATCH_ROWS or number == len(policies) - 1:
            batches.append(_edge_batch(grants, of_policies, picks, owners, names))
            picks, owners, names = [], [], []
    return pa.concat_tables(batches) if batches else _edge_batch(grants, of_policies, [], [], [])


def _edge_batch(
    grants: pa.Table, of_policies: Mapping[str, pa.Array], picks: list[int], owners: list[int], names: list[str],
) -> pa.Table:
    owner_index = pa.array(owners, pa.int64())
    of_edges = {column: array.take(owner_index) for column, array in of_policies.items()}
    body = _stamped_table(EDGES_TABLE, _EDGE_BODY_SCHEMA, grants, picks, {"_type": names, **of_edges})
    keys = pc.binary_join_element_wise(
        body.column("_fromEntityKey"), pc.utf8_lower(body.column("_class")), body.column("_toEntityKey"), "|")
    return pa.Table.from_arrays([keys, *body.columns], schema=EDGES_SCHEMA)


def _edge_template(grant: Grant, account_id: str, lists: _Lists) -> tuple[Any, ...]:
    target = grant.target
    return (
        grant.verb, target.key, target.type, target.account_id,
        *lists.facts(grant), target.account_id != account_id,
        lists.sorted(grant.resources),
        # Joined from canonical JSON texts: the canonical JSON of the list.
        "[" + ", ".join(sorted(grant.conditions)) + "]",
        lists.sorted(grant.statements), grant.not_resource, grant.policy_variables,
    )


# ---- effective reach per principal -------------------------------------------------------------------------------


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


# What a row takes from its principal; the rest is the same for every principal of the account reached by the same
# policies, the same ways, with the same permissions boundary.
_ACCESS_PRINCIPAL_COLUMNS = ("principalKey", "principalType", "accountId")
_ACCESS_TEMPLATE_COLUMNS = tuple(name for name in ACCESS_SCHEMA.names if name not in _ACCESS_PRINCIPAL_COLUMNS)
_Item = tuple[str, _Policy, Grant]  # a grant reaching a principal: via, policy, grant


def _access_table(
    policies: list[Mapping[str, Any]], principals: list[Mapping[str, Any]], read: Mapping[str, _Policy],
    lists: _Lists,
) -> pa.Table:
    reached = principal_policies(policies, principals, read)
    ordered = sorted(principals, key=lambda p: p["_key"])
    of_principals = {
        column: pa.array([p[name] for p in ordered], pa.string())
        for column, name in zip(_ACCESS_PRINCIPAL_COLUMNS, ("_key", "_type", "accountId"))
    }
    templates = _AccessTemplates(lists)
    by_signature: dict[tuple[Any, ...], list[int]] = {}  # -> the principal's rows, as template indexes
    batches = []
    picks: list[int] = []
    owners: list[int] = []  # index in `ordered` of each row's principal
    for number, principal in enumerate(ordered):
        account_id = principal["accountId"]
        if number and account_id != ordered[number - 1]["accountId"]:
            # Rows of two accounts never share a template, and keys (ARNs) sort account by account: the memos
            # need to hold one account only, and the rows so far can be converted.
            by_signature.clear()
            if len(picks) >= _BATCH_ROWS:
                batches.append(_access_batch(templates.converted(), of_principals, picks, owners))
                picks, owners = [], []
            else:
                templates.forget()
        boundary_arn = principal.get("permissionsBoundaryArn")
        boundary = read.get(managed_policy_key(boundary_arn, account_id)) if boundary_arn else None
        through = reached[principal["_key"]]
        # Everything the rows depend on but the principal's key and type (repeating a policy adds nothing).
        signature = (account_id, boundary.key if boundary else None,
                     frozenset((via, policy.key) for via, policy in through))
        rows = by_signature.get(signature)
        if rows is None:
            rows = by_signature[signature] = templates.of_principal(account_id, through, boundary)
        picks += rows
        owners += [number] * len(rows)
    batches.append(_access_batch(templates.converted(), of_principals, picks, owners))
    return pa.concat_tables(batches)


def _access_batch(
    templates: pa.Table, of_principals: Mapping[str, pa.Array], picks: list[int], owners: list[int]
) -> pa.Table:
    owner_index = pa.array(owners, pa.int64())
    return _stamped_table(ACCESS_TABLE, ACCESS_SCHEMA, templates, picks,
                          {column: array.take(owner_index) for column, array in of_principals.items()})


class _AccessTemplates:
    """The distinct rows of `principal_access` but their principal's columns, each built once: a row is the same
    for every principal of the account whose policies reach the target the same ways, with the same Denies (the
    same policies holding them) and the same permissions boundary."""

    def __init__(self, lists: _Lists) -> None:
        self.lists = lists
        self.rows: list[tuple[Any, ...]] = []
        self._index: dict[tuple[Any, ...], int] = {}
        # id of a reach (kept alive by the policies) -> ((target key, verb), grant) of each of its grants
        self._keyed: dict[int, list[tuple[tuple[str, str], Grant]]] = {}

    def forget(self) -> None:
        """Forget which rows were built (they stay in `rows`): the next principals are of another account."""
        self._index.clear()

    def converted(self) -> pa.Table:
        """The rows built so far as a table, forgotten: the next template is index 0 again."""
        table = _template_table(ACCESS_SCHEMA, _ACCESS_TEMPLATE_COLUMNS, self.rows)
        self.rows = []
        self.forget()
        return table

    def of_principal(self, account_id: str, through: list[tuple[str, _Policy]], boundary: _Policy | None) -> list[int]:
        """The template of each row of a principal of `account_id` reached by `through`, by target key and
        verb."""
        distinct = {policy.key: policy for _, policy in through}
        denies = [
            (policy, statement) for policy in distinct.values()
            for statement in policy.analysis.statements if statement.effect == "Deny"
        ]
        # A Deny row depends on its account alone; an Allow row also on the Denies and the boundary.
        allow_context = (account_id, frozenset(policy.key for policy, _ in denies), boundary and boundary.key)
        by_target: dict[tuple[str, str], list[_Item]] = {}
        for via, policy in through:
            keyed = self._keyed.get(id(policy.reach))
            if keyed is None:
                keyed = self._keyed[id(policy.reach)] = [((g.target.key, g.verb), g) for g in policy.reach.grants]
            for target_verb, grant in keyed:
                found = by_target.get(target_verb)
                if found is None:
                    by_target[target_verb] = [(via, policy, grant)]
                else:
                    found.append((via, policy, grant))
        indexes = []
        for target_verb in sorted(by_target):
            items = by_target[target_verb]
            context = allow_context if target_verb[1] == ALLOWS else account_id
            # The policy and the target name the grant.
            key = (context, target_verb, items[0][0], items[0][1].key) if len(items) == 1 else (
                context, target_verb, frozenset((via, policy.key) for via, policy, _ in items))
            index = self._index.get(key)
            if index is None:
                index = self._index[key] = len(self.rows)
                self.rows.append(self._row(account_id, items, denies, boundary))
            indexes.append(index)
        return indexes

    def _row(
        self, account_id: str, items: list[_Item], denies: list[tuple[_Policy, PolicyStatement]],
        boundary: _Policy | None,
    ) -> tuple[Any, ...]:
        lists = self.lists
        grant = items[0][2]
        verb, target = grant.verb, grant.target
        if len(items) == 1:
            via, policy, _ = items[0]
            vias, policy_keys, facts = lists.one(via), lists.one(policy.key), lists.facts(grant)
        else:
            merged = Grant(verb, target)
            for _, _, grant in items:
                merged.absorb(grant)
            vias = lists.sorted(via for via, _, _ in items)
            policy_keys = lists.sorted(policy.key for _, policy, _ in items)
            facts = (lists.sorted(merged.actions), lists.sorted(merged.not_actions), merged.not_action,
                     READ in merged.levels, WRITE in merged.levels, merged.admin, merged.conditional)
        actions, not_actions, conditional = facts[0], facts[1], facts[6]
        reach = (verb, target.key, target.type, target.account_id, vias, policy_keys, *facts,
                 target.account_id != account_id)
        empty = lists.EMPTY
        if verb == DENIES:
            return (*reach, empty, empty, False, empty, not conditional)
        if not denies and boundary is None:
            return (*reach, empty, empty, False, actions, bool(actions) or bool(not_actions))
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

        remaining = [action for action in actions if survives((action,), False)]
        excluded_survives = bool(not_actions) and survives(tuple(not_actions), True)
        return (*reach, lists.sorted(denied_by), lists.sorted(denied_when), limited,
                actions if len(remaining) == len(actions) else lists.sorted(remaining),
                bool(remaining) or excluded_survives)
