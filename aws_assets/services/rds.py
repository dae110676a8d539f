"""RDS DB clusters, DB instances and their snapshots, of one region.

Calls: rds:DescribeDBClusters, rds:DescribeDBInstances, rds:DescribeDBSnapshots and rds:DescribeDBClusterSnapshots,
each paginated (one call per 100 resources) per account and region; then per manual snapshot, concurrently,
rds:DescribeDBSnapshotAttributes or rds:DescribeDBClusterSnapshotAttributes: who may restore it (automated
snapshots cannot be shared, so they need no call). The listings carry the tags (`TagList`). The cluster and
instance operations also answer for Neptune and DocumentDB, which share RDS's control plane; those clusters and
instances are kept, and `engine` tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import (
    Column,
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    integer,
    string,
    strings,
)
from aws_assets.services.common import classification, console_link, tags_from_list

SHARED_SNAPSHOT_TYPES = frozenset({"manual"})  # the only kind AWS lets an account share
PUBLIC = "all"  # the restore attribute's value that lets every AWS account restore the snapshot
SNAPSHOT_MISSING = ("DBSnapshotNotFound", "DBClusterSnapshotNotFoundFault")


@dataclass(frozen=True)
class SnapshotKind:
    """What tells DB snapshots and DB cluster snapshots apart in RDS's API."""

    prefix: str  # DBSnapshot or DBClusterSnapshot: the response keys' stem
    source_key: str  # the identifier of the database the snapshot was taken of
    operation: str  # the attributes call
    attributes_method: str
    console_tab: str


DB_SNAPSHOT = SnapshotKind("DBSnapshot", "DBInstanceIdentifier", "rds:DescribeDBSnapshotAttributes",
                           "describe_db_snapshot_attributes", "db-snapshot")
DB_CLUSTER_SNAPSHOT = SnapshotKind(
    "DBClusterSnapshot", "DBClusterIdentifier", "rds:DescribeDBClusterSnapshotAttributes",
    "describe_db_cluster_snapshot_attributes", "db-cluster-snapshot",
)


@dataclass
class SnapshotDetails:
    """A listed snapshot and the accounts that may restore it: None where not asked (automated) or refused."""

    snapshot: dict[str, Any]
    restorers: list[str] | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def _security_group_ids(resource: dict[str, Any]) -> list[str]:
    return [group["VpcSecurityGroupId"] for group in resource.get("VpcSecurityGroups", [])]


def _console(identifier: str, is_cluster: bool, region: str) -> str:
    return console_link(f"rds/home#database:id={identifier};is-cluster={str(is_cluster).lower()}", region)


