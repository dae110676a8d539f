"""The trust-policy analysis: the labelled corpus (exact edges and problems), the comparison with Cartography's and
PMapper's documented behaviour on that corpus, and property-based tests on malformed and random documents."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_assets.analysis import trust
from aws_assets.analysis.trust import (
    FLAG_NAMES,
    TrustEdge,
    glob_match,
    parse_trust_policy,
    reachable_principals,
    service_entity_type,
    trust_edges,
)
from aws_assets_tests.conftest import DATA

CORPUS = DATA / "trust_corpus"
CASES = [json.loads(path.read_text()) for path in sorted(CORPUS.glob("*.json"))]
CATEGORIES = (
    "aws-principals", "everyone", "deleted-principals", "services", "federated", "actions", "conditions", "deny",
    "documents",
)


def role_account(role_arn: str) -> str:
    return role_arn.split(":")[4]


def analyse(case: dict[str, Any]) -> tuple[list[TrustEdge], trust.TrustAnalysis]:
    analysis = parse_trust_policy(case["document"])
    edges = trust_edges(case["role_arn"], role_account(case["role_arn"]), analysis, set(case["ingested_accounts"]))
    return edges, analysis


def project_edge(edge: TrustEdge) -> dict[str, Any]:
    """What the corpus states about an edge; optional keys are present exactly when not at their default."""
    projected: dict[str, Any] = {
        "type": edge.to_type,
        "key": edge.to_key,
        "name": edge.to_name,
        "actions": list(edge.actions),
        "zone": edge.trust_zone,
        "crossAccount": edge.cross_account,
        "placeholder": edge.placeholder,
        "flags": sorted(name for name, on in edge.flags.items() if on),
    }
    conditions = json.loads(edge.conditions)
    if any(condition != {} for condition in conditions):
        projected["conditions"] = conditions
    if denied := json.loads(edge.denied_when):
        projected["deniedWhen"] = denied
    if edge.except_principals:
        projected["exceptPrincipals"] = list(edge.except_principals)
    if edge.not_principal:
        projected["notPrincipal"] = True
    if edge.deleted_principal:
        projected["deletedPrincipal"] = True
    return projected


def project_problems(problems) -> list[dict[str, Any]]:
    projected = [
        {"code": p.code} if p.statement is None else {"code": p.code, "statement": p.statement} for p in problems
    ]
    return sorted(projected, key=lambda p: json.dumps(p, sort_keys=True))


# ---- the labelled corpus -----------------------------------------------------------------------------------------


def test_corpus_size_and_categories():
    assert len(CASES) >= 60
    counts = Counter(case["category"] for case in CASES)
    assert set(counts) == set(CATEGORIES)
    assert len({case["name"] for case in CASES}) == len(CASES)
    for case in CASES:
        assert set(case) == {
            "name", "category", "description", "role_arn", "document", "ingested_accounts", "expected_edges",
            "expected_problems",
        }, case["name"]


def test_corpus_readme_lists_every_case_by_category():
    readme = (CORPUS / "README.md").read_text()
    for category in CATEGORIES:
        section = re.search(rf"^## {re.escape(category)} \((\d+)\)$(.*?)(?=^## |\Z)", readme, re.M | re.S)
        assert section, f"README.md has no section for {category}"
        names = re.findall(r"^- `([^`]+)`", section.group(2), re.M)
        expected = sorted(case["name"] for case in CASES if case["category"] == category)
        assert sorted(names) == expected, category
        assert int(section.group(1)) == len(expected), category


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_corpus_case(case):
    edges, analysis = analyse(case)
    assert [project_edge(edge) for edge in edges] == case["expected_edges"]
    assert project_problems(analysis.problems) == project_problems(
        [trust.TrustProblem(p["code"], "", p.get("statement")) for p in case["expected_problems"]]
    )


def test_corpus_covers_every_principal_kind_zone_and_flag():
    kinds, zones, flags = set(), set(), set()
    for case in CASES:
        edges, analysis = analyse(case)
        kinds |= {grant.principal.kind for grant in analysis.grants}
        zones |= {edge.trust_zone for edge in edges}
        flags |= {name for edge in edges for name, on in edge.flags.items() if on}
    assert kinds == set(trust.PRINCIPAL_KINDS)
    assert zones == set(trust.TRUST_ZONES)
    assert flags == set(FLAG_NAMES)


# ---- Cartography and PMapper, as documented, on the same corpus -------------------------------------------------


def as_boto3_document(document: Any) -> Any:
    """What boto3 hands the other tools: the decoded document (IAM's URL-encoding undone)."""
    if not isinstance(document, str):
        return document
    for text in (document, unquote(document)):
        try:
            return json.loads(text)
        except ValueError:
            continue
    return None


def cartography_model(document: Any) -> set[str] | None:
    """cartography.intel.aws.iam.transform_role_trust_policies: every value of every statement's Principal
    (AWS, Service, Federated), whatever the statement's Effect, Action and Condition ("TODO support conditions").
    None where that code would raise (no Principal key, a string Principal, a Statement that is not a list)."""
    try:
        trusted = set()
        for statement in as_boto3_document(document)["Statement"]:
            principal = statement["Principal"]
            for principal_type in principal:
                values = principal[principal_type]
                for value in values if isinstance(values, list) else [values]:
                    if principal_type in ("AWS", "Service", "Federated"):
                        trusted.add(identity(value))
        return trusted
    except Exception:  # noqa: BLE001 - a crash is what is being modelled
        return None


_PMAPPER_DROPPED_KEYS = ("sts:externalid", "aws:multifactorauthpresent", "aws:multifactorauthage")


def _met_without_external_id_or_mfa(condition: Any) -> bool:
    """PMapper simulates sts:AssumeRole with a request context that never holds sts:ExternalId or MFA keys. Every
    other key is assumed to go the trust's way (generous to PMapper). A block on those keys passes only if a
    request without the key passes it (IfExists, Null true, negated operators, ForAllValues)."""
    if not isinstance(condition, dict):
        return True
    for operator, block in condition.items():
        name = operator.lower()
        for key in block if isinstance(block, dict) else {}:
            if key.lower() not in _PMAPPER_DROPPED_KEYS:
                continue
            passes = (
                name.endswith("ifexists") or name.startswith("forallvalues:") or "not" in name
                or (name == "null" and str(block[key]).lower() == "true")
            )
            if not passes:
                return False
    return True


def _pmapper_contains(denied: str, value: str) -> bool:
    if denied in ("*", value):
        return True
    account = re.fullmatch(r"(\d{12})|arn:aws:iam::(\d{12}):root", denied)
    if account:
        return re.match(rf"(arn:aws:(iam|sts)::)?{account.group(1) or account.group(2)}\b", value) is not None
    role = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([^/]+)", denied)
    return bool(role) and value.startswith(f"arn:aws:sts::{role.group(1)}:assumed-role/{role.group(2)}/")


# The principals PMapper's graph can hold as nodes (users and roles, matched through accounts and sessions).
_PMAPPER_NODE = re.compile(
    r"\d{12}|A(IDA|ROA)[A-Z0-9]{12,}|arn:aws:iam::\d{12}:(root|(user|role)/[\w+=,.@/-]+)|"
    r"arn:aws:sts::\d{12}:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+"
)


def pmapper_model(document: Any) -> set[str] | None:
    """principalmapper.graphing.sts_edges + local_policy_simulation.resource_policy_authorization: an AWS
    principal (PMapper's graph holds users and roles, no services or providers) gets an sts:AssumeRole edge when an
    Allow statement matches the action and its condition is met, unless a Deny statement matches; the context
    lacks sts:ExternalId and MFA, so trusts that need them are dropped. NotPrincipal is left out of the model."""
    try:
        statements = as_boto3_document(document)["Statement"]
        statements = statements if isinstance(statements, list) else [statements]
        allowed, denials = set(), []
        for statement in statements:
            actions = statement.get("Action", statement.get("NotAction"))
            actions = actions if isinstance(actions, list) else [actions]
            matched = any(glob_match(a, "sts:AssumeRole") for a in actions)
            if "NotAction" in statement:
                matched = not matched
            principal = statement.get("Principal")
            if not matched or principal is None:
                continue
            values = ["*"] if principal == "*" else principal.get("AWS", [])
            values = values if isinstance(values, list) else [values]
            met = _met_without_external_id_or_mfa(statement.get("Condition"))
            if statement["Effect"] == "Allow" and met:
                allowed |= {value for value in values if value != "*"}
            elif statement["Effect"] == "Deny" and met and all(
                key.lower() in _PMAPPER_DROPPED_KEYS
                for block in (statement.get("Condition") or {}).values() for key in block
            ):
                denials += values
        return {
            identity(value)
            for value in allowed
            if _PMAPPER_NODE.fullmatch(value) and not any(_pmapper_contains(d, value) for d in denials)
        }
    except Exception:  # noqa: BLE001 - a crash is what is being modelled
        return None


def identity(value: Any) -> Any:
    """Principals compared by identity: an account ID and its root ARN are one principal."""
    return f"arn:aws:iam::{value}:root" if isinstance(value, str) and re.fullmatch(r"\d{12}", value) else value


def our_principals(edges: list[TrustEdge], aws_only: bool = False) -> set[str]:
    kinds = {"account", "root", "user", "role", "assumed_role", "federated_user", "unique_id"}
    return {
        identity(value)
        for edge in edges
        for value in edge.principals
        if not aws_only or (set(edge.principal_kinds) <= kinds and value != "*")
    }


def mentions_external_id_or_mfa(edge: TrustEdge) -> bool:
    text = (edge.conditions + edge.denied_when).lower()
    return any(key in text for key in _PMAPPER_DROPPED_KEYS)


def comparison_rows() -> list[dict[str, Any]]:
    rows = []
    for case in CASES:
        edges, _ = analyse(case)
        ours = our_principals(edges)
        cartography = cartography_model(case["document"])
        has_not_principal = "notprincipal" in json.dumps(case["document"]).lower()
        row = {"name": case["name"], "cartography_crash": cartography is None}
        row["cartography_extra"] = sorted((cartography or set()) - ours)
        row["cartography_missing"] = sorted(ours - (cartography or set()))
        row["cartography_flags_lost"] = sum(any(edge.flags.values()) for edge in edges)
        pmapper = None if has_not_principal else pmapper_model(case["document"])
        row["pmapper_crash"] = not has_not_principal and pmapper is None
        if pmapper is None:
            row["pmapper_dropped"] = row["pmapper_other"] = None
        else:
            ours_aws = our_principals(edges, aws_only=True)
            needs = {
                identity(value) for edge in edges if mentions_external_id_or_mfa(edge) for value in edge.principals
            }
            missing = ours_aws - pmapper
            row["pmapper_dropped"] = sorted(missing & needs)
            row["pmapper_other"] = sorted((missing - needs) | (pmapper - ours_aws))
        rows.append(row)
    return rows


def comparison_markdown(rows: list[dict[str, Any]]) -> str:
    totals = {
        "cases": len(rows),
        "cartography_cases": sum(
            bool(r["cartography_crash"] or r["cartography_extra"] or r["cartography_missing"]
                 or r["cartography_flags_lost"])
            for r in rows
        ),
        "cartography_extra": sum(len(r["cartography_extra"]) for r in rows),
        "cartography_missing": sum(len(r["cartography_missing"]) for r in rows),
        "cartography_flags_lost": sum(r["cartography_flags_lost"] for r in rows),
        "cartography_crash": sum(r["cartography_crash"] for r in rows),
        "pmapper_scope": sum(r["pmapper_dropped"] is not None or r["pmapper_crash"] for r in rows),
        "pmapper_crash": sum(r["pmapper_crash"] for r in rows),
        "pmapper_cases": sum(bool(r["pmapper_dropped"] or r["pmapper_other"] or r["pmapper_crash"]) for r in rows),
        "pmapper_dropped": sum(len(r["pmapper_dropped"] or ()) for r in rows),
        "pmapper_other": sum(len(r["pmapper_other"] or ()) for r in rows),
    }
    lines = [
        "<!-- generated by aws_assets_tests/unit/test_trust_analysis.py: "
        "UPDATE_TRUST_CORPUS_MD=1 pytest -k comparison -->",
        "",
        f"Corpus: {totals['cases']} cases.",
        "",
        f"- **Cartography** differs on {totals['cartography_cases']} cases: it trusts "
        f"{totals['cartography_extra']} principals this engine does not (Deny statements, `sts:TagSession`-only and "
        f"non-STS actions, principals that cannot use the granted action, malformed principals), misses "
        f"{totals['cartography_missing']} that it does trust (on documents its code cannot read), cannot show the "
        f"restriction of {totals['cartography_flags_lost']} edges (ExternalId, MFA, organisation, source, principal, "
        f"audience), and would raise on {totals['cartography_crash']} documents.",
        f"- **PMapper** (on the {totals['pmapper_scope']} cases without NotPrincipal, AWS principals only) differs on "
        f"{totals['pmapper_cases']} cases: it drops {totals['pmapper_dropped']} trusts whose conditions involve an "
        f"ExternalId or MFA (a request without those keys fails them), differs on {totals['pmapper_other']} other "
        f"principals, and would raise on {totals['pmapper_crash']} malformed documents.",
        "",
        "| case | Cartography trusts too | Cartography misses | flags lost | Cartography raises "
        "| PMapper drops (ExternalId/MFA) | PMapper other | PMapper raises |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]

    def cell(values) -> str:
        if values is None:
            return "n/a"
        return "<br>".join(f"`{v}`" for v in values) if values else ""

    for r in rows:
        if not (r["cartography_crash"] or r["cartography_extra"] or r["cartography_missing"]
                or r["cartography_flags_lost"] or r["pmapper_dropped"] or r["pmapper_other"] or r["pmapper_crash"]):
            continue
        lines.append(
            f"| `{r['name']}` | {cell(r['cartography_extra'])} | {cell(r['cartography_missing'])} | "
            f"{r['cartography_flags_lost'] or ''} | {'yes' if r['cartography_crash'] else ''} | "
            f"{cell(r['pmapper_dropped'])} | {cell(r['pmapper_other'])} | {'yes' if r['pmapper_crash'] else ''} |"
        )
    return "\n".join(lines) + "\n"


COMPARISON_START, COMPARISON_END = "<!-- comparison:start -->", "<!-- comparison:end -->"


def test_comparison_with_cartography_and_pmapper_matches_corpus_md():
    rows = comparison_rows()
    generated = comparison_markdown(rows)
    path = CORPUS / "CORPUS.md"
    text = path.read_text()
    start, end = text.index(COMPARISON_START) + len(COMPARISON_START), text.index(COMPARISON_END)
    if os.environ.get("UPDATE_TRUST_CORPUS_MD"):
        path.write_text(text[:start] + "\n" + generated + text[end:])
        text = path.read_text()
        start, end = text.index(COMPARISON_START) + len(COMPARISON_START), text.index(COMPARISON_END)
    assert text[start:end].strip() == generated.strip(), (
        "CORPUS.md is stale: UPDATE_TRUST_CORPUS_MD=1 pytest -k comparison"
    )
    # The claims of the issue hold on the corpus.
    by_name = {r["name"]: r for r in rows}
    assert by_name["deny-beside-allow"]["cartography_extra"]  # Cartography ignores Effect
    assert by_name["tagsession-only"]["cartography_extra"]  # ... and Action
    assert by_name["external-id-required"]["cartography_flags_lost"]  # ... and Condition
    assert by_name["external-id-required"]["pmapper_dropped"]  # PMapper drops ExternalId trusts
    assert by_name["mfa-bool-true"]["pmapper_dropped"]  # ... and MFA trusts
    assert not by_name["mfa-bool-ifexists"]["pmapper_dropped"]
    assert all(r["cartography_crash"] for r in rows if r["cartography_missing"])  # as CORPUS.md says


# ---- pieces of the API -------------------------------------------------------------------------------------------


def test_keys_match_the_project_entities():
    from aws_assets.services.account import account_key, service_key
    from aws_assets.services.catalog import ENTITY_TYPES

    assert trust.account_key("123456789012") == account_key("123456789012")
    assert service_key("aws_lambda", "123456789012") == "aws_lambda:123456789012"
    assert trust.COLLECTED_TARGET_TYPES <= set(ENTITY_TYPES)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("lambda.amazonaws.com", "aws_lambda"),
        ("ec2.amazonaws.com", "aws_ec2"),
        ("apigateway.amazonaws.com", "aws_apigateway"),
        ("ec2.amazonaws.com.cn", "aws_ec2"),
        ("states.eu-west-1.amazonaws.com", "aws_states"),
        ("logs.us-gov-west-1.amazonaws.com", "aws_cloudwatch_logs"),
        ("ops.apigateway.amazonaws.com", "aws_ops_apigateway"),
        ("alexa-appkit.amazon.com", "aws_alexa-appkit"),
    ],
)
def test_service_entity_type(principal, expected):
    assert service_entity_type(principal) == expected


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("sts:Assume*", "sts:AssumeRoleWithSAML", True),
        ("STS:ASSUMEROLE", "sts:AssumeRole", True),
        ("sts:AssumeRol?", "sts:AssumeRole", True),
        ("sts:AssumeRol?", "sts:AssumeRoleWithSAML", False),
        ("*:*", "sts:TagSession", True),
        ("*" * 60 + "x", "sts:AssumeRoleWithWebIdentity", False),
        ("s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*s*q", "sts:AssumeRoleWithWebIdentity" * 3, False),
    ],
)
def test_glob_match(pattern, text, expected):
    assert glob_match(pattern, text) is expected


