"""The asset check of every edge table (the relationship types', TRUSTS, ALLOWS and DENIES): one check, `valid_edges`,
over the counts of `aws_assets.graph.edges.check_edges`, an error when any counts a problem.

One check per table, not one per count: each check costs three events in Dagster's event log (planned, output,
evaluation), and three per table made them most of the graph build's time on a small estate."""

from collections.abc import Iterator, Mapping

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from aws_assets.graph.edges import CHECKS

EDGE_CHECK = "valid_edges"
DESCRIPTION = "; ".join(f"{description} (`{name}`)" for name, description in CHECKS.items())


def edge_check_specs(table: str) -> list[AssetCheckSpec]:
    return [AssetCheckSpec(EDGE_CHECK, asset=AssetKey(table), description=DESCRIPTION)]


def edge_check_results(table: str, problems: Mapping[str, int]) -> Iterator[AssetCheckResult]:
    """`check_edges`'s counts of problems as the asset check of `table`: each count is in its metadata."""
    yield AssetCheckResult(
        asset_key=AssetKey(table),
        check_name=EDGE_CHECK,
        passed=not any(problems.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={**problems, "problems": sum(problems.values())},
    )


def failed_edge_checks(metadata: Mapping[str, object]) -> list[str]:
    """The names of the counts that found problems, from a `valid_edges` evaluation's metadata values."""
    return [name for name in CHECKS if metadata.get(name)]
