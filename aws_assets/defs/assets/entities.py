"""The entity assets: one Dagster multi-asset per AWS service, one asset per entity type, built from declarations."""

from collections import Counter
from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from aws_assets.aws.collect import Outcome
from aws_assets.collection.partition import HEAD_ROWS, Written, sync_partition
from aws_assets.defs.assets.column_schema import column_schema
from aws_assets.defs.partitions import account_region_partitions, accounts_partitions, split_partition_key
from aws_assets.defs.resources import AwsAccounts, LakeResource
from aws_assets.inputs.instances import InstanceError
from aws_assets.model.entity import EntityType, Scope, Service

PREVIEW_ROWS = HEAD_ROWS  # a sync keeps no more of each table it writes
# What tells the rows apart at a glance first: the UI shows a Markdown table in a narrow column, and the key
# (an ARN, often) wraps over several lines. A partition's region is its key's.
PREVIEW_COLUMNS = ("displayName", "_key")


def markdown_preview(table: pa.Table, columns: tuple[str, ...] = PREVIEW_COLUMNS, total_rows: int | None = None) -> str:
    """The first rows of `table`; `total_rows` when the table is itself only the head of what was written."""
    total = table.num_rows if total_rows is None else total_rows
    if total == 0:
        return "_no rows_"
    rows = table.select(list(columns)).slice(0, PREVIEW_ROWS).to_pylist()
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c] or "").replace("|", "\\|") for c in columns) + " |" for row in rows]
    if total > PREVIEW_ROWS:
        lines.append(f"\n_{total - PREVIEW_ROWS} more rows_")
    return "\n".join(lines)


def asset_spec(service: Service, entity_type: EntityType) -> AssetSpec:
    classes = ", ".join(entity_type.classes)
    return AssetSpec(
        key=AssetKey(entity_type.type),
        group_name=service.name,
        kinds={"aws", service.kind},
        description=f"{entity_type.description}\n\n`_type` {entity_type.type}, `_class` [{classes}]; "
        f"partitioned by {'account' if service.scope is Scope.ACCOUNT else 'account x region'}.",
        metadata={"dagster/column_schema": column_schema(entity_type.schema), "aws/service": service.title},
        tags={"aws/service": service.name},
    )


def materialization_metadata(written: Written, throttled: dict[str, int]) -> dict:
    """What the UI shows of a partition's materialization, however it was synced; `throttled` counts the
    partition's throttled requests by operation (shared by its tables: AWS throttles per account and service).

    The column schema is the asset's own metadata, not repeated here: a sync writes one materialization per table and
    partition, and at organisation scale writing them is most of its time."""
    outcome = written.outcome
    metadata = {
        "dagster/row_count": written.rows,
        "aws/api_calls": outcome.api_calls,
        "aws/api_calls_by_operation": MetadataValue.json(outcome.calls_by_operation),
        "collection_seconds": round(outcome.seconds, 3),
        "aws/partition_throttled_requests": sum(throttled.values()),
        "lake/path": MetadataValue.path(written.path),
        "preview": MetadataValue.md(markdown_preview(outcome.table, total_rows=written.rows)
                                    if outcome.table is not None else "_no rows_"),
    }
    if outcome.note:
        metadata["note"] = outcome.note
    return metadata


def failure_metadata(failures: list[Outcome]) -> dict:
    return {
        "failed_assets": ", ".join(f.entity_type.type for f in failures),
        "aws/api_calls": sum(f.api_calls for f in failures),
        "aws/api_calls_by_operation": MetadataValue.json(
            dict(sum((Counter(f.calls_by_operation) for f in failures), Counter()))
        ),
    }


def build_service_assets(service: Service) -> AssetsDefinition:
    regional = service.scope is Scope.REGION

    @multi_asset(
        name=f"collect_{service.name}",
        specs=[asset_spec(service, et) for et in service.entity_types],
        partitions_def=account_region_partitions if regional else accounts_partitions,
        can_subset=True,
        description=f"Collects {service.title} for one {'account and region' if regional else 'account'}.",
    )
    def collect_service(
        context: AssetExecutionContext, aws: AwsAccounts, lake: LakeResource
    ) -> Iterator[MaterializeResult]:
        selected = [et for et in service.entity_types if AssetKey(et.type) in context.selected_asset_keys]
        try:
            account_id, region = split_partition_key(context.partition_key)
            instance = aws.instance(account_id)
        except InstanceError as error:
            raise Failure(description=str(error)) from None
        synced = sync_partition(instance, region, selected, lake.lake(), aws.profile)
        if synced.error:
            raise Failure(description=synced.error)
        for written in synced.written:
            outcome = written.outcome
            context.log.info(f"{outcome.entity_type.type}: {written.rows} rows, {outcome.api_calls} API calls")
            yield MaterializeResult(asset_key=AssetKey(outcome.entity_type.type),
                                    metadata=materialization_metadata(written, synced.throttled))
        for failure in synced.failures:
            context.log.error(failure.error)
        if synced.failures:
            raise Failure(
                description="; ".join(f.error or "" for f in synced.failures)
                + ". The previous data of these assets is kept.",
                metadata=failure_metadata(synced.failures),
            )

    return collect_service
