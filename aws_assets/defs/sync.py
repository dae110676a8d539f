"""Syncing integration instances through the Dagster definitions: one run per account and per account x region.

`aws-assets sync` and `aws-assets demo` both use it. Runs execute in this process against a persistent Dagster
instance (DAGSTER_HOME), so the Dagster UI shows every materialization afterwards.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from dagster import AssetCheckSeverity, DagsterEvent, DagsterInstance, Definitions, ExecuteInProcessResult

from aws_assets.aws.session import AccessError
from aws_assets.defs.jobs import build_graph_job, sync_account_job, sync_region_job
from aws_assets.defs.partitions import account_region_key, accounts_partitions
from aws_assets.defs.resources import AwsAccounts
from aws_assets.graph.tables import relationship_schemas
from aws_assets.inputs.instances import Instance
from aws_assets.model.regions import GLOBAL_REGION


@dataclass
class PartitionResult:
    account_id: str
    region: str | None  # None: the account-wide partition
    ok: bool
    api_calls: int = 0
    rows: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    calls_by_operation: Counter[str] = field(default_factory=Counter)

    @property
    def label(self) -> str:
        return f"{self.account_id} {self.region or 'account-wide'}"


@dataclass
class GraphResult:
    ok: bool
    edges_by_type: dict[str, int] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class SyncReport:
    results: list[PartitionResult] = field(default_factory=list)
    # AssumeRole and DescribeRegions, made to learn each account's regions before its runs
    planning_calls: Counter[str] = field(default_factory=Counter)
    graph: GraphResult | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results) and (self.graph is None or self.graph.ok)

    @property
    def api_calls(self) -> int:
        return sum(self.calls_by_operation().values())

    @property
    def failures(self) -> list[PartitionResult]:
        return [r for r in self.results if not r.ok]

    def calls_by_operation(self) -> Counter[str]:
        total = Counter(self.planning_calls)
        for result in self.results:
            total.update(result.calls_by_operation)
        return total


Progress = Callable[[PartitionResult, int, int], None]


def _failure_messages(events: list[DagsterEvent]) -> list[str]:
    messages = []
    for event in events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            messages.append(data.user_failure_data.description)
        elif data.error:
            messages.append(data.error.message.strip().splitlines()[-1])
    return messages


def _metadata_int(metadata: dict, key: str) -> int:
    value = metadata.get(key)
    return int(value.value) if value is not None else 0


def _add_calls(partition: PartitionResult, metadata: dict) -> None:
    by_operation = metadata.get("aws/api_calls_by_operation")
    if by_operation is not None:
        partition.calls_by_operation.update(by_operation.value)
    partition.api_calls = sum(partition.calls_by_operation.values())


def summarize_run(result: ExecuteInProcessResult, partition: PartitionResult) -> PartitionResult:
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        partition.rows += _metadata_int(metadata, "dagster/row_count")
        _add_calls(partition, metadata)
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.user_failure_data:
            _add_calls(partition, event.step_failure_data.user_failure_data.metadata)
    partition.errors = _failure_messages(result.all_events)
    partition.ok = result.success
    return partition


def plan_regions(aws: AwsAccounts, instance: Instance, report: SyncReport) -> tuple[str, ...]:
    collection = aws.collection(instance, GLOBAL_REGION)
    try:
        return aws.regions_to_collect(instance, collection)
    finally:
        report.planning_calls.update(collection.calls.by_operation())


def sync(
    instances: list[Instance],
    defs: Definitions,
    dagster_instance: DagsterInstance,
    progress: Progress = lambda result, done, total: None,
) -> SyncReport:
    started = time.monotonic()
    report = SyncReport()
    aws: AwsAccounts = defs.resources["aws"]
    dagster_instance.add_dynamic_partitions(accounts_partitions.name, [i.account_id for i in instances])

    plan: list[tuple[Instance, str | None]] = []
    for instance in instances:
        try:
            regions = plan_regions(aws, instance, report)
        except (AccessError, ClientError, BotoCoreError) as error:
            failed = PartitionResult(instance.account_id, None, ok=False, errors=[f"{instance.label}: {error}"])
            report.results.append(failed)
            progress(failed, len(report.results), len(instances))
            continue
        plan.append((instance, None))
        plan.extend((instance, region) for region in regions)

    # The summary reports every failure itself; Dagster's console log would repeat each with a stack trace.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    account_job = defs.resolve_job_def(sync_account_job.name)
    region_job = defs.resolve_job_def(sync_region_job.name)
    total = len(plan) + len(report.results)
    for instance, region in plan:
        partition_started = time.monotonic()
        if region is None:
            result = account_job.execute_in_process(
                partition_key=instance.account_id, instance=dagster_instance, raise_on_error=False, run_config=quiet
            )
        else:
            result = region_job.execute_in_process(
                partition_key=account_region_key(instance.account_id, region),
                instance=dagster_instance,
                raise_on_error=False,
                run_config=quiet,
            )
        partition = summarize_run(result, PartitionResult(instance.account_id, region, ok=True))
        partition.seconds = time.monotonic() - partition_started
        report.results.append(partition)
        progress(partition, len(report.results), total)
    if any(result.ok for result in report.results):
        # Over a lake no partition changed, the graph would come out as it is: rebuilding it only costs time.
        report.graph = build_graph(defs, dagster_instance, quiet)
    report.seconds = time.monotonic() - started
    return report


def build_graph(defs: Definitions, dagster_instance: DagsterInstance, run_config: dict) -> GraphResult:
    """The relationship assets over everything synced, in one run, as the automation sensor would."""
    started = time.monotonic()
    result = defs.resolve_job_def(build_graph_job.name).execute_in_process(
        instance=dagster_instance, raise_on_error=False, run_config=run_config
    )
    graph = GraphResult(ok=result.success, errors=_failure_messages(result.all_events))
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() in relationship_schemas():
            graph.edges_by_type[event.asset_key.to_user_string()] = _metadata_int(
                event.materialization.metadata, "dagster/row_count"
            )
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            # A failed WARN check reports something found in AWS (a finding), not a broken graph.
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                graph.failed_checks.append(f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}")
    graph.ok = graph.ok and not graph.failed_checks
    graph.seconds = time.monotonic() - started
    return graph
