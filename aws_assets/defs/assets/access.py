"""The IAM policy analysis asset: every identity policy read by the engines, written as three lake tables.

One multi-asset (group `analysis`, over the whole lake) reads the managed and inline policies and the entity tables
a policy can reach with DuckDB, runs
`aws_assets.analysis.access_graph.build_access_graph` for `iam_policy_allows` (the ALLOWS and DENIES edges, checked
like every relationship table) and `access_policy_problems`, and `aws_assets.analysis.principal_access` (the request
evaluator on the policy index: identity policies, boundaries, SCPs, RCPs, resource policies) for
`principal_access`. It refreshes itself when the tables it reads change.
"""

import time
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow.compute as pc
from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from aws_assets.analysis.access_graph import (
    EDGES_TABLE,
    POLICY_TABLES,
    PROBLEMS_TABLE,
    TABLE_DESCRIPTIONS,
    AccessGraph,
    build_access_graph,
)
from aws_assets.analysis.forked import analysis_workers
from aws_assets.analysis.policy import ResourceIndex
from aws_assets.analysis.policy_sets import PolicyIndex
from aws_assets.analysis.principal_access import ACCESS_TABLE, TABLE_DESCRIPTION, PrincipalAccess, Targets
from aws_assets.defs.assets.analysis import counts, error_count, problems_result, table_specs
from aws_assets.defs.assets.edge_checks import edge_check_results, edge_check_specs
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.edges import check_edges
from aws_assets.graph.policy_index import ArrowLocator, load_policy_index
from aws_assets.graph.tables import columns_named, load_tables
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.sql import quote_identifier
from aws_assets.services.catalog import ENTITY_TYPES

TARGET_TABLES = sorted(ENTITY_TYPES)  # a policy can reach any collected entity, the service entities included
EDGE_PREVIEW_COLUMNS = ("_class", "_fromEntityKey", "_toEntityKey", "actions")  # the short one first

POLICIES_SQL = " UNION ALL ".join(
    f"SELECT _key, '{table}' AS _type, accountId, document FROM {table}" for table in POLICY_TABLES
)
ENTITIES_SQL = " UNION ALL ".join(
    f"SELECT _key, _type, arn, accountId FROM {quote_identifier(t)}" for t in TARGET_TABLES
)


def load_access_inputs(snapshot: LakeSnapshot) -> duckdb.DuckDBPyConnection:
    """The policies, the principals and the key, type, ARN and account of every entity a policy can reach."""
    tables = sorted({*POLICY_TABLES, *TARGET_TABLES})
    return load_tables(snapshot, columns_named("\n".join((POLICIES_SQL, ENTITIES_SQL)), tables))


def read_access_graph(con: duckdb.DuckDBPyConnection) -> AccessGraph:
    """The access graph of the identity policies `load_access_inputs` loaded."""
    policies = con.sql(POLICIES_SQL).to_arrow_table().to_pylist()
    entities = con.execute(ENTITIES_SQL).fetchall()
    return build_access_graph(policies, ResourceIndex(entities))


class ArnPositions:
    """The entity of an ARN found by one dictionary look-up: the evaluator assembles thousands of requests, each
    naming an entity of the tables the policy index keeps in Arrow."""

    def __init__(self, located: ArrowLocator) -> None:
        self.tables = located.tables
        self.positions = {arn: (name, position) for name, table in self.tables.items()
                          for position, arn in enumerate(table.column("arn").to_pylist()) if arn}

    def __call__(self, arn: str) -> dict[str, Any] | None:
        found = self.positions.get(arn)
        if found is None:
            return None
        name, position = found
        return {**self.tables[name].slice(position, 1).to_pylist()[0], "_type": name}


def read_principal_access(snapshot: LakeSnapshot, con: duckdb.DuckDBPyConnection) -> PrincipalAccess:
    """The engine of `principal_access` on the lake: the policy index, and every entity with an ARN as a target."""
    index: PolicyIndex = load_policy_index(snapshot)
    if isinstance(index.locate, ArrowLocator):
        index.locate = ArnPositions(index.locate)
    return PrincipalAccess(index, Targets.of(con.execute(ENTITIES_SQL).fetchall()))


