"""How an entity type is declared: its `_type`, `_class`, columns and collector.

Every AWS service module under `aws_assets/services/` declares its entity types with these classes. The Dagster
assets, the Arrow schemas, the DuckDB views and the data dictionary are all derived from the declarations, so a
new resource type is one declaration plus its collector.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from aws_assets.aws.partition import PartitionCollection


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str


# Field metadata marking a column whose value changes on every sync without a change in AWS (a last-use time, an
# approximate count): the lake's history does not keep a version for it, and the change tables do not report it.
VOLATILE = "volatile"


def schema_of(columns: Iterable[Column], volatile: Iterable[str] = ()) -> pa.Schema:
    """The Arrow schema of a table of these columns, each field carrying its description in its metadata (what the
    Dagster column schemas and the data dictionary show), and the mark of the `volatile` ones."""
    marked = set(volatile)
    return pa.schema([
        pa.field(c.name, c.type, metadata={"description": c.description, **({VOLATILE: "true"} if c.name in marked
                                                                              else {})})
        for c in columns
    ])


@lru_cache(maxsize=1024)
def volatile_columns(schema: pa.Schema) -> frozenset[str]:
    """The columns of a table the schema marks as volatile (asked for every partition written: kept)."""
    return frozenset(f.name for f in schema if (f.metadata or {}).get(VOLATILE.encode()) == b"true")


def string(name: str, description: str) -> Column:
    return Column(name, pa.string(), description)


def boolean(name: str, description: str) -> Column:
    return Column(name, pa.bool_(), description)


def integer(name: str, description: str) -> Column:
    return Column(name, pa.int64(), description)


def timestamp(name: str, description: str) -> Column:
    return Column(name, pa.timestamp("us", tz="UTC"), description)


def strings(name: str, description: str) -> Column:
    return Column(name, pa.list_(pa.string()), description)


def json_text(name: str, description: str) -> Column:
    """A document (policy, configuration) kept whole as JSON text; DuckDB's json functions read it."""
    return Column(name, pa.string(), description + " (JSON text)")


TAGS_TYPE = pa.map_(pa.string(), pa.string())

COMMON_COLUMNS: tuple[Column, ...] = (
    string("_key", "Unique key of the entity: the ARN wherever AWS defines one"),
    string("_type", "Entity type, e.g. aws_instance"),
    Column("_class", pa.list_(pa.string()), "JupiterOne data-model classes of the entity, e.g. [DataStore, Disk]"),
    string("name", "Name of the resource as AWS knows it (name, ID or ARN where there is no name)"),
    string("displayName", "The `Name` tag where there is one, otherwise the name"),
    string("accountId", "12-digit ID of the AWS account that owns the resource"),
    string("region", "AWS region of the resource, or `global` for account-wide resources"),
    string("arn", "Amazon Resource Name, where AWS defines one"),
    string("webLink", "AWS console URL of the resource"),
    timestamp("createdOn", "When the resource was created, where AWS says"),
    Column("tags", TAGS_TYPE, "The resource's tags as a map of key to value"),
)

# Properties the JupiterOne data model requires (or most queries expect) for each class. Each entity type gets the
# columns of all its classes; its collector fills them.
CLASS_COLUMNS: dict[str, tuple[Column, ...]] = {
    "Account": (),
    "Organization": (),
    "Group": (),
    "Service": (
        strings("category", "Service categories, e.g. [infrastructure]"),
        string("function", "What the service does for the account, e.g. compute"),
    ),
    "Gateway": (
        strings("category", "Gateway categories, e.g. [application]"),
        string("function", "Gateway function, e.g. api-gateway"),
        boolean("public", "Whether the gateway is reachable from the internet"),
    ),
    "DataStore": (
        boolean("encrypted", "Whether the data is encrypted at rest"),
        string("classification", "Data classification from the `Classification` tag, if any"),
    ),
    "Database": (
        boolean("encrypted", "Whether the data is encrypted at rest"),
        string("classification", "Data classification from the `Classification` tag, if any"),
    ),
    "Disk": (boolean("encrypted", "Whether the volume is encrypted"),),
    "Host": (string("hostname", "Host name (DNS name where AWS gives one)"),),
    "AccessKey": (boolean("active", "Whether the key can be used"),),
    "Firewall": (strings("category", "Firewall categories, e.g. [network]"),),
    "Network": (
        string("CIDR", "Primary IPv4 CIDR block"),
        boolean("public", "Whether the network is reachable from the internet"),
        boolean("internal", "Whether the network is internal (private)"),
    ),
    "User": (
        string("username", "User name"),
        boolean("active", "Whether the user can sign in or use keys"),
    ),
    "UserGroup": (),
    "AccessRole": (),
    "AccessPolicy": (boolean("admin", "Whether the policy grants every action on every resource"),),
    "Cluster": (),
    "Function": (string("runtime", "Language runtime"),),
    "Workload": (),
    "ControlPolicy": (strings("category", "Control categories, e.g. [compliance]"),),
    "CryptoKey": (),
    "Certificate": (),
    "Key": (),
    "Queue": (),
    "Channel": (),
    "Subscription": (),
    "Secret": (),
    "Repository": (),
    "Logs": (),
    "Configuration": (),
    "Alert": (),
    "Control": (strings("category", "Control categories, e.g. [security]"),),
}


