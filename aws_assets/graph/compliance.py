"""Compliance read from the lake: the `findings` table and, per rule, how many rows its subject table holds in each
account and region (what tells a control that passed from one that does not apply)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb

from aws_assets.analysis.compliance import ControlStatus, Population, compliance
from aws_assets.analysis.findings import FINDINGS_TABLE, Finding, Rule, tables_read
from aws_assets.lake.sql import quote_identifier

_FINDING_COLUMNS = ("ruleId", "severity", "title", "resourceType", "accountId", "region", "resourceKey", "evidence")


def compliance_reads(rules: Sequence[Rule]) -> dict[str, tuple[str, ...]]:
    """Table -> the columns compliance reads. Of the rules' tables it needs only accountId and region, but it asks
    for the columns the findings asset reads: the lake snapshot is kept per table and columns, so it reuses the one
    the findings asset has just refreshed instead of reading every partition file again."""
    columns = tables_read(rules)
    return {
        FINDINGS_TABLE: _FINDING_COLUMNS,
        "aws_account": columns.get("aws_account", ("accountId",)),
        **{rule.subject_table: columns[rule.subject_table] for rule in rules},
    }


def lake_findings(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule]) -> list[Finding]:
    """The findings, with their evidence read only for the rules whose controls judge it (`Rule.fails_control`)."""
    judged = {rule.id for rule in rules if rule.fails_control is not None}
    rows = con.sql(f"SELECT {', '.join(_FINDING_COLUMNS)} FROM {FINDINGS_TABLE}").fetchall()
    return [Finding(rule, severity, title, kind, account, region, key,
                    json.loads(evidence or "{}") if rule in judged else {})
            for rule, severity, title, kind, account, region, key, evidence in rows]


def lake_population(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule]) -> Population:
    population: dict[str, dict[tuple[str, str], int]] = {}
    for table in dict.fromkeys(rule.subject_table for rule in rules):
        counts = con.sql(f"SELECT accountId, region, count(*) FROM {quote_identifier(table)} GROUP BY ALL").fetchall()
        population[table] = {(account, region): count for account, region, count in counts}
    return population


def lake_compliance(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule],
                    frameworks: Sequence[str]) -> list[ControlStatus]:
    """Each framework's controls, the lake read once for all."""
    accounts = [account for (account,) in con.sql("SELECT DISTINCT accountId FROM aws_account").fetchall()]
    found, population = lake_findings(con, rules), lake_population(con, rules)
    return [status for framework in frameworks
            for status in compliance(found, population, accounts, rules, framework)]