def test_edge_row_has_the_relationship_columns_and_flags():
    case = next(c for c in CASES if c["name"] == "external-id-required")
    (edge,), _ = analyse(case)
    row = edge.as_row()
    assert row["_key"] == f"{case['role_arn']}|trusts|arn:aws:iam::999999999999:root"
    assert row["_fromEntityType"] == "aws_iam_role" and row["_toEntityType"] == "aws_account"
    assert row["accountId"] == "111111111111" and row["trustZone"] == "external_account"
    assert row["externalIdRequired"] is True and row["crossAccount"] is True and row["placeholder"] is True
    assert json.loads(row["conditions"]) == [{"StringEquals": {"sts:ExternalId": "Zx81-shared-secret"}}]


def test_grants_list_deny_and_non_session_statements():
    analysis = parse_trust_policy({
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:TagSession"},
            {"Effect": "Deny", "Principal": {"AWS": "999999999999"}, "Action": "sts:AssumeRole"},
        ]
    })
    allow, deny = analysis.grants
    assert allow.effect == "Allow" and allow.actions == ("sts:TagSession",) and not allow.opens_session
    assert deny.effect == "Deny" and deny.principal.target == "arn:aws:iam::999999999999:root"
    assert analysis.readable and not trust_edges("arn:aws:iam::111111111111:role/r", "111111111111", analysis, set())