class Scope(enum.Enum):
    """How an entity type is partitioned."""

    ACCOUNT = "account"  # one partition per account: global services (IAM, the account, the S3 bucket inventory)
    REGION = "region"  # one partition per account and region


Collector = Callable[["PartitionCollection"], Iterable[dict[str, Any]]]


class SchemaError(ValueError):
    """A collector produced a row that does not fit its entity type's declaration."""


@dataclass(frozen=True)
class EntityType:
    type: str
    classes: tuple[str, ...]
    description: str
    columns: tuple[Column, ...]
    collect: Collector
    console: str = ""  # what the AWS console calls it, for docs
    # The column holding the resource-based policy (JSON text) the access evaluator reads for requests on these
    # entities; empty: the type has none.
    resource_policy: str = ""
    # Columns whose value changes on every sync without a change in AWS (last-use times, approximate counts): not
    # changes to the entity (aws_assets.analysis.changes), nor a reason to keep a version of its partition.
    volatile: tuple[str, ...] = ()

    @cached_property
    def all_columns(self) -> tuple[Column, ...]:
        by_name: dict[str, Column] = {}
        class_columns = [c for cls in self.classes for c in CLASS_COLUMNS[cls]]
        for column in (*COMMON_COLUMNS, *class_columns, *self.columns):
            known = by_name.get(column.name.lower())
            if known is not None and known.name != column.name:
                # SQL identifiers ignore case: DuckDB would see two columns of one name.
                raise SchemaError(f"{self.type}: columns {known.name!r} and {column.name!r} differ only in case")
            if known is not None and known.type != column.type:
                raise SchemaError(f"{self.type}: column {column.name!r} declared as {known.type} and {column.type}")
            by_name.setdefault(column.name.lower(), column)
        undeclared = {name.lower() for name in self.volatile} - by_name.keys()
        if undeclared:
            raise SchemaError(f"{self.type}: volatile columns {sorted(undeclared)} are not declared")
        return tuple(by_name.values())

    @cached_property
    def schema(self) -> pa.Schema:
        return schema_of(self.all_columns, self.volatile)

    def to_table(self, rows: Iterable[dict[str, Any]], account_id: str, region: str) -> pa.Table:
        """Rows as an Arrow table of exactly this type's schema; unknown keys are a programming error."""
        names = set(self.schema.names)
        filled = []
        for row in rows:
            unknown = row.keys() - names
            if unknown:
                raise SchemaError(f"{self.type}: row {row.get('_key')!r} has undeclared columns {sorted(unknown)}")
            complete = dict.fromkeys(names)
            complete.update(row)
            complete["_type"] = self.type
            complete["_class"] = list(self.classes)
            complete["accountId"] = account_id
            complete["region"] = row.get("region") or region
            complete["displayName"] = row.get("displayName") or (row.get("tags") or {}).get("Name") or row["name"]
            complete["tags"] = list((row.get("tags") or {}).items())
            filled.append(complete)
        return pa.Table.from_pylist(filled, schema=self.schema)


@dataclass(frozen=True)
class ServiceEntity:
    """The account's entity for an AWS service (`aws_ec2`): the anchor of `aws_account HAS aws_ec2` and of
    `aws_ec2 HAS` each of its members, in every region."""

    type: str  # aws_ec2
    name: str  # EC2
    function: str  # what the service does for the account: compute, identity, storage, ...
    console: str  # path of its AWS console page, e.g. ec2/home
    members: tuple[EntityType, ...]  # the spec's `aws_<service> HAS` rows
    members_beyond_spec: tuple[EntityType, ...] = ()  # the ones JupiterOne's live graph adds


@dataclass(frozen=True)
class Service:
    """An AWS service: one Dagster multi-asset collects all its entity types for one partition."""

    name: str  # Dagster group and asset prefix: ec2, iam, ...
    title: str
    scope: Scope
    entity_types: tuple[EntityType, ...] = field(default_factory=tuple)
    entity: ServiceEntity | None = None
    kind: str = "parquet"  # the Dagster kind, whose icon the UI shows; Dagster has icons for ec2, s3, iam, ...