def cluster_rows(clusters: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [_cluster_row(cluster, region) for cluster in clusters]


def _cluster_row(cluster: dict[str, Any], region: str) -> dict[str, Any]:
    identifier = cluster["DBClusterIdentifier"]
    tags = tags_from_list(cluster.get("TagList"))
    members = cluster.get("DBClusterMembers", [])
    writers = [member["DBInstanceIdentifier"] for member in members if member.get("IsClusterWriter")]
    return {
        "_key": cluster["DBClusterArn"],
        "name": identifier,
        "arn": cluster["DBClusterArn"],
        "webLink": _console(identifier, True, region),
        "createdOn": cluster.get("ClusterCreateTime"),
        "tags": tags,
        "classification": classification(tags),
        "dbClusterIdentifier": identifier,
        "engine": cluster.get("Engine"),
        "engineVersion": cluster.get("EngineVersion"),
        "status": cluster.get("Status"),
        "encrypted": cluster.get("StorageEncrypted"),
        "kmsKeyId": cluster.get("KmsKeyId"),
        "endpoint": cluster.get("Endpoint"),
        "readerEndpoint": cluster.get("ReaderEndpoint"),
        "port": cluster.get("Port"),
        "multiAz": cluster.get("MultiAZ"),
        "publiclyAccessible": cluster.get("PubliclyAccessible"),
        "iamDatabaseAuthenticationEnabled": cluster.get("IAMDatabaseAuthenticationEnabled"),
        "deletionProtection": cluster.get("DeletionProtection"),
        "backupRetentionPeriod": cluster.get("BackupRetentionPeriod"),
        "memberInstanceIdentifiers": [member["DBInstanceIdentifier"] for member in members],
        "writerInstanceIdentifier": writers[0] if writers else None,
        "vpcSecurityGroupIds": _security_group_ids(cluster),
        "dbSubnetGroup": cluster.get("DBSubnetGroup"),
        "masterUsername": cluster.get("MasterUsername"),
    }


def instance_rows(instances: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [_instance_row(instance, region) for instance in instances]


def _instance_row(instance: dict[str, Any], region: str) -> dict[str, Any]:
    identifier = instance["DBInstanceIdentifier"]
    tags = tags_from_list(instance.get("TagList"))
    endpoint = instance.get("Endpoint") or {}  # absent while the instance is being created
    subnet_group = instance.get("DBSubnetGroup") or {}
    return {
        "_key": instance["DBInstanceArn"],
        "name": identifier,
        "arn": instance["DBInstanceArn"],
        "webLink": _console(identifier, False, region),
        "createdOn": instance.get("InstanceCreateTime"),
        "tags": tags,
        "classification": classification(tags),
        "hostname": endpoint.get("Address"),
        "dbInstanceIdentifier": identifier,
        "dbInstanceClass": instance.get("DBInstanceClass"),
        "engine": instance.get("Engine"),
        "engineVersion": instance.get("EngineVersion"),
        "status": instance.get("DBInstanceStatus"),
        "encrypted": instance.get("StorageEncrypted"),
        "kmsKeyId": instance.get("KmsKeyId"),
        "publiclyAccessible": instance.get("PubliclyAccessible"),
        "endpointAddress": endpoint.get("Address"),
        "port": endpoint.get("Port"),
        "multiAz": instance.get("MultiAZ"),
        "dbClusterIdentifier": instance.get("DBClusterIdentifier"),
        "vpcId": subnet_group.get("VpcId"),
        "dbSubnetGroup": subnet_group.get("DBSubnetGroupName"),
        "subnetIds": [subnet["SubnetIdentifier"] for subnet in subnet_group.get("Subnets", [])],
        "vpcSecurityGroupIds": _security_group_ids(instance),
        "iamDatabaseAuthenticationEnabled": instance.get("IAMDatabaseAuthenticationEnabled"),
        "deletionProtection": instance.get("DeletionProtection"),
        "backupRetentionPeriod": instance.get("BackupRetentionPeriod"),
        "autoMinorVersionUpgrade": instance.get("AutoMinorVersionUpgrade"),
        "caCertificateIdentifier": instance.get("CACertificateIdentifier"),
    }


def restore_attribute(response: dict[str, Any], kind: SnapshotKind) -> list[str]:
    """The `restore` attribute's values: the account IDs that may copy or restore the snapshot, or `all`."""
    result = response.get(f"{kind.prefix}AttributesResult", {})
    for attribute in result.get(f"{kind.prefix}Attributes", []):
        if attribute.get("AttributeName") == "restore":
            return list(attribute.get("AttributeValues") or [])
    return []


def snapshot_rows(snapshots: list[SnapshotDetails], kind: SnapshotKind, region: str) -> list[dict[str, Any]]:
    rows = []
    for details in snapshots:
        snapshot = details.snapshot
        identifier = snapshot[f"{kind.prefix}Identifier"]
        arn = snapshot[f"{kind.prefix}Arn"]
        tags = tags_from_list(snapshot.get("TagList"))
        restorers = details.restorers
        rows.append({
            "_key": arn,
            "name": identifier,
            "arn": arn,
            "webLink": console_link(f"rds/home#{kind.console_tab}:id={identifier}", region),
            "createdOn": snapshot.get("SnapshotCreateTime"),
            "tags": tags,
            "classification": classification(tags),
            "snapshotIdentifier": identifier,
            "sourceIdentifier": snapshot.get(kind.source_key),
            "snapshotType": snapshot.get("SnapshotType"),
            "status": snapshot.get("Status"),
            "engine": snapshot.get("Engine"),
            "engineVersion": snapshot.get("EngineVersion"),
            # DB snapshots say Encrypted, cluster snapshots StorageEncrypted
            "encrypted": bool(snapshot.get("Encrypted", snapshot.get("StorageEncrypted"))),
            "kmsKeyId": snapshot.get("KmsKeyId"),
            "public": None if restorers is None else PUBLIC in restorers,
            "sharedWithAccounts": None if restorers is None else sorted(set(restorers) - {PUBLIC}),
            "collectionErrors": details.errors,
        })
    return rows


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_clusters(aws: PartitionCollection) -> list[dict[str, Any]]:
    return cluster_rows(aws.paginate("rds", "describe_db_clusters", "DBClusters"), aws.region)


def collect_instances(aws: PartitionCollection) -> list[dict[str, Any]]:
    return instance_rows(aws.paginate("rds", "describe_db_instances", "DBInstances"), aws.region)


def get_snapshot_details(aws: PartitionCollection, kind: SnapshotKind, snapshot: dict[str, Any]) -> SnapshotDetails:
    if snapshot.get("SnapshotType") not in SHARED_SNAPSHOT_TYPES:
        return SnapshotDetails(snapshot=snapshot, restorers=[])
    calls = DetailCalls()
    identifier = snapshot[f"{kind.prefix}Identifier"]
    describe = getattr(aws.client("rds"), kind.attributes_method)
    response: dict[str, Any] | None = calls.get(
        kind.operation, lambda: describe(**{f"{kind.prefix}Identifier": identifier}), *SNAPSHOT_MISSING, missing={}
    )
    restorers = None if response is None else restore_attribute(response, kind)
    return SnapshotDetails(snapshot=snapshot, restorers=restorers, errors=calls.errors)


def collect_snapshots(kind: SnapshotKind, operation: str, aws: PartitionCollection) -> list[dict[str, Any]]:
    snapshots = aws.paginate("rds", operation, f"{kind.prefix}s", PaginationConfig={"PageSize": 100})
    return snapshot_rows(aws.map_concurrently(partial(get_snapshot_details, aws, kind), snapshots), kind, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

_SHARED_COLUMNS = (
    string("engine", "Database engine, e.g. aurora-postgresql, mysql; also neptune and docdb, which RDS manages"),
    string("engineVersion", "Engine version"),
    string("status", "Lifecycle status, e.g. available, stopped"),
    string("kmsKeyId", "KMS key that encrypts the storage, when encrypted"),
    boolean("multiAz", "Whether the database is replicated across availability zones"),
    boolean("iamDatabaseAuthenticationEnabled", "Whether IAM users and roles can authenticate to the database"),
    boolean("deletionProtection", "Whether deletion protection prevents deleting the database"),
    integer("backupRetentionPeriod", "Days automated backups are kept; 0 means automated backups are off"),
    strings("vpcSecurityGroupIds", "Security groups that control network access to the database"),
)

RDS_CLUSTER = EntityType(
    type="aws_rds_cluster",
    classes=("DataStore", "Database", "Cluster"),
    description="RDS DB clusters (Aurora, Multi-AZ DB clusters, Neptune, DocumentDB): encryption, exposure, "
    "authentication, backups and their member instances.",
    columns=(
        string("dbClusterIdentifier", "Cluster identifier"),
        *_SHARED_COLUMNS,
        string("endpoint", "Writer endpoint host name"),
        string("readerEndpoint", "Load-balanced reader endpoint host name"),
        integer("port", "Port the cluster accepts connections on"),
        boolean(
            "publiclyAccessible",
            "Whether the cluster is reachable from the internet; set for Multi-AZ DB clusters only (Aurora decides "
            "per instance, see aws_db_instance.publiclyAccessible)",
        ),
        strings("memberInstanceIdentifiers", "Identifiers of the DB instances in the cluster (aws_db_instance)"),
        string("writerInstanceIdentifier", "Identifier of the member instance that accepts writes"),
        string("dbSubnetGroup", "Name of the DB subnet group: the subnets the cluster runs in"),
        string("masterUsername", "Name of the master database user (the name only; never a password)"),
    ),
    collect=collect_clusters,
    console="RDS > Databases (clusters)",
)

DB_INSTANCE = EntityType(
    type="aws_db_instance",
    classes=("DataStore", "Database", "Host"),
    description="RDS DB instances, standalone or members of a cluster: encryption, public accessibility, "
    "network placement, authentication and backups.",
    columns=(
        string("dbInstanceIdentifier", "Instance identifier"),
        string("dbInstanceClass", "Instance class (size), e.g. db.t3.micro"),
        *_SHARED_COLUMNS,
        boolean("publiclyAccessible", "Whether the instance has a public DNS name and IP reachable from the internet"),
        string("endpointAddress", "DNS name of the instance's endpoint"),
        integer("port", "Port the instance accepts connections on"),
        string("dbClusterIdentifier", "Identifier of the cluster the instance belongs to, if any (aws_rds_cluster)"),
        string("vpcId", "VPC the instance runs in"),
        string("dbSubnetGroup", "Name of the DB subnet group"),
        strings("subnetIds", "Subnets of the DB subnet group"),
        boolean("autoMinorVersionUpgrade", "Whether minor engine upgrades (security patches) apply automatically"),
        string("caCertificateIdentifier", "Certificate authority of the instance's TLS server certificate"),
    ),
    collect=collect_instances,
    console="RDS > Databases (instances)",
)

def _snapshot_columns(source: str) -> tuple[Column, ...]:
    return (
        string("snapshotIdentifier", "Snapshot identifier"),
        string("sourceIdentifier", f"Identifier of the {source} the snapshot was taken of"),
        string("snapshotType", "manual, automated, awsbackup; only manual snapshots can be shared"),
        string("status", "Lifecycle status, e.g. available, creating"),
        string("engine", "Database engine"),
        string("engineVersion", "Engine version"),
        string("kmsKeyId", "KMS key that encrypts the snapshot, when encrypted"),
        boolean("public", "Whether every AWS account may copy or restore the snapshot (restore attribute `all`)"),
        strings("sharedWithAccounts", "Accounts the snapshot is shared with (restore attribute), `all` aside"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    )


DB_SNAPSHOT_TYPE = EntityType(
    type="aws_db_snapshot",
    classes=("DataStore",),
    description="RDS DB snapshots of the account's instances, automated and manual: encryption and who may restore "
    "them (public, or shared with which accounts).",
    columns=_snapshot_columns("DB instance (aws_db_instance)"),
    collect=partial(collect_snapshots, DB_SNAPSHOT, "describe_db_snapshots"),
    console="RDS > Snapshots",
)

DB_CLUSTER_SNAPSHOT_TYPE = EntityType(
    type="aws_db_cluster_snapshot",
    classes=("DataStore",),
    description="RDS DB cluster snapshots of the account's clusters, automated and manual: encryption and who may "
    "restore them (public, or shared with which accounts).",
    columns=_snapshot_columns("DB cluster (aws_rds_cluster)"),
    collect=partial(collect_snapshots, DB_CLUSTER_SNAPSHOT, "describe_db_cluster_snapshots"),
    console="RDS > Snapshots (clusters)",
)

SERVICE = Service(
    name="rds",
    title="RDS",
    scope=Scope.REGION,
    entity_types=(RDS_CLUSTER, DB_INSTANCE, DB_SNAPSHOT_TYPE, DB_CLUSTER_SNAPSHOT_TYPE),
    entity=ServiceEntity(
        "aws_rds", "RDS", "database", "rds/home", members=(RDS_CLUSTER, DB_INSTANCE),
        members_beyond_spec=(DB_SNAPSHOT_TYPE, DB_CLUSTER_SNAPSHOT_TYPE),
    ),
    kind="rds",
)