@multi_asset(
    name="analyse_access",
    specs=table_specs(
        {
            EDGES_TABLE: [AssetKey(table) for table in TARGET_TABLES],
            ACCESS_TABLE: [AssetKey(table) for table in TARGET_TABLES],
            PROBLEMS_TABLE: [AssetKey(table) for table in POLICY_TABLES],
        },
        {**TABLE_DESCRIPTIONS, ACCESS_TABLE: TABLE_DESCRIPTION},
    ),
    check_specs=edge_check_specs(EDGES_TABLE),
    description="Reads every identity policy (managed, and inline of users, groups and roles) with the policy "
    "engine and writes the ALLOWS and DENIES edges and the problems met; decides with the request evaluator what "
    "each user and role may do to each entity.",
)
def analyse_access(context: AssetExecutionContext, lake: LakeResource) -> Iterator:
    started = time.monotonic()
    snapshot = lake.snapshot()
    con = load_access_inputs(snapshot)
    graph = read_access_graph(con)
    context.log.info(f"analysed the identity policies in {time.monotonic() - started:.1f}s")
    access_started = time.monotonic()
    engine = read_principal_access(snapshot, con)
    access = engine.table(workers=analysis_workers())
    context.log.info(f"decided principal_access ({access.num_rows} rows, {engine.evaluations} evaluations) in "
                     f"{time.monotonic() - access_started:.1f}s")
    errors = error_count(graph.problems)
    if errors:
        context.log.warning(f"{errors} identity policy problems may hide or blur access: see {PROBLEMS_TABLE}")
    target = lake.lake()
    paths = {
        table: target.write_table(table, data)
        for table, data in ((EDGES_TABLE, graph.edges), (ACCESS_TABLE, access),
                            (PROBLEMS_TABLE, graph.problems))
    }
    yield MaterializeResult(
        asset_key=AssetKey(EDGES_TABLE),
        metadata={
            "dagster/row_count": graph.edges.num_rows,
            "edges_by_verb": MetadataValue.json(counts(graph.edges, "_class")),
            "edges_by_type": MetadataValue.json(counts(graph.edges, "_type")),
            "admin_edges": sum(graph.edges.column("admin").to_pylist()),
            "cross_account_edges": sum(graph.edges.column("crossAccount").to_pylist()),
            "access_policy_problems": graph.problems.num_rows,
            "seconds": round(time.monotonic() - started, 3),
            "lake/path": MetadataValue.path(paths[EDGES_TABLE]),
            "preview": MetadataValue.md(markdown_preview(graph.edges, EDGE_PREVIEW_COLUMNS)),
        },
    )
    yield MaterializeResult(
        asset_key=AssetKey(ACCESS_TABLE),
        metadata={
            "dagster/row_count": access.num_rows,
            "rows_by_principal_type": MetadataValue.json(counts(access, "principalType")),
            "cross_account_rows": pc.sum(access.column("crossAccount")).as_py() or 0,
            "admin_rows": pc.sum(access.column("admin")).as_py() or 0,
            "evaluations": engine.evaluations,
            "seconds": round(time.monotonic() - access_started, 3),
            "lake/path": MetadataValue.path(paths[ACCESS_TABLE]),
            "preview": MetadataValue.md(
                markdown_preview(access, ("admin", "crossAccount", "principalKey", "targetKey", "grantedBy"))),
        },
    )
    yield problems_result(PROBLEMS_TABLE, graph.problems, "policyKey", errors, paths[PROBLEMS_TABLE])
    # Both ends of every edge must be entities of the collected tables; a policy may ALLOW and DENY one target, so
    # two edges may join the same two entities and a duplicate is an edge equal in every column.
    yield from edge_check_results(EDGES_TABLE, check_edges(con, graph.edges, TARGET_TABLES, parallel_edges=True))
