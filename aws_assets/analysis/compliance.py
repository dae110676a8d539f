"""Compliance with a framework (the CIS AWS Foundations Benchmark v4.0 or v3.0): each control's status per account
and region, from the findings of the rules that check it and the rows those rules judge. Pure: rows in, rows out.

- fail: a rule of the control has a finding there that fails it (the resources are listed);
- pass: the rules judged resources there (rows of their subject tables) and none fails;
- not-applicable: the account holds nothing the rules judge (no RDS instance for an RDS control), in any region;
- not-assessed: no rule checks the control; `reason` says why (manual, or data not collected yet).

An account's status for a control is its worst region's. Its pass rate is passed / (passed + failed) over the
controls that apply to it, so that controls not assessed neither help nor hurt, and its trend is what the
`compliance` asset's metadata plots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import pyarrow as pa

from aws_assets.analysis.cis import CONTROLS, FRAMEWORK_V4, FRAMEWORKS, rules_by_control
from aws_assets.analysis.rules.model import Finding, Rule
from aws_assets.model.entity import Column, boolean, integer, schema_of, string, strings

COMPLIANCE_TABLE = "compliance"
PASS, FAIL, NOT_APPLICABLE, NOT_ASSESSED = "pass", "fail", "not-applicable", "not-assessed"
STATUSES = (FAIL, PASS, NOT_APPLICABLE, NOT_ASSESSED)  # worst first
ACCOUNT_WIDE = "all"  # the region of an account's status over all its regions

# (account, region) -> how many rows a subject table holds there.
Population = Mapping[str, Mapping[tuple[str, str], int]]

COMPLIANCE_COLUMNS: tuple[Column, ...] = (
    string("framework", "cis-aws-4.0 or cis-aws-3.0"),
    string("controlId", "The control's ID in that framework, e.g. 1.10"),
    string("title", "The control's title"),
    boolean("automated", "Whether CIS assesses the control automatically (else manually)"),
    string("accountId", "AWS account"),
    string("region", "AWS region (`global` for account-wide resources), or `all`: the account's status over every "
           "region, the worst of them"),
    string("status", "pass, fail, not-applicable or not-assessed"),
    strings("rules", "The rules that check the control"),
    integer("assessed", "Resources the rules judged there"),
    strings("failingResources", "`_key` of each resource that fails it there"),
    string("reason", "Why no rule checks it, for not-assessed controls"),
)
COMPLIANCE_SCHEMA = schema_of(COMPLIANCE_COLUMNS)


class UnknownFramework(ValueError):
    pass


@dataclass(frozen=True)
class ControlStatus:
    framework: str
    control_id: str
    title: str
    automated: bool
    account_id: str
    region: str
    status: str
    rules: tuple[str, ...] = ()
    assessed: int = 0
    failing: tuple[str, ...] = ()
    reason: str | None = None

    def as_row(self) -> dict:
        return {
            "framework": self.framework, "controlId": self.control_id, "title": self.title,
            "automated": self.automated, "accountId": self.account_id, "region": self.region,
            "status": self.status, "rules": list(self.rules), "assessed": self.assessed,
            "failingResources": list(self.failing), "reason": self.reason,
        }


def check_framework(framework: str) -> str:
    if framework not in FRAMEWORKS:
        raise UnknownFramework(f"unknown framework {framework!r}: choose one of {', '.join(FRAMEWORKS)}")
    return framework


def compliance(findings: Iterable[Finding], population: Population, accounts: Iterable[str],
               rules: Sequence[Rule], framework: str = FRAMEWORK_V4) -> list[ControlStatus]:
    """Every control of the framework for every account: the account's row (region `all`), then one per region
    where its rules judged resources; only the account's row when not applicable or not assessed."""
    check_framework(framework)
    # rule -> account -> region -> findings; table -> account -> region -> rows
    by_rule: dict[str, dict[str, dict[str, list[Finding]]]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, {}).setdefault(finding.account_id, {}).setdefault(
            finding.region, []).append(finding)
    rows_by_account: dict[str, dict[str, dict[str, int]]] = {}
    for table, counts in population.items():
        for (account, region), count in counts.items():
            rows_by_account.setdefault(table, {}).setdefault(account, {})[region] = count
    checked = rules_by_control(rules)
    account_ids = sorted(set(accounts) | {account for table in population.values() for account, _ in table})
    out: list[ControlStatus] = []
    for control in CONTROLS:
        control_id = control.id_in(framework)
        if control_id is None:
            continue
        base = ControlStatus(framework, control_id, control.title, control.automated, "", ACCOUNT_WIDE, NOT_ASSESSED)
        control_rules = checked[control.id]
        rule_ids = tuple(rule.id for rule in control_rules)
        for account in account_ids:
            if not control_rules:
                out.append(replace(base, account_id=account, region=ACCOUNT_WIDE, status=NOT_ASSESSED,
                                         reason=control.unchecked_because))
                continue
            regional = _regions(control.id, control_rules, account, by_rule, rows_by_account)
            if not regional:
                out.append(replace(base, account_id=account, region=ACCOUNT_WIDE, status=NOT_APPLICABLE,
                                         rules=rule_ids))
                continue
            rows = [replace(base, account_id=account, region=region, status=FAIL if failing else PASS,
                                  rules=rule_ids, assessed=assessed, failing=failing)
                    for region, (assessed, failing) in sorted(regional.items())]
            failing_all = tuple(sorted({key for row in rows for key in row.failing}))
            out.append(replace(base, account_id=account, region=ACCOUNT_WIDE, status=FAIL if failing_all else PASS,
                               rules=rule_ids, assessed=sum(row.assessed for row in rows), failing=failing_all))
            out.extend(rows)
    return out


