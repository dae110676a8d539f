"""The policy index (`aws_assets.analysis.policy_sets.PolicyIndex`) loaded from the lake: only the columns it reads,
through the lake snapshot, so a second load reads only the files rewritten since.

The IAM and organisation tables and the entity tables with a resource policy are read into rows; every other entity
table (the bulk of a large lake: tables, instances, volumes...) stays in Arrow, its ARN, account and tags only, and
an entity of one is found by ARN when a request names it: one request on a lake of a million entities reads no
million rows into Python."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aws_assets.analysis.organization_policies import ORGANIZATION_COLUMNS
from aws_assets.analysis.policy_sets import (
    PRINCIPAL_COLUMNS,
    PolicyIndex,
    resource_columns,
    resource_policy_columns,
)
from aws_assets.lake.snapshot import LakeSnapshot
from aws_assets.services.catalog import ENTITY_TYPES


def policy_index_columns() -> dict[str, tuple[str, ...]]:
    """Table -> the columns the index reads."""
    own = {**ORGANIZATION_COLUMNS, **PRINCIPAL_COLUMNS}
    return {table: tuple(dict.fromkeys((*resource_columns(table), *own.get(table, ())))) for table in ENTITY_TYPES}


class ArrowLocator:
    """Finds an entity by ARN in Arrow tables, one vectorised search per table."""

    def __init__(self, tables: dict[str, pa.Table]) -> None:
        self.tables = {name: table for name, table in tables.items() if table.num_rows}

    def __call__(self, arn: str) -> dict[str, Any] | None:
        for name, table in self.tables.items():
            position = pc.index(table.column("arn"), arn).as_py()
            if position >= 0:
                return {**table.slice(position, 1).to_pylist()[0], "_type": name}
        return None


def load_policy_index(snapshot: LakeSnapshot) -> PolicyIndex:
    read_whole = {*ORGANIZATION_COLUMNS, *PRINCIPAL_COLUMNS, *resource_policy_columns()}
    rows, located = {}, {}
    for table, names in policy_index_columns().items():
        data = snapshot.read(table, pa.schema([ENTITY_TYPES[table].schema.field(name) for name in names]))
        if table in read_whole:
            rows[table] = data.to_pylist()
        else:
            located[table] = data
    return PolicyIndex(rows, ArrowLocator(located))
