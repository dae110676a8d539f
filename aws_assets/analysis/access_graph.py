"""The IAM policy analysis as lake tables: the ALLOWS and DENIES edges of each identity policy, and the problems.

Pure (no Dagster, no DuckDB, no AWS): `build_access_graph(policies, index)` runs the engine of
`aws_assets.analysis.policy` over every identity policy (managed, and inline of users, groups and roles) and returns
the rows of two tables, each with one explicit Arrow schema (also when empty):

- `iam_policy_allows`: one `AccessPolicy ALLOWS <target>` (or `DENIES`, for an explicit Deny) edge per policy, verb
  and target, relationship-shaped (`_key` `<policy key>|allows|<target key>`, `_type` by JupiterOne's naming:
  `aws_iam_policy_allows_s3_bucket`, `aws_iam_role_policy_allows_account`, ...), its statements merged. The edges say
  what a policy's statements point at; what a principal may do is `principal_access`'s question, decided request by
  request by the evaluator (`aws_assets.analysis.principal_access`).
- `access_policy_problems`: what the engine could not read (or found unusual), per policy: never a silent gap.

Choices: a document is read once however many policies hold it (AWS managed policies repeat in every account), and
its targets are matched once per account.

At scale (hundreds of accounts, hundreds of thousands of edges) the rows repeat: an edge's columns but its policy's
are its grant's, the same for every policy holding the document in the account. Each distinct row is built once (its
lists sorted once, and shared), converted to Arrow column by column, and repeated by index (`take`), a batch of rows
at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aws_assets.analysis.heap import without_cycle_collection
from aws_assets.analysis.policy import (
    READ,
    WRITE,
    Grant,
    PolicyAnalysis,
    PolicyReach,
    ResourceIndex,
    parse_identity_policy,
    policy_grants,
)
from aws_assets.analysis.trust import canonical_json
from aws_assets.analysis.trust_graph import _table
from aws_assets.model.entity import Column, SchemaError, boolean, integer, json_text, schema_of, string, strings
from aws_assets.model.relationship import RELATIONSHIP_COLUMNS, relationship_type_name

EDGES_TABLE = "iam_policy_allows"
PROBLEMS_TABLE = "access_policy_problems"
POLICY_TABLES = ("aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role_policy")

EDGE_PROPERTIES: tuple[Column, ...] = (
    string("targetAccountId", "Account of the target"),
    strings("actions", "The actions of the Action statements behind it, as written (prefix in lower case)"),
    strings("notActions", "The actions NotAction statements behind it exclude: everything else is granted"),
    boolean("notAction", "Granted (or denied) through a NotAction statement: every action but `notActions`"),
    boolean("read", "Some granted action reads (List or Read access level, AWS's Service Authorization "
            "Reference)"),
    boolean("write", "Some granted action writes (Write, Permissions management or Tagging access level)"),
    boolean("admin", "Granted by a statement allowing every action (`*`) on every resource (`*`)"),
    boolean("conditional", "Every statement behind it has a Condition (or one the analysis could not read)"),
    boolean("crossAccount", "The target is in another account than the policy"),
    strings("resources", "The Resource (or NotResource) patterns that reach the target, as written"),
    json_text("conditions", "The Condition of each statement behind it, as a list: any one suffices, `{}` is none"),
    Column("statements", pa.list_(pa.int64()), "Indexes (from 0) of the statements behind it in the document"),
    boolean("notResource", "Reached through a NotResource statement: every resource but the listed"),
    boolean("policyVariables", "A pattern behind it holds a policy variable (`${aws:username}`), read as `*`"),
)
EDGE_COLUMNS = (*RELATIONSHIP_COLUMNS, *EDGE_PROPERTIES)

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
    PROBLEMS_TABLE: "What the IAM policy analysis could not read, or found unusual, per policy and statement: a "
    "document it cannot read is listed here, never silently skipped.",
}

EDGES_SCHEMA = schema_of(EDGE_COLUMNS)
PROBLEMS_SCHEMA = schema_of(PROBLEM_COLUMNS)


@dataclass(frozen=True)
class AccessGraph:
    edges: pa.Table
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


def build_access_graph(policies: Iterable[Mapping[str, Any]], index: ResourceIndex) -> AccessGraph:
    """The two tables. `policies`: rows with `_key`, `_type`, accountId and document."""
    with without_cycle_collection():
        read = read_policies(policies, index)
        problems = [
            {"policyKey": policy.key, "policyType": policy.type, "accountId": policy.account_id, "code": p.code,
             "severity": p.severity, "message": p.message, "statement": p.statement}
            for policy in read.values() for p in (*policy.analysis.problems, *policy.reach.problems)
        ]
        return AccessGraph(edges=_edges_table(read, _Lists()),
                           problems=_table(PROBLEMS_TABLE, PROBLEMS_SCHEMA, problems))


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

    def __init__(self) -> None:
        self._lists: dict[frozenset[Any], list[Any]] = {}
        self._facts: dict[int, tuple[Grant, tuple[Any, ...]]] = {}

    def sorted(self, values: Iterable[Any]) -> list[Any]:
        values = frozenset(values)
        found = self._lists.get(values)
        if found is None:
            found = self._lists[values] = sorted(values)
        return found

    def facts(self, grant: Grant) -> tuple[Any, ...]:
        """actions, notActions, notAction, read, write, admin, conditional: what the edge properties take from a
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