def _regions(control: str, rules: Sequence[Rule], account: str,
             by_rule: Mapping[str, Mapping[str, Mapping[str, list[Finding]]]],
             rows_by_account: Mapping[str, Mapping[str, Mapping[str, int]]]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Region -> (resources judged, failing resource keys) for one control in one account."""
    assessed: dict[str, int] = {}
    failing: dict[str, set[str]] = {}
    for rule in rules:
        for region, count in rows_by_account.get(rule.subject_table, {}).get(account, {}).items():
            assessed[region] = assessed.get(region, 0) + count
        for region, found in by_rule.get(rule.id, {}).get(account, {}).items():
            keys = {f.resource_key for f in found if rule.fails(control, f)}
            if keys:
                failing.setdefault(region, set()).update(keys)
                assessed.setdefault(region, 0)
    return {region: (count, tuple(sorted(failing.get(region, ())))) for region, count in assessed.items()}


def account_statuses(statuses: Iterable[ControlStatus]) -> list[ControlStatus]:
    """The account-wide row of each control and account."""
    return [status for status in statuses if status.region == ACCOUNT_WIDE]


def pass_rates(statuses: Iterable[ControlStatus]) -> dict[str, dict[str, float | int]]:
    """Account -> passed, failed, not applicable and not assessed controls, and the pass rate (percent, of the
    controls that passed or failed)."""
    counts: dict[str, dict[str, int]] = {}
    for status in account_statuses(statuses):
        tally = counts.setdefault(status.account_id, dict.fromkeys(STATUSES, 0))
        tally[status.status] += 1
    return {account: {**tally, "passRate": _rate(tally[PASS], tally[FAIL])} for account, tally in counts.items()}


def overall_pass_rate(statuses: Iterable[ControlStatus]) -> float:
    """The pass rate (percent) over every account's controls that passed or failed."""
    overall = account_statuses(statuses)
    return _rate(sum(s.status == PASS for s in overall), sum(s.status == FAIL for s in overall))


def _rate(passed: int, failed: int) -> float:
    return round(100.0 * passed / (passed + failed), 1) if passed + failed else 100.0


def compliance_table(statuses: Iterable[ControlStatus]) -> pa.Table:
    return pa.Table.from_pylist([status.as_row() for status in statuses], schema=COMPLIANCE_SCHEMA)