def test_conditional_deny_is_recorded_not_applied():
    analysis = parse_trust_policy({
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": "*", "Action": "sts:*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        ]
    })
    (grant, _deny) = analysis.grants
    assert grant.granted_actions == ("sts:AssumeRole",)
    assert grant.denied_when[0].statement == 1 and grant.denied_when[0].actions == ("sts:AssumeRole",)


# ---- role chaining -----------------------------------------------------------------------------------------------


def chain_edges(trusts: dict[str, list[str]]) -> list[TrustEdge]:
    edges = []
    for role, principals in trusts.items():
        account = role.split(":")[4]
        document = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]}
        edges += trust_edges(role, account, parse_trust_policy(document), {"111111111111", "222222222222"})
    return edges


def test_reachable_principals_follow_role_chains_with_hops_and_paths():
    a = "arn:aws:iam::111111111111:role/a"
    b = "arn:aws:iam::111111111111:role/ops/b"  # with a path: reached through a session ARN by name
    c = "arn:aws:iam::222222222222:role/c"
    alice = "arn:aws:iam::222222222222:user/alice"
    edges = chain_edges({
        a: ["arn:aws:sts::111111111111:assumed-role/b/session"],
        b: [c],
        c: [alice, "999999999999"],
    })
    reach = {(r.role, r.principal): r for r in reachable_principals(edges)}
    assert reach[(a, b)].hops == 1
    assert reach[(a, c)].hops == 2 and reach[(a, c)].path == (a, b, c)
    assert reach[(a, alice)].hops == 3 and reach[(a, alice)].path == (a, b, c, alice)
    assert reach[(a, "arn:aws:iam::999999999999:root")].hops == 3
    assert reach[(c, alice)].hops == 1
    assert (b, a) not in reach
    role, principal, hops, path = reach[(b, alice)]  # a 4-tuple
    assert (role, principal, hops, path) == (b, alice, 2, (b, c, alice))


