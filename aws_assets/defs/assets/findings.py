"""The `findings` asset: the rules of aws_assets.analysis.findings run over the whole lake, one warning check per rule.

It depends on the entity tables the rules read, refreshes itself when they change (declarative automation), writes
`<lake>/findings/data.parquet`, and records the counts per severity and per rule in its materialization metadata, so
the Dagster UI plots them over time. Each rule is an asset check of severity WARN that passes when the rule finds
nothing: a finding is something to fix in AWS, not a failure of the pipeline.
"""

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from aws_assets.analysis.findings import (
    FINDINGS_SCHEMA,
    FINDINGS_TABLE,
    RULES,
    SEVERITIES,
    Finding,
    Rule,
    count_by_rule,
    count_by_severity,
    evaluate,
    findings_table,
    tables_read,
)
from aws_assets.defs.assets.analysis import GROUP
from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.tables import load_tables
from aws_assets.lake.sql import quote_identifier

FINDINGS_KEY = AssetKey(FINDINGS_TABLE)
PREVIEW_COLUMNS = ("severity", "ruleId", "resourceKey")  # the short ones first; the key names the account
CHECK_EXAMPLES = 10  # resource keys listed in a failing check's metadata
TOP_RULES = 5  # rules named in the summary


def findings_summary(by_severity: Mapping[str, int], by_rule: Mapping[str, int]) -> str:
    """The counts per severity and the rules that found the most (the more severe first among equals), as Markdown:
    the first entry of the materialization's metadata, which the asset's overview shows."""
    counts = " · ".join(f"**{count} {severity}**" for severity, count in by_severity.items())
    found = sorted((rule for rule in RULES if by_rule.get(rule.id)),
                   key=lambda rule: (-by_rule[rule.id], SEVERITIES.index(rule.severity), rule.id))
    if not found:
        return f"{counts}\n\nNo rule found anything."
    top = [f"{place}. **{by_rule[rule.id]}** `{rule.id}` ({rule.severity}) {rule.title}"
           for place, rule in enumerate(found[:TOP_RULES], start=1)]
    more = f"\n\n_{len(found) - TOP_RULES} more rules found something: see `findings_by_rule`_" \
        if len(found) > TOP_RULES else ""
    return f"{counts}\n\nTop rules:\n\n" + "\n".join(top) + more


def read_tables(con: duckdb.DuckDBPyConnection, reads: Mapping[str, tuple[str, ...]]) -> dict[str, list[dict]]:
    """The columns the rules read, table by table, as rows."""
    return {
        table: con.sql(
            f"SELECT {', '.join(quote_identifier(c) for c in columns)} FROM {quote_identifier(table)}"
        ).to_arrow_table().to_pylist()
        for table, columns in reads.items()
    }


def check_result(rule: Rule, findings: list[Finding]) -> AssetCheckResult:
    """The rule's check: passed when it found nothing, else a warning listing the first resources."""
    mine = [f for f in findings if f.rule_id == rule.id]
    metadata: dict[str, Any] = {"findings": len(mine)}
    if mine:
        metadata["resources"] = MetadataValue.md("\n".join(f"- `{f.resource_key}`" for f in mine[:CHECK_EXAMPLES]))
    return AssetCheckResult(
        asset_key=FINDINGS_KEY,
        check_name=rule.check_name,
        passed=not mine,
        severity=AssetCheckSeverity.WARN,
        metadata=metadata,
        description=f"{len(mine)} resource(s): {rule.title}" if mine else None,
    )


@asset(
    key=FINDINGS_KEY,
    group_name=GROUP,
    kinds={"duckdb", "parquet"},
    deps=[AssetKey(table) for table in tables_read()],
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    description="Problems a security team can act on, one row per (rule, resource), with the evidence: public "
    "roles and buckets, external trusts without ExternalId, security groups open to the internet on SSH, RDP or "
    "database ports, unencrypted storage, console users without MFA, stale access keys, admin policies on users, "
    "resources shared outside the zone of trust (external access, from `resource_access`). "
    "The rules are listed in the README (Findings) and the data dictionary.",
    metadata={
        "dagster/column_schema": column_schema(FINDINGS_SCHEMA),
    },
    check_specs=[
        AssetCheckSpec(
            rule.check_name, asset=FINDINGS_KEY,
            description=f"{rule.id} ({rule.severity}): {rule.title}. Passes when no resource has the problem.",
        )
        for rule in RULES
    ],
)
def findings(context: AssetExecutionContext, lake: LakeResource) -> Iterator[MaterializeResult | AssetCheckResult]:
    started = time.monotonic()
    observed_at = datetime.now(UTC)
    reads = tables_read()
    con = load_tables(lake.snapshot(), reads)
    found = evaluate(read_tables(con, reads), observed_at)
    table = findings_table(found, observed_at)
    path = lake.lake().write_table(FINDINGS_TABLE, table)
    by_severity, by_rule = count_by_severity(found), count_by_rule(found)
    context.log.info("findings: " + ", ".join(f"{count} {severity}" for severity, count in by_severity.items()))
    yield MaterializeResult(
        asset_key=FINDINGS_KEY,
        metadata={
            "summary": MetadataValue.md(findings_summary(by_severity, by_rule)),
            "dagster/row_count": table.num_rows,
            # One number per severity, so that the UI plots each over time.
            **{f"findings/{severity}": by_severity[severity] for severity in SEVERITIES},
            "findings_by_rule": MetadataValue.json(by_rule),
            "seconds": round(time.monotonic() - started, 3),
            "lake/path": MetadataValue.path(path),
            "preview": MetadataValue.md(markdown_preview(table, PREVIEW_COLUMNS)),
        },
    )
    for rule in RULES:
        yield check_result(rule, found)
