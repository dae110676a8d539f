from datetime import UTC, datetime

from aws_assets.services import rds
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, serve_in_pages

MASTER_PASSWORD = "planted-master-password"
ARN = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}"


def seed_subnet_group(account_session) -> tuple[str, list[str]]:
    ec2 = account_session.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab", start=1)
    ]
    account_session.client("rds", region_name=REGION).create_db_subnet_group(
        DBSubnetGroupName="private-dbs", DBSubnetGroupDescription="private", SubnetIds=subnet_ids
    )
    return vpc_id, subnet_ids


def seed_databases(account_session) -> tuple[str, list[str]]:
    """An encrypted Aurora cluster of two instances, an encrypted private instance and an unencrypted public one."""
    vpc_id, subnet_ids = seed_subnet_group(account_session)
    client = account_session.client("rds", region_name=REGION)
    client.create_db_cluster(
        DBClusterIdentifier="orders",
        Engine="aurora-postgresql",
        MasterUsername="orders_admin",
        MasterUserPassword=MASTER_PASSWORD,
        StorageEncrypted=True,
        EnableIAMDatabaseAuthentication=True,
        DeletionProtection=True,
        BackupRetentionPeriod=7,
        DBSubnetGroupName="private-dbs",
        Tags=[{"Key": "Classification", "Value": "confidential"}],
    )
    for member in ("orders-1", "orders-2"):
        client.create_db_instance(
            DBInstanceIdentifier=member,
            DBInstanceClass="db.r5.large",
            Engine="aurora-postgresql",
            DBClusterIdentifier="orders",
        )
    client.create_db_instance(
        DBInstanceIdentifier="billing",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="billing_admin",
        MasterUserPassword=MASTER_PASSWORD,
        AllocatedStorage=20,
        StorageEncrypted=True,
        KmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/billing",
        PubliclyAccessible=False,
        DBSubnetGroupName="private-dbs",
        Tags=[{"Key": "Name", "Value": "Billing DB"}, {"Key": "Classification", "Value": "restricted"}],
    )
    client.create_db_instance(
        DBInstanceIdentifier="legacy",
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        MasterUsername="root",
        MasterUserPassword=MASTER_PASSWORD,
        AllocatedStorage=20,
        StorageEncrypted=False,
        PubliclyAccessible=True,
        BackupRetentionPeriod=0,
    )
    return vpc_id, subnet_ids


def test_cluster_lists_its_members_and_security_settings(account_session, regional):
    seed_databases(account_session)

    table = rds.RDS_CLUSTER.to_table(rds.RDS_CLUSTER.collect(regional), ACCOUNT_ID, REGION).to_pylist()

    assert [row["_key"] for row in table] == [f"{ARN}:cluster:orders"]
    cluster = table[0]
    assert cluster["_class"] == ["DataStore", "Database", "Cluster"]
    assert cluster["name"] == cluster["dbClusterIdentifier"] == "orders"
    assert cluster["engine"] == "aurora-postgresql"
    assert cluster["encrypted"] is True
    assert cluster["iamDatabaseAuthenticationEnabled"] is True
    assert cluster["deletionProtection"] is True
    assert cluster["backupRetentionPeriod"] == 7
    assert sorted(cluster["memberInstanceIdentifiers"]) == ["orders-1", "orders-2"]
    assert cluster["writerInstanceIdentifier"] in {"orders-1", "orders-2"}
    assert cluster["dbSubnetGroup"] == "private-dbs"
    assert cluster["masterUsername"] == "orders_admin"
    assert cluster["classification"] == "confidential"
    assert cluster["tags"] == [("Classification", "confidential")]
    assert cluster["endpoint"].startswith("orders.cluster-")
    assert cluster["readerEndpoint"].startswith("orders.cluster-ro-")
    assert cluster["createdOn"].tzinfo is not None
    assert cluster["webLink"] == (
        f"https://{REGION}.console.aws.amazon.com/rds/home?region={REGION}#database:id=orders;is-cluster=true"
    )
    assert MASTER_PASSWORD not in str(table)
    assert regional.calls.by_operation() == {"rds:DescribeDBClusters": 1, "sts:AssumeRole": 1}


