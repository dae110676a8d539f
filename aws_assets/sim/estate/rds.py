"""RDS, in prod us-east-1 and eu-west-1, dev us-east-1 and shared ap-southeast-2.

An encrypted Aurora cluster ``<env>-orders`` (aurora-postgresql in prod, aurora-mysql elsewhere) with writer
``<env>-orders-1`` and reader ``<env>-orders-2`` (prod's is hardened: deletion protection, IAM authentication, the
reader in another zone; elsewhere both are in zone a), a standalone encrypted postgres ``<env>-billing`` and an
unencrypted, publicly accessible mysql ``<env>-legacy-reporting`` pinned to its minor version (no automatic minor
upgrades), all in the private subnets with the database
security group. Encrypted storage uses the region's KMS key ``alias/<env>-data``.

Snapshots: moto keeps an automated snapshot of every DB instance (Aurora members too, which AWS does not) and of
every cluster. Manual ones, in the account's first database region (see ``_MANUAL_SNAPSHOTS``): prod has
``prod-billing-pre-upgrade`` (encrypted, private), ``prod-legacy-reporting-export`` (unencrypted, shared with the
partner account outside the organisation) and the cluster snapshot ``prod-orders-pre-migration`` (encrypted,
private); dev has ``dev-legacy-reporting-public`` (unencrypted, restorable by every AWS account); shared has the
cluster snapshot ``shared-orders-for-dev``, shared with the dev account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_assets.sim.accounts import DEV, PARTNER_ACCOUNT_ID, PROD, SHARED
from aws_assets.sim.estate import ec2, kms
from aws_assets.sim.seeder import AccountContext, Seeder

DATABASE_REGIONS = {PROD: ("us-east-1", "eu-west-1"), DEV: ("us-east-1",), SHARED: ("ap-southeast-2",)}
_AURORA_ENGINES = {PROD: "aurora-postgresql", DEV: "aurora-mysql", SHARED: "aurora-mysql"}
_CLUSTER_MEMBERS = (1, 2)  # <env>-orders-1, created first, is the writer
# Accounts whose orders cluster is hardened: deletion protection, IAM authentication, the reader in another zone.
_HARDENED_CLUSTERS = frozenset({PROD})


@dataclass(frozen=True)
class _Snapshot:
    name: str  # after <env>-
    source: str  # the instance or cluster, after <env>-
    cluster: bool
    restorers: tuple[str, ...] = ()  # the restore attribute: account IDs, or "all"


_MANUAL_SNAPSHOTS = {
    PROD: (
        _Snapshot("billing-pre-upgrade", "billing", cluster=False),
        _Snapshot("legacy-reporting-export", "legacy-reporting", cluster=False, restorers=(PARTNER_ACCOUNT_ID,)),
        _Snapshot("orders-pre-migration", "orders", cluster=True),
    ),
    DEV: (_Snapshot("legacy-reporting-public", "legacy-reporting", cluster=False, restorers=("all",)),),
    SHARED: (_Snapshot("orders-for-dev", "orders", cluster=True, restorers=(DEV,)),),
}


@dataclass(frozen=True)
class _StandaloneInstance:
    suffix: str  # of <env>-
    engine: str
    instance_class: str
    storage_gib: int
    master_username: str
    master_password: str
    encrypted: bool
    publicly_accessible: bool
    multi_az: bool = False
    auto_minor_version_upgrade: bool = True


_STANDALONE_INSTANCES = (
    _StandaloneInstance(
        "billing", "postgres", "db.t3.medium", 50, "billing_admin", "Not-A-Real-Password-2",
        encrypted=True, publicly_accessible=False, multi_az=True,
    ),
    _StandaloneInstance(
        "legacy-reporting", "mysql", "db.t3.small", 20, "report", "Not-A-Real-Password-3",
        encrypted=False, publicly_accessible=True, auto_minor_version_upgrade=False,
    ),
)


def _seed(account: AccountContext) -> None:
    for region in DATABASE_REGIONS[account.account_id]:
        _seed_region(account, region)
    _seed_manual_snapshots(account, DATABASE_REGIONS[account.account_id][0])


def _counts(account_id: str, scale: int) -> Mapping[str, int]:
    regions = len(DATABASE_REGIONS[account_id])
    instances = regions * (len(_CLUSTER_MEMBERS) + len(_STANDALONE_INSTANCES))
    manual = _MANUAL_SNAPSHOTS[account_id]
    return {
        "aws_rds": 1,  # aws-assets models each service of an account as one entity
        "aws_rds_cluster": regions,
        "aws_db_instance": instances,
        # one automated snapshot of each instance and cluster (moto's), and the manual ones
        "aws_db_snapshot": instances + sum(not snapshot.cluster for snapshot in manual),
        "aws_db_cluster_snapshot": regions + sum(snapshot.cluster for snapshot in manual),
    }


def _seed_manual_snapshots(account: AccountContext, region: str) -> None:
    rds = account.clients("rds", region)
    for snapshot in _MANUAL_SNAPSHOTS[account.account_id]:
        name, source = f"{account.name}-{snapshot.name}", f"{account.name}-{snapshot.source}"
        if snapshot.cluster:
            rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=name, DBClusterIdentifier=source)
            if snapshot.restorers:
                rds.modify_db_cluster_snapshot_attribute(
                    DBClusterSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=list(snapshot.restorers))
        else:
            rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier=source)
            if snapshot.restorers:
                rds.modify_db_snapshot_attribute(
                    DBSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=list(snapshot.restorers))


SEEDER = Seeder(seed=_seed, counts=_counts, after=(ec2.SEEDER, kms.SEEDER))


def _seed_region(account: AccountContext, region: str) -> None:
    rds = account.clients("rds", region)
    env = account.name
    network = account[ec2.NETWORKS][region]
    kms_key_arn = account[kms.DATA_KEY_ARNS][region]
    subnet_group = f"{env}-private-db"
    rds.create_db_subnet_group(
        DBSubnetGroupName=subnet_group,
        DBSubnetGroupDescription="Private subnets for databases",
        SubnetIds=list(network.private_subnet_ids),
    )
    common_network = {
        "DBSubnetGroupName": subnet_group,
        "VpcSecurityGroupIds": [network.database_security_group_id],
    }

    cluster = f"{env}-orders"
    hardened = account.account_id in _HARDENED_CLUSTERS
    engine = _AURORA_ENGINES[account.account_id]
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine=engine,
        MasterUsername="orders_admin",
        MasterUserPassword="Not-A-Real-Password-1",
        DatabaseName="orders",
        StorageEncrypted=True,
        DeletionProtection=hardened,
        EnableIAMDatabaseAuthentication=hardened,
        KmsKeyId=kms_key_arn,
        Tags=[{"Key": "Environment", "Value": env}],
        **common_network,
    )
    for member in _CLUSTER_MEMBERS:
        # moto omits PubliclyAccessible on instances created without it, so always pass it.
        rds.create_db_instance(
            DBInstanceIdentifier=f"{cluster}-{member}",
            DBClusterIdentifier=cluster,
            Engine=engine,
            DBInstanceClass="db.r6g.large",
            PubliclyAccessible=False,
            DBSubnetGroupName=subnet_group,
            # The writer in zone a; a hardened cluster's reader in zone b, so that the cluster is Multi-AZ.
            AvailabilityZone=f"{region}{'b' if hardened and member > 1 else 'a'}",
        )

    for instance in _STANDALONE_INSTANCES:
        encryption: dict[str, Any] = {"StorageEncrypted": instance.encrypted}
        if instance.encrypted:
            encryption["KmsKeyId"] = kms_key_arn
        rds.create_db_instance(
            DBInstanceIdentifier=f"{env}-{instance.suffix}",
            Engine=instance.engine,
            DBInstanceClass=instance.instance_class,
            AllocatedStorage=instance.storage_gib,
            MasterUsername=instance.master_username,
            MasterUserPassword=instance.master_password,
            PubliclyAccessible=instance.publicly_accessible,
            MultiAZ=instance.multi_az,
            AutoMinorVersionUpgrade=instance.auto_minor_version_upgrade,
            **encryption,
            **common_network,
        )
