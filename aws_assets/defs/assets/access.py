"""The IAM policy analysis asset: every identity policy read by the engine, written as three lake tables.

One multi-asset (group `analysis`, over the whole lake) reads the managed and inline policies, the users, groups
and roles, and the entity tables a policy can reach with DuckDB, runs
`aws_assets.analysis.access_graph.build_access_graph`, and writes `iam_policy_allows` (the ALLOWS and DENIES edges,
checked like every relationship table), `principal_access` and `access_policy_problems`. It refreshes itself when
the tables it reads change.
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

from aws_assets.analysis.access_graph import (
    ACCESS_TABLE,
    EDGES_TABLE,
    POLICY_TABLES,
    PRINCIPAL_TABLES,
    PROBLEMS_TABLE,
    TABLE_DESCRIPTIONS,
    AccessGraph,
    build_access_graph,
)
from aws_assets.analysis.policy import ResourceIndex
from aws_assets.defs.assets.analysis import counts, error_count, problems_result, table_specs
from aws_assets.defs.assets.edge_checks import edge_check_results, edge_check_specs
from aws_assets.defs.assets.entities import markdown_preview
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.edges import check_edges
from aws_assets.graph.tables import columns_named, load_tables
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.lake.sql import quote_identifier
from aws_assets.services.catalog import ENTITY_TYPES

TARGET_TABLES = sorted(ENTITY_TYPES)  # a policy can reach any collected entity, the service entities included
EDGE_PREVIEW_COLUMNS = ("_fromEntityKey", "_class", "_toEntityKey", "actions")

POLICIES_SQL = " UNION ALL ".join(
    f"SELECT _key, '{table}' AS _type, accountId, document, {owner} AS ownerKey FROM {table}"
    for table, owner in zip(POLICY_TABLES, ("NULL", "userArn", "groupArn", "roleArn"))
)
PRINCIPALS_SQL = """
SELECT _key, _type, accountId, username AS name, attachedPolicyArns, groupNames, permissionsBoundaryArn
FROM aws_iam_user
UNION ALL
SELECT _key, _type, accountId, groupName, attachedPolicyArns, NULL, NULL FROM aws_iam_group
UNION ALL
SELECT _key, _type, accountId, roleName, attachedPolicyArns, NULL, permissionsBoundaryArn FROM aws_iam_role
"""


ENTITIES_SQL = " UNION ALL ".join(
    f"SELECT _key, _type, arn, accountId FROM {quote_identifier(t)}" for t in TARGET_TABLES
)


def load_access_inputs(snapshot: LakeSnapshot) -> duckdb.DuckDBPyConnection:
    """The policies, the principals and the key, type, ARN and account of every entity a policy can reach."""
    tables = sorted({*POLICY_TABLES, *PRINCIPAL_TABLES, *TARGET_TABLES})
    return load_tables(snapshot, columns_named("\n".join((POLICIES_SQL, PRINCIPALS_SQL, ENTITIES_SQL)), tables))


def read_access_graph(con: duckdb.DuckDBPyConnection) -> AccessGraph:
    """The access graph of the identity policies `load_access_inputs` loaded."""
    policies = con.sql(POLICIES_SQL).to_arrow_table().to_pylist()
    principals = con.sql(PRINCIPALS_SQL).to_arrow_table().to_pylist()
    entities = con.execute(ENTITIES_SQL).fetchall()
    return build_access_graph(policies, principals, ResourceIndex(entities))


@multi_asset(
    name="analyse_access",
    specs=table_specs(
        {
            EDGES_TABLE: [AssetKey(table) for table in TARGET_TABLES],
            ACCESS_TABLE: [AssetKey(EDGES_TABLE), *(AssetKey(t) for t in PRINCIPAL_TABLES)],
            PROBLEMS_TABLE: [AssetKey(table) for table in POLICY_TABLES],
        },
        TABLE_DESCRIPTIONS,
    ),
    check_specs=edge_check_specs(EDGES_TABLE),
    description="Reads every identity policy (managed, and inline of users, groups and roles) with the policy "
    "engine and writes the ALLOWS and DENIES edges, each principal's effective reach and the problems met.",
)
def analyse_access(context: AssetExecutionContext, lake: LakeResource) -> Iterator:
    started = time.monotonic()
    con = load_access_inputs(lake.snapshot())
    graph = read_access_graph(con)
    context.log.info(f"analysed the identity policies in {time.monotonic() - started:.1f}s")
    errors = error_count(graph.problems)
    if errors:
        context.log.warning(f"{errors} identity policy problems may hide or blur access: see {PROBLEMS_TABLE}")
    target = lake.lake()
    paths = {
        table: target.write_table(table, data)
        for table, data in ((EDGES_TABLE, graph.edges), (ACCESS_TABLE, graph.access),
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
    effective = graph.access.column("effective").to_pylist()
    yield MaterializeResult(
        asset_key=AssetKey(ACCESS_TABLE),
        metadata={
            "dagster/row_count": graph.access.num_rows,
            "rows_by_principal_type_and_verb": MetadataValue.json(counts(graph.access, "principalType", "verb")),
            "not_effective": sum(1 for value in effective if not value),
            "lake/path": MetadataValue.path(paths[ACCESS_TABLE]),
            "preview": MetadataValue.md(
                markdown_preview(graph.access, ("principalKey", "verb", "targetKey", "effective"))),
        },
    )
    yield problems_result(PROBLEMS_TABLE, graph.problems, "policyKey", errors, paths[PROBLEMS_TABLE])
    # Both ends of every edge must be entities of the collected tables; a policy may ALLOW and DENY one target, so
    # two edges may join the same two entities and a duplicate is an edge equal in every column.
    yield from edge_check_results(EDGES_TABLE, check_edges(con, graph.edges, TARGET_TABLES, parallel_edges=True))
