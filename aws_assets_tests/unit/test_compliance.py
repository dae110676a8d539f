"""The CIS control declarations, compliance per control, account and region, and the README's tables."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from aws_assets.analysis.cis import (
    CONTROLS,
    CONTROLS_BY_ID,
    FRAMEWORK_V3,
    FRAMEWORK_V4,
    FRAMEWORKS,
    control_table,
    coverage,
    rules_by_control,
)
from aws_assets.analysis.compliance import (
    COMPLIANCE_SCHEMA,
    FAIL,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    PASS,
    UnknownFramework,
    compliance,
    compliance_table,
    overall_pass_rate,
    pass_rates,
)
from aws_assets.analysis.findings import RULES, Finding, Rule, evaluate
from aws_assets.app.cli import parser
from aws_assets_tests.conftest import REPO

A, B = "111111111111", "222222222222"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_every_control_is_checked_by_a_rule_or_says_why_not():
    checked = rules_by_control(RULES)
    assert len(CONTROLS) == len(CONTROLS_BY_ID) == 64
    for control in CONTROLS:
        assert bool(checked[control.id]) != bool(control.unchecked_because), control.id
    assert {c for rule in RULES for c in rule.cis} <= set(CONTROLS_BY_ID)


def test_v3_numbers_differ_where_v4_renumbered():
    v3 = {control.id: control.id_in(FRAMEWORK_V3) for control in CONTROLS}
    assert (v3["1.10"], v3["2.2.1"], v3["2.3.1"], v3["5.1.1"], v3["5.2"], v3["5.7"]) == (
        "1.10", "2.3.1", "2.4.1", "2.2.1", "5.1", "5.6")
    assert v3["2.2.4"] is v3["5.1.2"] is None  # new in v4.0
    assert len({n for n in v3.values() if n}) == 62  # v3.0 had 62 controls, each once


def test_a_rule_refuses_a_malformed_control_or_subject():
    with pytest.raises(ValueError, match=r"CIS control 'one' is not a control ID"):
        Rule("AWS-X-001", "low", "t", "d", {"aws_vpc": ()}, lambda inputs: [], cis=("one",))
    with pytest.raises(ValueError, match=r"its subject aws_subnet is not a table it reads"):
        Rule("AWS-X-001", "low", "t", "d", {"aws_vpc": ()}, lambda inputs: [], subject="aws_subnet")


def test_every_rule_says_how_to_fix_it():
    assert [rule.id for rule in RULES if len(rule.remediation) < 20] == []


def test_the_cli_frameworks_are_the_declared_ones():
    compliance_parser = parser()._subparsers._group_actions[0].choices["compliance"]  # type: ignore[union-attr]
    framework = next(a for a in compliance_parser._actions if a.dest == "framework")
    assert tuple(framework.choices) == FRAMEWORKS


def finding(rule_id: str, key: str, account: str = A, region: str = "global", **evidence) -> Finding:
    rule = next(r for r in RULES if r.id == rule_id)
    return Finding(rule_id, rule.severity, rule.title, "t", account, region, key, evidence)


def statuses(findings, population, accounts=(A, B), framework=FRAMEWORK_V4):
    return {(s.control_id, s.account_id, s.region): s
            for s in compliance(findings, population, accounts, RULES, framework)}


def test_a_control_fails_where_a_finding_is_passes_where_resources_are_and_applies_nowhere_else():
    population = {"aws_account": {(A, "global"): 1, (B, "global"): 1},
                  "aws_instance": {(A, "eu-west-1"): 3, (A, "us-east-1"): 2}}
    found = [finding("AWS-IAM-010", f"arn:aws:iam::{A}:root"),
             finding("AWS-EC2-004", "i-1", region="eu-west-1")]
    result = statuses(found, population)
    assert (result[("1.5", A, "all")].status, result[("1.5", A, "all")].failing) == (FAIL, (f"arn:aws:iam::{A}:root",))
    assert result[("1.5", B, "all")].status == PASS
    imds = result[("5.7", A, "all")]
    assert (imds.status, imds.assessed, imds.failing, imds.rules) == (FAIL, 5, ("i-1",), ("AWS-EC2-004",))
    assert result[("5.7", A, "eu-west-1")].status == FAIL
    assert result[("5.7", A, "us-east-1")].status == PASS
    # B has no instance: the IMDS control does not apply to it.
    assert result[("5.7", B, "all")].status == NOT_APPLICABLE
    assert ("5.7", B, "eu-west-1") not in result
    assert result[("1.2", A, "all")].status == NOT_ASSESSED
    assert "alternate contacts" in (result[("1.2", A, "all")].reason or "")
    assert {s.status for s in result.values()} == {PASS, FAIL, NOT_APPLICABLE, NOT_ASSESSED}

    rates = pass_rates(result.values())
    assert rates[A]["fail"] == 2 and rates[B]["fail"] == 0
    assert rates[B]["passRate"] == 100.0
    assert rates[A]["passRate"] == round(100 * rates[A]["pass"] / (rates[A]["pass"] + 2), 1)
    assert 0 < overall_pass_rate(result.values()) < 100
    table = compliance_table(result.values())
    assert (table.schema, table.num_rows) == (COMPLIANCE_SCHEMA, len(result))


def test_an_ipv4_only_opening_fails_5_3_and_not_5_4():
    population = {"aws_security_group": {(A, "eu-west-1"): 2}}
    open_v4 = finding("AWS-EC2-001", "sg-4", region="eu-west-1", openRules=[{"source": "0.0.0.0/0"}])
    result = statuses([open_v4], population, accounts=(A,))
    assert (result[("5.3", A, "all")].status, result[("5.4", A, "all")].status) == (FAIL, PASS)


def test_the_v3_framework_reports_v3_numbers():
    population = {"aws_instance": {(A, "eu-west-1"): 1}}
    result = statuses([finding("AWS-EC2-004", "i-1", region="eu-west-1")], population, (A,), FRAMEWORK_V3)
    assert result[("5.6", A, "all")].status == FAIL  # v4.0's 5.7
    assert not any(control == "2.2.4" for control, _, _ in result)


def test_an_unknown_framework_is_refused():
    with pytest.raises(UnknownFramework, match="unknown framework 'pci'"):
        compliance([], {}, [A], RULES, "pci")


def test_compliance_of_evaluated_rows_end_to_end():
    """The findings of hand-written rows through compliance: the account with a weak password policy fails 1.8."""
    tables = {"aws_account": [
        {"_key": f"arn:aws:iam::{a}:root", "accountId": a, "region": "global", "rootMfaEnabled": True,
         "rootAccessKeysPresent": False, "passwordPolicyPresent": True, "passwordMinimumLength": length,
         "passwordReusePrevention": 24}
        for a, length in ((A, 8), (B, 14))]}
    rules = [r for r in RULES if r.id in ("AWS-IAM-009", "AWS-IAM-010", "AWS-IAM-011", "AWS-IAM-012")]
    found = evaluate(tables, NOW, rules)
    result = {(s.control_id, s.account_id): s.status
              for s in compliance(found, {"aws_account": {(A, "global"): 1, (B, "global"): 1}}, [A, B], rules)
              if s.region == "all"}
    assert (result[("1.8", A)], result[("1.8", B)], result[("1.4", A)], result[("1.9", A)]) == (
        FAIL, PASS, PASS, PASS)


def readme_section(title: str) -> list[str]:
    return (REPO / "README.md").read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0].splitlines()


def test_the_readme_compliance_section_shows_every_control_and_the_coverage():
    section = readme_section("Compliance")
    table = control_table(RULES)
    start = section.index(table[0])
    assert section[start:start + len(table)] == table, "\n".join(table)
    counts = coverage(RULES)
    text = "\n".join(section)
    assert (f"{len(RULES)} rules" in text and f"{counts['automatedChecked']} of the {counts['automated']} automated"
            in text and f"{counts['checked']} of all {counts['controls']}" in text), counts
    assert re.search(r"aws-assets compliance", text)
