"""The change assets: `entity_changes`, `relationship_changes` and `finding_changes`, refreshed after each sync
like the graph. Each adds a batch of what the lake's history holds since its last one (aws_assets.graph.changes);
its materialization shows the counts per change and a preview of the most important changes, and
`finding_changes` records the findings opened and resolved as numbers, which the UI plots over time.
`entity_changes` also applies the history's retention (AWS_ASSETS_HISTORY_DAYS)."""


from collections import Counter
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from aws_assets.analysis.changes import (
    CHANGE_SCHEMAS,
    ENTITY_CHANGES_SCHEMA,
    ENTITY_CHANGES_TABLE,
    FINDING_CHANGES_SCHEMA,
    FINDING_CHANGES_TABLE,
    OPENED,
    RELATIONSHIP_CHANGES_SCHEMA,
    RELATIONSHIP_CHANGES_TABLE,
    RESOLVED,
    TABLE_DESCRIPTIONS,
    counts,
    importance,
)
from aws_assets.analysis.findings import FINDINGS_TABLE
from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.automation import REFRESH_WHEN_UPSTREAM_CHANGES
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.changes import (
    ChangeBatch,
    compute_entity_changes,
    compute_finding_changes,
    compute_relationship_changes,
    entity_tables,
)
from aws_assets.graph.tables import relationship_schemas
from aws_assets.lake.prune import history_days, prune

GROUP = "changes"
ENTITY_PREVIEW = ("changeType", "_type", "accountId", "name", "changedColumns")
RELATIONSHIP_PREVIEW = ("changeType", "highlight", "_type", "_fromEntityKey", "_toEntityKey")
FINDING_PREVIEW = ("changeType", "severity", "ruleId", "accountId", "resourceKey")


def batch_metadata(batch: ChangeBatch, path: str | None, preview: tuple[str, ...], by_type: bool = True) -> dict:
    ordered = sorted(batch.rows, key=importance)
    table = pa.Table.from_pylist(ordered, schema=CHANGE_SCHEMAS[batch.table])
    per_change = Counter(row["changeType"] for row in batch.rows)
    metadata: dict = {
        "dagster/row_count": len(batch.rows),
        **{f"changes/{change}": count for change, count in sorted(per_change.items())},
        "versions_read": batch.versions,
        "through": batch.through.isoformat() if batch.through else "",
        "preview": MetadataValue.md(markdown_preview(table, preview)),
    }
    if by_type:
        metadata["changes_by_type"] = MetadataValue.json(counts(batch.rows))
    if path:
        metadata["lake/path"] = MetadataValue.path(path)
    return metadata


@asset(
    key=AssetKey(ENTITY_CHANGES_TABLE),
    group_name=GROUP,
    kinds={"parquet"},
    deps=[AssetKey(table) for table in entity_tables()],
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    description=TABLE_DESCRIPTIONS[ENTITY_CHANGES_TABLE],
    metadata={"dagster/column_schema": column_schema(ENTITY_CHANGES_SCHEMA)},
)
def entity_changes(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    target = lake.lake()
    batch = compute_entity_changes(target)
    path = batch.write(target)
    days = history_days()
    pruned = prune(target, datetime.now(UTC) - timedelta(days=days))
    context.log.info(f"{len(batch.rows)} entity change(s) in {batch.versions} version(s); pruned "
                     f"{pruned.versions} version(s) and {pruned.batches} batch(es) older than {days} days")
    metadata = batch_metadata(batch, path, ENTITY_PREVIEW)
    metadata.update({"pruned/versions": pruned.versions, "pruned/batches": pruned.batches})
    return MaterializeResult(metadata=metadata)


@asset(
    key=AssetKey(RELATIONSHIP_CHANGES_TABLE),
    group_name=GROUP,
    kinds={"parquet"},
    deps=[AssetKey(table) for table in relationship_schemas()],
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    description=TABLE_DESCRIPTIONS[RELATIONSHIP_CHANGES_TABLE],
    metadata={"dagster/column_schema": column_schema(RELATIONSHIP_CHANGES_SCHEMA)},
)
def relationship_changes(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    target = lake.lake()
    batch = compute_relationship_changes(target)
    path = batch.write(target)
    context.log.info(f"{len(batch.rows)} edge change(s) in {batch.versions} version(s)")
    metadata = batch_metadata(batch, path, RELATIONSHIP_PREVIEW)
    for highlight, count in sorted(Counter(r["highlight"] for r in batch.rows if r["highlight"]).items()):
        metadata[f"highlights/{highlight}"] = count
    return MaterializeResult(metadata=metadata)


@asset(
    key=AssetKey(FINDING_CHANGES_TABLE),
    group_name=GROUP,
    kinds={"parquet"},
    deps=[AssetKey(FINDINGS_TABLE)],
    automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    description=TABLE_DESCRIPTIONS[FINDING_CHANGES_TABLE],
    metadata={"dagster/column_schema": column_schema(FINDING_CHANGES_SCHEMA)},
)
def finding_changes(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
    target = lake.lake()
    batch = compute_finding_changes(target)
    path = batch.write(target)
    changes = Counter(row["changeType"] for row in batch.rows)
    context.log.info(f"findings: {changes[OPENED]} opened, {changes[RESOLVED]} resolved")
    metadata = batch_metadata(batch, path, FINDING_PREVIEW, by_type=False)
    # Always both numbers, so that the UI plots each over time (a sync that resolved nothing plots a 0).
    metadata.update({"findings/opened": changes[OPENED], "findings/resolved": changes[RESOLVED]})
    return MaterializeResult(metadata=metadata)


CHANGE_ASSETS = (entity_changes, relationship_changes, finding_changes)
