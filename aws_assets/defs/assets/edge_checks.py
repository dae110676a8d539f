"""The asset checks of every edge table (the relationship types', TRUSTS, ALLOWS and DENIES): one per check of
`aws_assets.graph.edges.check_edges`, an error when it counts a problem."""

from collections.abc import Iterator, Mapping

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from aws_assets.graph.edges import CHECKS


def edge_check_specs(table: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(check, asset=AssetKey(table), description=description) for check, description in CHECKS.items()
    ]


def edge_check_results(table: str, problems: Mapping[str, int]) -> Iterator[AssetCheckResult]:
    """`check_edges`'s counts of problems per check as the asset checks of `table`."""
    for check, found in problems.items():
        yield AssetCheckResult(
            asset_key=AssetKey(table),
            check_name=check,
            passed=found == 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={"problems": found},
        )
