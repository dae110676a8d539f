"""Syncing integration instances through the Dagster definitions: one run of the `sync` job for every account and
region (its engine runs them in parallel), then one run of the graph build.

`aws-assets sync` and `aws-assets demo` both use it. Runs execute in this process against a persistent Dagster
instance (DAGSTER_HOME), so the Dagster UI shows every materialization afterwards.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from dagster import AssetCheckSeverity, DagsterEvent, DagsterInstance, Definitions, ResourceDefinition

from aws_assets.collection.limits import DEFAULT_CONCURRENCY
from aws_assets.collection.partition import PartitionSync
from aws_assets.defs.assets.edge_checks import failed_edge_checks
from aws_assets.defs.jobs import ACCOUNT_TAG, SYNC_JOB, build_graph_job
from aws_assets.graph.tables import relationship_schemas
from aws_assets.inputs.instances import Instance


@dataclass
class GraphResult:
    ok: bool
    edges_by_type: dict[str, int] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class SyncReport:
    results: list[PartitionSync] = field(default_factory=list)
    graph: GraphResult | None = None
    seconds: float = 0.0
    run_errors: list[str] = field(default_factory=list)  # the sync run failed outside any partition

    @property
    def ok(self) -> bool:
        return (all(r.ok for r in self.results) and not self.run_errors
                and (self.graph is None or self.graph.ok))

    @property
    def api_calls(self) -> int:
        return sum(self.calls_by_operation().values())

    @property
    def throttled(self) -> int:
        return sum(sum(result.throttled.values()) for result in self.results)

    @property
    def retried(self) -> int:
        return sum(sum(result.retried.values()) for result in self.results)

    @property
    def failures(self) -> list[PartitionSync]:
        return [r for r in self.results if not r.ok]

    def calls_by_operation(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for result in self.results:
            total.update(result.calls_by_operation())
        return total


Progress = Callable[[PartitionSync], None]
# The summary reports every failure itself; Dagster's console log would repeat each with a stack trace.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _failure_messages(events: list[DagsterEvent]) -> list[str]:
    """Each failed step's cause in one line: its Failure's description, or the innermost error (Dagster wraps what
    the op raised in `DagsterExecutionStepExecutionError: Error occurred while executing op ...`)."""
    messages = []
    for event in events:
        if not event.is_step_failure:
            continue
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            messages.append(data.user_failure_data.description)
        elif data.error:
            error = data.error
            while error.cause is not None:
                error = error.cause
            # `package.module.Class: message`: the class's own name says enough.
            text = " ".join(error.message.split())
            messages.append(f"{error.cls_name}: {text.split(': ', 1)[1]}" if error.cls_name and ": " in text
                            else text)
    return messages


def sync(
    instances: list[Instance],
    defs: Definitions,
    dagster_instance: DagsterInstance,
    progress: Progress = lambda synced: None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> SyncReport:
    started = time.monotonic()
    report = SyncReport()

    def record(synced: PartitionSync) -> None:
        report.results.append(synced)
        progress(synced)

    accounts = [i.account_id for i in instances]
    # `aws-assets sync` lists the organisations' members just before, to print them: the run takes that listing
    # (another caller's run reuses this process's listing of the last 15 minutes, or lists them itself).
    config = {"accounts": accounts, "concurrency": concurrency, "list_members": False}
    run_config = {**QUIET, "ops": {"sync_accounts_op": {"config": config}}}
    tags = {ACCOUNT_TAG: accounts[0]} if len(accounts) == 1 else {}
    result = defs.resolve_job_def(SYNC_JOB).execute_in_process(
        instance=dagster_instance, raise_on_error=False, run_config=run_config, tags=tags,
        resources={"sync_progress": ResourceDefinition.hardcoded_resource(record)},
    )
    if not result.success and not report.failures:
        report.run_errors = _failure_messages(result.all_events)
    if any(r.written for r in report.results):
        # Over a lake no partition changed, the graph would come out as it is: rebuilding it only costs time.
        report.graph = build_graph(defs, dagster_instance, QUIET)
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
            graph.edges_by_type[event.asset_key.to_user_string()] = int(
                event.materialization.metadata["dagster/row_count"].value
            )
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            # A failed WARN check reports something found in AWS (a finding), not a broken graph.
            if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR:
                counts = {name: value.value for name, value in evaluation.metadata.items()}
                failed = ", ".join(f"{name}: {counts[name]}" for name in failed_edge_checks(counts))
                graph.failed_checks.append(f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
                                           + (f" ({failed})" if failed else ""))
    graph.ok = graph.ok and not graph.failed_checks
    graph.seconds = time.monotonic() - started
    return graph