def test_reachable_principals_survive_cycles():
    a, b = "arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/b"
    edges = chain_edges({a: [b], b: [a, "arn:aws:iam::111111111111:user/u"]})
    reach = reachable_principals(edges)
    assert [(r.role, r.principal, r.hops) for r in reach] == [
        (a, b, 1), (a, "arn:aws:iam::111111111111:user/u", 2),
        (b, a, 1), (b, "arn:aws:iam::111111111111:user/u", 1),
    ]


def test_reachable_principals_shortest_path_wins():
    a, b, c = (f"arn:aws:iam::111111111111:role/{n}" for n in "abc")
    edges = chain_edges({a: [b, c], b: [c], c: ["arn:aws:iam::111111111111:user/u"]})
    reach = {(r.role, r.principal): r for r in reachable_principals(edges)}
    assert reach[(a, c)].hops == 1
    assert reach[(a, "arn:aws:iam::111111111111:user/u")].path == (a, c, "arn:aws:iam::111111111111:user/u")


# ---- property-based tests ----------------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
)
random_json = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def random_case(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper(), name.swapcase()])


principal_values = st.one_of(
    st.sampled_from([
        "*", "111111111111", "999999999999", "arn:aws:iam::222222222222:root", "arn:aws:iam::222222222222:user/u",
    ]),
    st.sampled_from([
        "*", "111111111111", "999999999999", "arn:aws:iam::222222222222:root", "arn:aws:iam::222222222222:user/u",
        "arn:aws:iam::999999999999:role/path/r", "arn:aws:sts::222222222222:assumed-role/r/s", "AROADBQP57FF2AEXAMPLE",
        "lambda.amazonaws.com", "arn:aws:iam::111111111111:saml-provider/Okta", "accounts.google.com",
        "arn:aws:iam::1:root", "arn:aws:iam::222222222222:role/*", "", "arn:aws:s3:::bucket",
    ]),
    st.text(max_size=40),
    random_json,
)
action_values = st.one_of(
    st.sampled_from(["sts:AssumeRole", "sts:*", "*"]),
    st.sampled_from([
        "sts:AssumeRole", "sts:assumerole", "sts:*", "*", "sts:Assume*", "sts:TagSession", "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity", "s3:GetObject", "sts:", ":", "AssumeRole",
    ]),
    st.text(max_size=20),
    random_json,
)
condition_values = st.one_of(
    st.dictionaries(
        st.sampled_from([
            "StringEquals", "Bool", "BoolIfExists", "Null", "ForAnyValue:StringLike", "ForAllValues:StringEquals",
            "NumericLessThan", "StringNotEquals", "ArnLike", "Nonsense",
        ]),
        st.dictionaries(
            st.sampled_from(["sts:ExternalId", "aws:MultiFactorAuthPresent", "aws:PrincipalOrgID", "AWS:SourceArn",
                             "aws:MultiFactorAuthAge"]),
            st.one_of(json_scalars, st.lists(json_scalars, max_size=3), random_json),
            max_size=3,
        ),
        max_size=3,
    ),
    random_json,
)


