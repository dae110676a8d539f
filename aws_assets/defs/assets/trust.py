"""The trust analysis asset: every role's trust policy read by the engine, written as four lake tables.

One multi-asset (group `analysis`, over the whole lake) reads `aws_iam_role`, `aws_account` and the other tables a
trust can point at with DuckDB, runs `aws_assets.analysis.trust_graph.build_trust_graph`, and writes
`aws_iam_role_trusts` (the TRUSTS edges, checked like every relationship table), `placeholder`,
`trust_policy_problems` and `role_reachability`. It refreshes itself when the roles or accounts change.
"""

import time
from collections.abc import Iterator

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from aws_assets.analysis.trust import COLLECTED_TARGET_TYPES
from aws_assets.analysis.trust_graph import (
    PLACEHOLDER_TABLE,
    PROBLEMS_TABLE,
    REACHABILITY_TABLE,
    TABLE_DESCRIPTIONS,
    TRUSTS_TABLE,
    TrustGraph,
    build_trust_graph,
    lake_targets,
)
from aws_assets.defs.assets.analysis import counts, error_count, problems_result, table_specs
from aws_assets.defs.assets.edge_checks import edge_check_results, edge_check_specs
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.edges import check_edges
from aws_assets.graph.tables import load_tables
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.sql import quote_identifier

TARGET_TABLES = sorted(COLLECTED_TARGET_TYPES)  # aws_account, aws_iam_role, aws_iam_user and the service entities
EDGE_PREVIEW_COLUMNS = ("trustZone", "_fromEntityKey", "_toEntityKey")  # the short one first


ROLE_COLUMNS = ("_key", "accountId", "roleName", "trustPolicy")


def load_trust_inputs(snapshot: LakeSnapshot) -> duckdb.DuckDBPyConnection:
    """The roles, and the keys of every table a trust can point at (accounts with their IDs)."""
    columns = {table: ["_key"] for table in TARGET_TABLES}
    columns["aws_iam_role"] = list(ROLE_COLUMNS)
    columns["aws_account"] = ["_key", "accountId"]
    return load_tables(snapshot, columns)


def read_trust_graph(con: duckdb.DuckDBPyConnection) -> TrustGraph:
    """The trust graph of the roles `load_trust_inputs` loaded."""
    roles = con.sql(f"SELECT {', '.join(ROLE_COLUMNS)} FROM aws_iam_role").to_arrow_table().to_pylist()
    keys = con.sql(
        " UNION ALL ".join(f"SELECT _key FROM {quote_identifier(table)}" for table in TARGET_TABLES)
    ).to_arrow_table().column("_key").to_pylist()
    accounts = con.sql("SELECT DISTINCT accountId FROM aws_account").to_arrow_table().column("accountId").to_pylist()
    return build_trust_graph(roles, lake_targets(keys, accounts, roles))


@multi_asset(
    name="analyse_trust",
    specs=table_specs(
        {
            TRUSTS_TABLE: [AssetKey(table) for table in TARGET_TABLES],
            PLACEHOLDER_TABLE: [AssetKey(table) for table in TARGET_TABLES],
            PROBLEMS_TABLE: [AssetKey("aws_iam_role")],
            REACHABILITY_TABLE: [AssetKey(TRUSTS_TABLE)],
        },
        TABLE_DESCRIPTIONS,
    ),
    check_specs=edge_check_specs(TRUSTS_TABLE),
    description="Reads every role's trust policy with the trust engine and writes the TRUSTS edges, their "
    "placeholder entities, the problems met and role chaining.",
)
def analyse_trust(context: AssetExecutionContext, lake: LakeResource) -> Iterator:
    started = time.monotonic()
    con = load_trust_inputs(lake.snapshot())
    graph = read_trust_graph(con)
    context.log.info(f"analysed the trust policies in {time.monotonic() - started:.1f}s")
    errors = error_count(graph.problems)
    if errors:
        context.log.warning(f"{errors} trust policy problems may hide or blur trusts: see {PROBLEMS_TABLE}")
    target = lake.lake()
    paths = {
        table: target.write_table(table, data)
        for table, data in ((TRUSTS_TABLE, graph.edges), (PLACEHOLDER_TABLE, graph.placeholders),
                            (PROBLEMS_TABLE, graph.problems), (REACHABILITY_TABLE, graph.reachability))
    }
    yield MaterializeResult(
        asset_key=AssetKey(TRUSTS_TABLE),
        metadata={
            "dagster/row_count": graph.edges.num_rows,
            "edges_by_trust_zone": MetadataValue.json(counts(graph.edges, "trustZone")),
            "edges_by_type": MetadataValue.json(counts(graph.edges, "_type")),
            "edges_to_placeholders": sum(graph.edges.column("placeholder").to_pylist()),
            "trust_policy_problems": graph.problems.num_rows,
            "seconds": round(time.monotonic() - started, 3),
            "lake/path": MetadataValue.path(paths[TRUSTS_TABLE]),
            "preview": MetadataValue.md(markdown_preview(graph.edges, EDGE_PREVIEW_COLUMNS)),
        },
    )
    yield MaterializeResult(
        asset_key=AssetKey(PLACEHOLDER_TABLE),
        metadata={
            "dagster/row_count": graph.placeholders.num_rows,
            "placeholders_by_type": MetadataValue.json(counts(graph.placeholders, "_type")),
            "lake/path": MetadataValue.path(paths[PLACEHOLDER_TABLE]),
            "preview": MetadataValue.md(markdown_preview(graph.placeholders, ("_type", "reason", "_key"))),
        },
    )
    yield problems_result(PROBLEMS_TABLE, graph.problems, "roleKey", errors, paths[PROBLEMS_TABLE])
    hops = graph.reachability.column("hops").to_pylist()
    yield MaterializeResult(
        asset_key=AssetKey(REACHABILITY_TABLE),
        metadata={
            "dagster/row_count": graph.reachability.num_rows,
            "reached_through_chains": sum(1 for hop in hops if hop > 1),
            "most_hops": max(hops, default=0),
            "lake/path": MetadataValue.path(paths[REACHABILITY_TABLE]),
            "preview": MetadataValue.md(
                markdown_preview(graph.reachability, ("hops", "roleKey", "principalKey"))),
        },
    )
    # Both ends of every edge must be entities: a role, a target table's entity, or a placeholder just written.
    con.register(PLACEHOLDER_TABLE, graph.placeholders.select(["_key"]))
    yield from edge_check_results(TRUSTS_TABLE, check_edges(con, graph.edges, [*TARGET_TABLES, PLACEHOLDER_TABLE]))
