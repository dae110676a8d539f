"""Trust edges from hand-written role rows: the pure part of the trust asset."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from aws_assets.analysis.trust_graph import (
    PLACEHOLDER_SCHEMA,
    PROBLEMS_SCHEMA,
    REACHABILITY_SCHEMA,
    TRUSTS_SCHEMA,
    build_trust_graph,
    lake_targets,
)
from aws_assets.services.account import account_key

# ------------------------------------------------------------------------------------------------------------------
# The pure part, on hand-written role rows
# ------------------------------------------------------------------------------------------------------------------

A, B = "111111111111", "222222222222"
DEPLOY = f"arn:aws:iam::{A}:role/ci/deploy"  # a role with a path: sessions name it without


def policy(*statements: Any) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return {**statement, "Condition": condition} if condition else statement


def test_build_trust_graph_on_role_rows():
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    roles = [
        {"_key": f"arn:aws:iam::{A}:role/target", "accountId": A, "roleName": "target", "trustPolicy": policy(
            allow({"AWS": DEPLOY}, mfa),
            # The session names the role without its path, and in another case.
            allow({"AWS": f"arn:aws:sts::{A}:assumed-role/Deploy/build-42"}),
        )},
        {"_key": DEPLOY, "accountId": A, "roleName": "deploy",
         "trustPolicy": policy(allow({"AWS": f"arn:aws:iam::{B}:user/bob"}))},
        {"_key": f"arn:aws:iam::{A}:role/broken", "accountId": A, "roleName": "broken",
         "trustPolicy": '{"Version": "2012-10-17", "Statement": ['},
        {"_key": f"arn:aws:iam::{A}:role/half", "accountId": A, "roleName": "half",
         "trustPolicy": policy(allow({"Service": "lambda.amazonaws.com"}), "not a statement")},
    ]
    # B is ingested, but its tables hold no user bob.
    keys = [*(r["_key"] for r in roles), account_key(A), account_key(B), f"aws_lambda:{A}"]
    targets = lake_targets(keys, [A, B], roles)
    graph = build_trust_graph(roles, targets)

    assert (graph.edges.schema, graph.placeholders.schema, graph.problems.schema, graph.reachability.schema) == (
        TRUSTS_SCHEMA, PLACEHOLDER_SCHEMA, PROBLEMS_SCHEMA, REACHABILITY_SCHEMA)
    edges = {(e["_fromEntityKey"], e["_toEntityKey"]): e for e in graph.edges.to_pylist()}
    assert set(edges) == {
        (f"arn:aws:iam::{A}:role/target", DEPLOY),
        (DEPLOY, f"arn:aws:iam::{B}:user/bob"),
        (f"arn:aws:iam::{A}:role/half", f"aws_lambda:{A}"),
    }
    merged = edges[(f"arn:aws:iam::{A}:role/target", DEPLOY)]
    # One edge for the role and its session; the session needs no MFA, so the edge does not either.
    assert (merged["_type"], merged["placeholder"], merged["mfaRequired"], merged["principalKinds"],
            merged["statements"]) == ("aws_iam_role_trusts_role", False, False, ["assumed_role", "role"], [0, 1])
    assert json.loads(merged["conditions"]) == [mfa, {}]  # sorted as the engine writes them
    bob = edges[(DEPLOY, f"arn:aws:iam::{B}:user/bob")]
    assert (bob["_type"], bob["trustZone"], bob["crossAccount"], bob["placeholder"]) == (
        "aws_iam_role_trusts_user", "ingested_account", True, True)
    assert graph.placeholders.select(["_key", "_type", "accountId", "ingested", "reason"]).to_pylist() == [
        {"_key": f"arn:aws:iam::{B}:user/bob", "_type": "aws_iam_user", "accountId": B, "ingested": False,
         "reason": f"account {B} is ingested but its tables hold no such aws_iam_user"}]

    # The unreadable document and the statement that is not an object are rows, not silent gaps.
    problems = graph.problems.select(["roleKey", "code", "severity", "statement"]).to_pylist()
    assert {(p["roleKey"], p["code"], p["severity"]) for p in problems} == {
        (f"arn:aws:iam::{A}:role/broken", "unreadable_json", "error"),
        (f"arn:aws:iam::{A}:role/half", "statement_not_object", "error"),
    }
    assert {p["roleKey"]: p["statement"] for p in problems} == {
        f"arn:aws:iam::{A}:role/broken": None, f"arn:aws:iam::{A}:role/half": 1}

    # target <- deploy (path and case resolved) <- bob: two hops.
    reach = {(r["roleKey"], r["principalKey"]): (r["hops"], r["path"]) for r in graph.reachability.to_pylist()}
    assert reach[(f"arn:aws:iam::{A}:role/target", f"arn:aws:iam::{B}:user/bob")] == (
        2, [f"arn:aws:iam::{A}:role/target", DEPLOY, f"arn:aws:iam::{B}:user/bob"])
    assert len(reach) == 4  # target: deploy, bob; deploy: bob; half: lambda


def test_build_trust_graph_without_roles_gives_empty_tables_of_the_schemas():
    graph = build_trust_graph([], lake_targets([], [], []))
    for table, schema in ((graph.edges, TRUSTS_SCHEMA), (graph.placeholders, PLACEHOLDER_SCHEMA),
                          (graph.problems, PROBLEMS_SCHEMA), (graph.reachability, REACHABILITY_SCHEMA)):
        assert isinstance(table, pa.Table) and table.num_rows == 0 and table.schema == schema