def one_or_many(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(values, st.lists(values, max_size=6))


@st.composite
def random_statements(draw) -> Any:
    statement: dict[Any, Any] = {}
    if draw(st.integers(0, 9)):  # mostly near-valid statements, so that grants, Denies and edges get exercised
        effects = st.sampled_from(["Allow", "Allow", "Deny", "allow", "Permit"])
        statement[draw(st.sampled_from(["Effect", "Effect", "effect", "EFFECT"]))] = draw(
            effects if draw(st.integers(0, 9)) else random_json
        )
    principal_key = draw(st.sampled_from(["Principal", "Principal", "Principal", "NotPrincipal", "principal"]))
    if draw(st.integers(0, 9)):
        principal = draw(st.one_of(
            st.just("*"),
            st.builds(lambda aws: {"AWS": aws}, one_or_many(principal_values)),
            st.dictionaries(
                st.one_of(random_case("AWS"), random_case("Service"), random_case("Federated"),
                          st.just("CanonicalUser"), st.text(max_size=8)),
                one_or_many(principal_values),
                max_size=3,
            ),
            random_json,
        ))
        statement[principal_key] = principal
    if draw(st.integers(0, 9)):
        statement[draw(st.sampled_from(["Action", "Action", "NotAction", "action"]))] = draw(one_or_many(action_values))
    if draw(st.booleans()):
        statement[draw(random_case("Condition"))] = draw(condition_values)
    if draw(st.integers(0, 5)) == 0:
        statement[draw(st.text(max_size=10))] = draw(random_json)
    return statement if draw(st.integers(0, 19)) else draw(random_json)


policy_documents = st.builds(
    lambda version, statements, single: {
        "Version": version, "Statement": statements[0] if single and statements else statements
    },
    st.one_of(st.just("2012-10-17"), st.just("2012-10-17"), random_json),
    st.lists(random_statements(), max_size=5),
    st.booleans(),
)
random_documents = st.one_of(
    random_json, st.text(max_size=200), policy_documents, policy_documents, policy_documents,
    policy_documents.map(json.dumps),
)


def _lower_keys(obj: dict[Any, Any], allowed: set[str]) -> dict[str, Any] | None:
    """The object's keys in lower case; None if a key is not a string, not allowed, or given twice."""
    lowered: dict[str, Any] = {}
    for key, value in obj.items():
        if not isinstance(key, str) or key.lower() not in allowed or key.lower() in lowered:
            return None
        lowered[key.lower()] = value
    return lowered


def readable_by_oracle(document: Any) -> bool:
    """An independent notion of a well-formed trust policy, written from IAM's grammar rather than from the engine:
    when it says no, the analysis must report a problem (it may report more: values the oracle does not check)."""
    if isinstance(document, (bytes, bytearray)):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError:
            return False
    if isinstance(document, str):
        for text in (document, unquote(document)):
            try:
                document = json.loads(text)
                break
            except (ValueError, RecursionError):
                continue
        else:
            return False
    if not isinstance(document, dict):
        return False
    top = _lower_keys(document, {"version", "id", "statement"})
    if top is None or top.get("version", "2012-10-17") not in ("2012-10-17", "2008-10-17"):
        return False
    statements = top.get("statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        return False
    for raw in statements:
        if not isinstance(raw, dict):
            return False
        statement = _lower_keys(raw, {"sid", "effect", "principal", "notprincipal", "action", "notaction", "condition"})
        if statement is None:
            return False
        effect = statement.get("effect")
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            return False
        if ("action" in statement) == ("notaction" in statement):
            return False
        if ("principal" in statement) == ("notprincipal" in statement):
            return False
        action = statement.get("action", statement.get("notaction"))
        actions = [action] if isinstance(action, str) else action
        if not isinstance(actions, list) or not actions or not all(
            isinstance(a, str) and (a == "*" or re.fullmatch(r"[\w+=,.@-]+:\S+", a)) for a in actions
        ):
            return False
        principal = statement.get("principal", statement.get("notprincipal"))
        if principal != "*":
            if not isinstance(principal, dict) or not principal:
                return False
            types = _lower_keys(principal, {"aws", "service", "federated"})
            if types is None:
                return False
            for values in types.values():
                values = [values] if isinstance(values, str) else values
                if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
                    return False
        condition = statement.get("condition", {})
        if not isinstance(condition, dict):
            return False
        for block in condition.values():
            if not isinstance(block, dict) or not block:
                return False
            for values in block.values():
                values = values if isinstance(values, list) else [values]
                if not values or not all(isinstance(v, (str, bool, int, float)) for v in values):
                    return False
    return True


def analysis_fingerprint(document: Any) -> str:
    analysis = parse_trust_policy(document)
    edges = trust_edges("arn:aws:iam::111111111111:role/r", "111111111111", analysis, {"222222222222"})
    return json.dumps(
        {
            "grants": [repr(grant) for grant in analysis.grants],
            "problems": [repr(problem) for problem in analysis.problems],
            "edges": [edge.as_row() for edge in edges],
            "reach": reachable_principals(edges),
        },
        sort_keys=True, default=str,
    )


PROPERTY_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: conftest


@PROPERTY_SETTINGS
@given(random_documents)
def test_random_documents_never_crash_and_unreadable_ones_are_reported(document):
    check_never_crashes_and_reports(document)


def check_never_crashes_and_reports(document: Any) -> None:
    analysis = parse_trust_policy(document)
    assert all(problem.code != "internal_error" for problem in analysis.problems), analysis.problems
    edges = trust_edges("arn:aws:iam::111111111111:role/r", "111111111111", analysis, {"222222222222"})
    reachable_principals(edges)
    for edge in edges:
        json.loads(edge.conditions), json.loads(edge.denied_when)
        assert edge.trust_zone in trust.TRUST_ZONES and edge.actions
    if not readable_by_oracle(document):
        assert analysis.problems, document
    # Deterministic, and the same whether the document comes as a dict or as its JSON text.
    assert analysis_fingerprint(document) == analysis_fingerprint(document)
    if isinstance(document, dict):
        try:
            text = json.dumps(document)
        except (TypeError, ValueError):
            return
        assert parse_trust_policy(text).grants == analysis.grants


@PROPERTY_SETTINGS
@given(st.text(max_size=300), st.binary(max_size=100))
def test_any_text_or_bytes_is_analysed_or_reported(text, data):
    for document in (text, data, "%7B" + text, "[" * 5000, '{"Statement": ' + "[" * 3000):
        analysis = parse_trust_policy(document)  # type: ignore[arg-type]
        assert all(problem.code != "internal_error" for problem in analysis.problems)
        if not analysis.grants:
            assert analysis.problems or readable_by_oracle(document)


@st.composite
def valid_documents(draw) -> dict[str, Any]:
    principals = st.sampled_from([
        "111111111111", "arn:aws:iam::222222222222:root", "arn:aws:iam::999999999999:user/u",
        "arn:aws:iam::111111111111:role/path/r", "arn:aws:sts::222222222222:assumed-role/r/s", "AIDAJQABLZS4A3QDU576Q",
    ])
    statements = []
    for _ in range(draw(st.integers(1, 4))):
        statement: dict[str, Any] = {
            "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
            "Principal": draw(st.one_of(
                st.just("*"),
                st.builds(
                    lambda aws: {"AWS": aws}, st.one_of(principals, st.lists(principals, min_size=1, max_size=4))
                ),
                st.just({"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}),
            )),
            "Action": draw(st.one_of(
                st.sampled_from(["sts:AssumeRole", "sts:*", "*", "sts:TagSession"]),
                st.lists(st.sampled_from(["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]), min_size=1),
            )),
        }
        if draw(st.booleans()):
            statement["Condition"] = draw(st.sampled_from([
                {"StringEquals": {"sts:ExternalId": "x"}}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
                {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            ]))
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def edges_of(document: Any) -> dict[str, TrustEdge]:
    analysis = parse_trust_policy(document)
    return {
        edge.to_key: edge
        for edge in trust_edges("arn:aws:iam::111111111111:role/r", "111111111111", analysis, {"222222222222"})
    }


@PROPERTY_SETTINGS
@given(valid_documents())
def test_well_formed_documents_raise_no_error(document):
    analysis = parse_trust_policy(document)
    assert analysis.readable, analysis.problems
    assert readable_by_oracle(document)


@PROPERTY_SETTINGS
@given(valid_documents(), st.sampled_from(["*", {"AWS": "*"}]))
def test_an_unconditional_deny_of_everyone_removes_every_edge(document, everyone):
    document["Statement"].append({"Effect": "Deny", "Principal": everyone, "Action": "sts:*"})
    assert edges_of(document) == {}


@PROPERTY_SETTINGS
@given(valid_documents(), valid_documents())
def test_adding_allow_statements_never_removes_an_edge_nor_adds_a_requirement(document, more):
    before = edges_of(document)
    allows = [s for s in more["Statement"] if s["Effect"] == "Allow"]
    after = edges_of({"Statement": document["Statement"] + allows})
    assert set(before) <= set(after)
    for key, edge in before.items():
        for flag, on in after[key].flags.items():
            assert not on or edge.flags[flag], (key, flag)


# Each example is 2,000 principals: a twelfth of the profile's examples, 25 in the thorough one.
@settings(max_examples=settings.default.max_examples // 12, deadline=None)
@given(valid_documents(), st.integers(0, 10_000))
def test_large_principal_lists(document, seed):
    many = [f"{seed + n:012d}" for n in range(2000)]
    document["Statement"].append({"Effect": "Allow", "Principal": {"AWS": many}, "Action": "sts:AssumeRole"})
    analysis = parse_trust_policy(document)
    assert analysis.readable
    last = len(document["Statement"]) - 1
    assert len({g.principal.value for g in analysis.grants if g.statement == last and g.derived_from is None}) == 2000
    edges_of(document)


@st.composite
def mutated_documents(draw) -> dict[str, Any]:
    """A well-formed document with one to three of its statements' elements damaged: near-valid input reaches the
    deep paths (Denies, NotPrincipal, merging) that purely random input rarely does."""
    document = draw(valid_documents())
    for _ in range(draw(st.integers(1, 3))):
        statement = draw(st.sampled_from(document["Statement"]))
        if not statement:
            continue
        key = draw(st.sampled_from(sorted(statement)))
        mutation = draw(st.sampled_from(["replace", "recase", "drop", "wrap", "not", "empty"]))
        if mutation == "replace":
            statement[key] = draw(random_json)
        elif mutation == "recase":
            statement[draw(random_case(key))] = statement.pop(key)
        elif mutation == "drop":
            del statement[key]
        elif mutation == "wrap":
            statement[key] = [statement[key]]
        elif mutation == "not" and key in ("Principal", "Action"):
            statement["Not" + key] = statement.pop(key)
        else:
            statement[key] = {} if isinstance(statement[key], dict) else []
    return document


@PROPERTY_SETTINGS
@given(mutated_documents())
def test_damaged_documents_never_crash_and_are_reported(document):
    check_never_crashes_and_reports(document)
