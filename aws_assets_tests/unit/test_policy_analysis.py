"""The IAM policy analysis: the labelled corpus (exact edges and problems), and property-based tests on malformed and
random documents. What a principal may do is the evaluator's (test_principal_access)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_assets.analysis.access_graph import EDGES_SCHEMA, PROBLEMS_SCHEMA, build_access_graph
from aws_assets.analysis.findings import RULES, evaluate
from aws_assets.analysis.policy import (
    ResourceIndex,
    glob_match_case,
    parse_identity_policy,
    policy_grants,
    prefix_matchable,
)
from aws_assets_tests.conftest import DATA

CORPUS = DATA / "policy_corpus"
# The entities the lake holds for every case: accounts A and B, their service entities, buckets, tables,
# functions, an instance, users and roles.
CORPUS_INVENTORY = json.loads((CORPUS / "inventory.json").read_text())
CASES = [json.loads(path.read_text()) for path in sorted(CORPUS.glob("*.json")) if path.name != "inventory.json"]
CATEGORIES = (
    "wildcards", "resources", "sub-resources", "cross-account", "actions", "not-elements", "deny", "conditions",
    "variables", "documents",
)
OPTIONAL_FLAGS = ("admin", "notAction", "notResource", "policyVariables", "crossAccount", "conditional")
A, B = "111111111111", "222222222222"
POLICY_KEY = f"arn:aws:iam::{A}:policy/under-test"


def index_of(inventory: list[dict[str, Any]]) -> ResourceIndex:
    return ResourceIndex((e["key"], e["type"], e["arn"], e["accountId"]) for e in inventory)


def graph_of(document: Any, inventory: list[dict[str, Any]]):
    policy = {"_key": POLICY_KEY, "_type": "aws_iam_policy", "accountId": A, "document": document}
    return build_access_graph([policy], index_of(inventory))


def project_edge(row: dict[str, Any]) -> dict[str, Any]:
    """What the corpus states about an edge; optional keys are present exactly when not at their default."""
    projected = {"verb": row["_class"], "target": row["_toEntityKey"], "actions": row["actions"],
                 "read": row["read"], "write": row["write"]}
    projected.update({flag: True for flag in OPTIONAL_FLAGS if row[flag]})
    if row["notActions"]:
        projected["notActions"] = row["notActions"]
    return projected


def ordered(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(edges, key=lambda e: (e["verb"], e["target"]))


def project_problems(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    projected = [{"code": r["code"]} if r["statement"] is None else {"code": r["code"], "statement": r["statement"]}
                 for r in rows]
    return sorted(projected, key=lambda p: json.dumps(p, sort_keys=True))


# ---- the labelled corpus -----------------------------------------------------------------------------------------


def test_corpus_size_and_categories():
    assert len(CASES) >= 40
    assert set(Counter(case["category"] for case in CASES)) == set(CATEGORIES)
    assert len({case["name"] for case in CASES}) == len(CASES)
    for case in CASES:
        assert set(case) == {
            "name", "category", "description", "document", "expected_edges", "expected_problems",
        }, case["name"]


def test_corpus_readme_lists_every_case_by_category():
    readme = (CORPUS / "README.md").read_text()
    for category in CATEGORIES:
        section = re.search(rf"^## {re.escape(category)} \((\d+)\)$(.*?)(?=^## |\Z)", readme, re.M | re.S)
        assert section, f"README.md has no section for {category}"
        names = re.findall(r"^- `([^`]+)`", section.group(2), re.M)
        assert sorted(names) == sorted(c["name"] for c in CASES if c["category"] == category), category
        assert int(section.group(1)) == len(names), category


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_corpus_case(case):
    graph = graph_of(case["document"], CORPUS_INVENTORY)
    edges = graph.edges.to_pylist()
    assert ordered([project_edge(row) for row in edges]) == ordered(case["expected_edges"])
    assert project_problems(graph.problems.to_pylist()) == project_problems(
        [{"code": p["code"], "statement": p.get("statement")} for p in case["expected_problems"]]
    )
    for row in edges:
        assert row["_key"] == f"{POLICY_KEY}|{row['_class'].lower()}|{row['_toEntityKey']}"
        assert row["_type"].startswith("aws_iam_policy_" + row["_class"].lower() + "_")
        assert row["resources"] and row["statements"] and json.loads(row["conditions"])


def test_corpus_covers_every_flag_and_both_verbs():
    flags, verbs = set(), set()
    for case in CASES:
        for edge in case["expected_edges"]:
            flags |= {flag for flag in OPTIONAL_FLAGS if edge.get(flag)}
            verbs.add(edge["verb"])
    assert flags == set(OPTIONAL_FLAGS)
    assert verbs == {"ALLOWS", "DENIES"}


@pytest.mark.parametrize("pattern, text, expected", [
    ("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", False),
    ("arn:aws:s3:::b?cket", "arn:aws:s3:::bucket", True),
    ("arn:aws:s3:::*", "arn:aws:s3:::x/y", True),
    ("*" * 200 + "x", "y" * 200, False),
])
def test_glob_match_case(pattern, text, expected):
    assert glob_match_case(pattern, text) is expected


@pytest.mark.parametrize("pattern, text, expected", [
    ("b/k*", "b/", True), ("b/k", "b/", True), ("b/k", "c/", False), ("bu*/x", "bucket/", True),
    ("b", "b/", False), ("a*", "", True),
])
def test_prefix_matchable(pattern, text, expected):
    assert prefix_matchable(pattern, text) is expected


# ---- each principal's effective reach ------------------------------------------------------------------------------

BUCKET = "arn:aws:s3:::acme-prod-data"
INVENTORY = [
    {"key": f"arn:aws:iam::{A}:root", "type": "aws_account", "arn": f"arn:aws:iam::{A}:root", "accountId": A},
    {"key": f"aws_s3:{A}", "type": "aws_s3", "arn": None, "accountId": A},
    {"key": BUCKET, "type": "aws_s3_bucket", "arn": BUCKET, "accountId": A},
]


def statement(effect: str, action: Any, resource: Any, condition: dict | None = None) -> dict[str, Any]:
    s = {"Effect": effect, "Action": action, "Resource": resource}
    return {**s, "Condition": condition} if condition else s


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def managed(name: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {"_key": f"arn:aws:iam::{A}:policy/{name}", "_type": "aws_iam_policy", "accountId": A,
            "document": document(*statements)}


def test_empty_inputs_give_empty_tables_of_the_schemas():
    graph = build_access_graph([], ResourceIndex([]))
    assert (graph.edges.schema, graph.problems.schema) == (EDGES_SCHEMA, PROBLEMS_SCHEMA)
    assert graph.edges.num_rows == graph.problems.num_rows == 0


def test_an_unreadable_document_is_a_problem_row_and_a_finding():
    bad = {**managed("broken", statement("Allow", "s3:*", "*")), "document": '{"Statement": ['}
    graph = build_access_graph([bad], index_of(INVENTORY))
    assert [(r["policyKey"], r["code"], r["severity"]) for r in graph.problems.to_pylist()] == [
        (bad["_key"], "unreadable_json", "error")]
    tables = {"aws_iam_policy": [{**bad, "region": "global", "policyName": "broken"}]}
    rule = next(rule for rule in RULES if rule.id == "AWS-IAM-008")
    findings = evaluate(tables, datetime.now(UTC), [rule])
    assert [(f.resource_key, f.resource_type, f.severity) for f in findings] == [
        (bad["_key"], "aws_iam_policy", "medium")]
    assert findings[0].evidence["problems"][0]["code"] == "unreadable_json"


# ---- property-based --------------------------------------------------------------------------------------------------

random_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
element_names = st.sampled_from(
    ["Effect", "effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "Sid", "Odd"])
values = st.one_of(
    random_json,
    st.sampled_from(["Allow", "Deny", "*", "s3:*", "s3:Get*", "iam:PassRole", "arn:aws:s3:::acme-prod-data/*",
                     "arn:aws:s3:::*", "arn:aws:iam::*:user/${aws:username}", "arn:aws:*:*:*:*", "arn:aws"]),
    st.lists(st.sampled_from(["*", "s3:GetObject", BUCKET, "arn:aws:dynamodb:*:*:table/*", "ec2:*"]), max_size=3),
)
random_statements = st.dictionaries(element_names, values, max_size=6)
random_documents = st.one_of(
    random_json,
    st.builds(lambda s: {"Version": "2012-10-17", "Statement": s}, st.one_of(random_statements,
                                                                              st.lists(random_statements, max_size=4))),
)
PROPERTY_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest


@PROPERTY_SETTINGS
@given(random_documents)
def test_random_documents_never_crash_and_what_is_not_read_is_reported(doc):
    analysis = parse_identity_policy(doc)
    assert all(p.code != "internal_error" for p in analysis.problems), analysis.problems
    if len(analysis.statements) < analysis.statement_count or not isinstance(doc, dict):
        assert not analysis.readable, doc
    graph = graph_of(doc, INVENTORY)
    keys = {e["key"] for e in INVENTORY}
    for row in graph.edges.to_pylist():
        assert row["_toEntityKey"] in keys and row["_class"] in ("ALLOWS", "DENIES")
        json.loads(row["conditions"])
    if isinstance(doc, dict):
        try:
            text = json.dumps(doc)
        except (TypeError, ValueError):
            return
        assert parse_identity_policy(text).statements == analysis.statements


@PROPERTY_SETTINGS
@given(st.text(max_size=300), st.binary(max_size=100))
def test_any_text_or_bytes_is_analysed_or_reported(text, data):
    for doc in (text, data, "%7B" + text, "[" * 5000, '{"Statement": ' + "[" * 3000):
        analysis = parse_identity_policy(doc)
        assert all(p.code != "internal_error" for p in analysis.problems)
        if not analysis.statements:
            assert analysis.problems


@st.composite
def valid_statements(draw) -> dict[str, Any]:
    actions = st.sampled_from(["*", "s3:*", "s3:GetObject", "s3:List*", "iam:PassRole", "sqs:SendMessage"])
    resources = st.sampled_from(["*", BUCKET, BUCKET + "/*", "arn:aws:s3:::acme-*", "arn:aws:s3:::*",
                                 f"arn:aws:iam::{A}:role/${{aws:username}}"])
    s = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        draw(st.sampled_from(["Action", "Action", "NotAction"])):
            draw(st.one_of(actions, st.lists(actions, min_size=1, max_size=3))),
        draw(st.sampled_from(["Resource", "Resource", "NotResource"])):
            draw(st.one_of(resources, st.lists(resources, min_size=1, max_size=3))),
    }
    if draw(st.booleans()):
        s["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
    return s


@PROPERTY_SETTINGS
@given(st.lists(valid_statements(), min_size=1, max_size=4))
def test_well_formed_documents_are_read_whole(statements):
    analysis = parse_identity_policy({"Version": "2012-10-17", "Statement": statements})
    assert analysis.readable and len(analysis.statements) == len(statements), analysis.problems


@PROPERTY_SETTINGS
@given(st.lists(valid_statements(), min_size=1, max_size=4), st.lists(valid_statements(), min_size=1, max_size=3))
def test_adding_statements_never_removes_an_edge(statements, more):
    def edges(doc_statements):
        graph = graph_of({"Statement": doc_statements}, INVENTORY)
        return {(r["_class"], r["_toEntityKey"]) for r in graph.edges.to_pylist()}

    assert edges(statements) <= edges(statements + more)


def test_policy_grants_on_an_account_the_lake_lacks_is_a_warning_not_a_dangling_edge():
    reach = policy_grants(B, parse_identity_policy(document(statement("Allow", "*", "*"))), index_of(INVENTORY))
    assert reach.grants == ()
    assert [(p.code, p.severity) for p in reach.problems] == [("target_not_ingested", "warning")]
