"""The policy index (`aws_assets.analysis.policy_sets.PolicyIndex`) loaded from the lake: only the columns it reads
(the IAM principals and policies, the organisation's tree and policies, and of every entity table its ARN, account,
tags and resource policy), through the lake snapshot, so a second load reads only the files rewritten since."""

from __future__ import annotations

import pyarrow as pa

from aws_assets.analysis.policy_sets import (
    ORGANIZATION_COLUMNS,
    PRINCIPAL_COLUMNS,
    PolicyIndex,
    resource_columns,
)
from aws_assets.graph.tables import table_schemas
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.services.catalog import ENTITY_TYPES


def policy_index_columns() -> dict[str, tuple[str, ...]]:
    """Table -> the columns the index reads."""
    own = {**ORGANIZATION_COLUMNS, **PRINCIPAL_COLUMNS}
    return {table: tuple(dict.fromkeys((*resource_columns(table), *own.get(table, ())))) for table in ENTITY_TYPES}


def load_policy_index(snapshot: LakeSnapshot) -> PolicyIndex:
    schemas = table_schemas()
    tables = {}
    for table, names in policy_index_columns().items():
        projected = pa.schema([schemas[table].field(name) for name in names])
        tables[table] = snapshot.read(table, projected).to_pylist()
    return PolicyIndex(tables)
