"""How a relationship type is declared, named and turned into an edge table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import pyarrow as pa

from aws_assets.model.entity import Column, SchemaError, schema_of, string

RELATIONSHIP_COLUMNS: tuple[Column, ...] = (
    string(
        "_key",
        "Unique key of the edge: `<_fromEntityKey>|<verb>|<_toEntityKey>`, then `|<what tells it apart>` for "
        "types that keep several edges between two entities (security group rules)",
    ),
    string("_type", "Relationship type, e.g. aws_vpc_contains_subnet"),
    string("_class", "The verb in upper case: HAS, CONTAINS, USES, PROTECTS, TRIGGERS, EVALUATES, IS"),
    string("_fromEntityKey", "`_key` of the entity the edge starts from"),
    string("_toEntityKey", "`_key` of the entity the edge points to"),
    string("_fromEntityType", "`_type` of the entity the edge starts from"),
    string("_toEntityType", "`_type` of the entity the edge points to"),
    string("accountId", "AWS account of the edge (of its source entity)"),
)
# What the declared SQL must select, before the properties (and `_keySuffix` with `parallel_edges`); the rest of
# RELATIONSHIP_COLUMNS is derived.
SQL_COLUMNS = ("_fromEntityKey", "_toEntityKey", "accountId")


# The spec names managed policies `aws_iam_managed_policy` in relationships, which also keeps
# `aws_iam_user_has_managed_policy` apart from `aws_iam_user_has_policy` (the user's inline policies).
NAMES_IN_RELATIONSHIPS = {"aws_iam_policy": "aws_iam_managed_policy"}


@lru_cache(maxsize=4096)
def relationship_type_name(from_type: str, verb: str, to_type: str) -> str:
    """JupiterOne's convention: the source type, the verb, then the target type without the prefix both share
    (`aws_vpc` CONTAINS `aws_subnet` -> `aws_vpc_contains_subnet`)."""
    to_type = NAMES_IN_RELATIONSHIPS.get(to_type, to_type)
    from_parts, to_parts = from_type.split("_"), to_type.split("_")
    shared = 0
    while shared < min(len(from_parts), len(to_parts) - 1) and from_parts[shared] == to_parts[shared]:
        shared += 1
    return "_".join([from_type, verb.lower(), *to_parts[shared:]])


@dataclass(frozen=True)
class RelationshipType:
    from_type: str
    verb: str
    to_type: str
    description: str
    # DuckDB SQL over the lake's views selecting _fromEntityKey, _toEntityKey, accountId, then the properties.
    sql: str
    properties: tuple[Column, ...] = ()
    in_spec: bool = True  # listed in the integration spec, or added because JupiterOne's live graph has it
    # Several edges may join the same two entities (one per security group rule): the SQL then also selects
    # `_keySuffix`, after accountId, which tells them apart and ends the `_key`.
    parallel_edges: bool = False

    @property
    def type(self) -> str:
        return relationship_type_name(self.from_type, self.verb, self.to_type)

    @cached_property
    def all_columns(self) -> tuple[Column, ...]:
        names = [c.name.lower() for c in (*RELATIONSHIP_COLUMNS, *self.properties)]
        if len(names) != len(set(names)):
            raise SchemaError(f"{self.type}: a property repeats a column name")
        return (*RELATIONSHIP_COLUMNS, *self.properties)

    @cached_property
    def schema(self) -> pa.Schema:
        return schema_of(self.all_columns)

    def edge_query(self) -> str:
        """The declared SQL with the derived columns around it."""
        properties = "".join(f', "{p.name}"' for p in self.properties)
        key = f"_fromEntityKey || '|{self.verb.lower()}|' || _toEntityKey"
        if self.parallel_edges:
            key += " || '|' || _keySuffix"
        return (
            f"SELECT {key} AS _key, '{self.type}' AS _type, "
            f"'{self.verb}' AS _class, _fromEntityKey, _toEntityKey, '{self.from_type}' AS _fromEntityType, "
            f"'{self.to_type}' AS _toEntityType, accountId{properties}\nFROM ({self.sql}) AS edges"
        )
