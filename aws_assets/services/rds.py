"""RDS DB clusters and DB instances of one region.

Calls: rds:DescribeDBClusters and rds:DescribeDBInstances, each paginated (one call per 100 resources) per account
and region. No detail call: both responses carry the tags (`TagList`). Both operations also answer for Neptune and
DocumentDB, which share RDS's control plane; those clusters and instances are kept, and `engine` tells them apart.
"""

from __future__ import annotations

from typing import Any

from aws_assets.aws.partition import PartitionCollection
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity, boolean, integer, string, strings
from aws_assets.services.common import classification, console_link, tags_from_list

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


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_clusters(aws: PartitionCollection) -> list[dict[str, Any]]:
    return cluster_rows(aws.paginate("rds", "describe_db_clusters", "DBClusters"), aws.region)


def collect_instances(aws: PartitionCollection) -> list[dict[str, Any]]:
    return instance_rows(aws.paginate("rds", "describe_db_instances", "DBInstances"), aws.region)


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

SERVICE = Service(
    name="rds",
    title="RDS",
    scope=Scope.REGION,
    entity_types=(RDS_CLUSTER, DB_INSTANCE),
    entity=ServiceEntity("aws_rds", "RDS", "database", "rds/home", members=(RDS_CLUSTER, DB_INSTANCE)),
    kind="rds",
)