def test_instances_show_membership_encryption_and_exposure(account_session, regional):
    vpc_id, subnet_ids = seed_databases(account_session)

    table = rds.DB_INSTANCE.to_table(rds.DB_INSTANCE.collect(regional), ACCOUNT_ID, REGION).to_pylist()
    by_name = {row["name"]: row for row in table}

    assert sorted(row["_key"] for row in table) == [
        f"{ARN}:db:billing", f"{ARN}:db:legacy", f"{ARN}:db:orders-1", f"{ARN}:db:orders-2"
    ]
    assert {name: row["dbClusterIdentifier"] for name, row in by_name.items()} == {
        "orders-1": "orders", "orders-2": "orders", "billing": None, "legacy": None
    }
    billing, legacy = by_name["billing"], by_name["legacy"]
    assert billing["_class"] == ["DataStore", "Database", "Host"]
    assert (billing["encrypted"], billing["publiclyAccessible"]) == (True, False)
    assert billing["kmsKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/billing"
    assert billing["displayName"] == "Billing DB"
    assert billing["classification"] == "restricted"
    assert billing["vpcId"] == vpc_id
    assert billing["dbSubnetGroup"] == "private-dbs"
    assert sorted(billing["subnetIds"]) == sorted(subnet_ids)
    assert billing["hostname"] == billing["endpointAddress"]
    assert billing["hostname"].startswith("billing.")
    assert billing["port"] == 5432
    assert (legacy["encrypted"], legacy["publiclyAccessible"]) == (False, True)
    assert legacy["kmsKeyId"] is None
    assert legacy["engine"] == "mysql"
    assert legacy["backupRetentionPeriod"] == 0
    assert legacy["classification"] is None
    assert all(row["createdOn"].tzinfo is not None for row in table)
    assert MASTER_PASSWORD not in str(table)
    assert regional.calls.by_operation() == {"rds:DescribeDBInstances": 1, "sts:AssumeRole": 1}


def test_instances_are_read_past_the_first_page(account_session, regional):
    client = account_session.client("rds", region_name=REGION)
    for i in range(101):  # DescribeDBInstances answers 100 per page, in moto as in AWS
        client.create_db_instance(
            DBInstanceIdentifier=f"db-{i:03}", DBInstanceClass="db.t3.micro", Engine="postgres",
            MasterUsername="admin", MasterUserPassword=MASTER_PASSWORD, AllocatedStorage=20,
        )

    rows = list(rds.DB_INSTANCE.collect(regional))

    assert sorted(row["name"] for row in rows) == [f"db-{i:03}" for i in range(101)]
    assert regional.calls.by_operation()["rds:DescribeDBInstances"] == 2


def test_clusters_are_read_past_the_first_page(account_session, regional):
    client = account_session.client("rds", region_name=REGION)
    for name in ("a", "b", "c"):
        client.create_db_cluster(
            DBClusterIdentifier=name, Engine="aurora-mysql", MasterUsername="admin", MasterUserPassword=MASTER_PASSWORD
        )
    clusters = client.describe_db_clusters()["DBClusters"]
    serve_in_pages(regional, "rds", "DescribeDBClusters", "DBClusters", lambda _: clusters, token="Marker")

    rows = list(rds.RDS_CLUSTER.collect(regional))

    assert [row["_key"] for row in rows] == [f"{ARN}:cluster:a", f"{ARN}:cluster:b", f"{ARN}:cluster:c"]
    assert regional.calls.by_operation()["rds:DescribeDBClusters"] == 3


def test_aws_shaped_neptune_cluster_and_instance_being_created():
    """Shapes moto does not produce: a Neptune cluster without members or endpoints, a public Multi-AZ DB cluster,
    and an instance that has no endpoint yet."""
    created = datetime(2024, 5, 1, tzinfo=UTC)
    clusters = [
        {
            "DBClusterIdentifier": "graph",
            "DBClusterArn": f"{ARN}:cluster:graph",
            "Engine": "neptune",
            "Status": "creating",
            "StorageEncrypted": False,
            "ClusterCreateTime": created,
        },
        {
            "DBClusterIdentifier": "maz",
            "DBClusterArn": f"{ARN}:cluster:maz",
            "Engine": "postgres",
            "MultiAZ": True,
            "PubliclyAccessible": True,
            "StorageEncrypted": True,
            "DBClusterMembers": [
                {"DBInstanceIdentifier": "maz-reader", "IsClusterWriter": False},
                {"DBInstanceIdentifier": "maz-writer", "IsClusterWriter": True},
            ],
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-1", "Status": "active"}],
        },
    ]
    instance = {
        "DBInstanceIdentifier": "new",
        "DBInstanceArn": f"{ARN}:db:new",
        "DBInstanceStatus": "creating",
        "StorageEncrypted": True,
        "PubliclyAccessible": False,
    }

    graph, maz = rds.RDS_CLUSTER.to_table(rds.cluster_rows(clusters, REGION), ACCOUNT_ID, REGION).to_pylist()
    (new,) = rds.DB_INSTANCE.to_table(rds.instance_rows([instance], REGION), ACCOUNT_ID, REGION).to_pylist()

    assert (graph["engine"], graph["encrypted"], graph["publiclyAccessible"]) == ("neptune", False, None)
    assert graph["memberInstanceIdentifiers"] == []
    assert graph["writerInstanceIdentifier"] is None
    assert graph["createdOn"] == created
    assert (maz["multiAz"], maz["publiclyAccessible"]) == (True, True)
    assert maz["writerInstanceIdentifier"] == "maz-writer"
    assert maz["vpcSecurityGroupIds"] == ["sg-1"]
    assert (new["hostname"], new["endpointAddress"], new["port"], new["vpcId"]) == (None, None, None, None)
    assert new["subnetIds"] == []
    assert new["status"] == "creating"
