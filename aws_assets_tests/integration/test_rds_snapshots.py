from aws_assets.services import rds
from aws_assets_tests.conftest import ACCOUNT_ID, REGION, refuse, serve_in_pages

ARN = f"arn:aws:rds:{REGION}:{ACCOUNT_ID}"
PARTNER = "999988887777"


def seed_snapshots(account_session) -> None:
    """Of the unencrypted `legacy` instance: `legacy-public` (restorable by everyone) and `legacy-partner` (shared
    with one account); of the encrypted `orders` cluster: `orders-private` (shared with nobody)."""
    client = account_session.client("rds", region_name=REGION)
    client.create_db_instance(DBInstanceIdentifier="legacy", DBInstanceClass="db.t3.micro", Engine="mysql",
                              MasterUsername="admin", MasterUserPassword="planted-password", AllocatedStorage=20)
    for name, accounts in (("legacy-public", ["all"]), ("legacy-partner", [PARTNER])):
        client.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier="legacy")
        client.modify_db_snapshot_attribute(DBSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=accounts)
    client.create_db_cluster(DBClusterIdentifier="orders", Engine="aurora-postgresql", MasterUsername="admin",
                             MasterUserPassword="planted-password", StorageEncrypted=True)
    client.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="orders-private", DBClusterIdentifier="orders")


def collect(regional, entity_type) -> dict[str, dict]:
    rows = entity_type.to_table(entity_type.collect(regional), ACCOUNT_ID, REGION).to_pylist()
    return {row["name"]: row for row in rows}


def manual(rows: dict[str, dict]) -> dict[str, dict]:
    return {name: row for name, row in rows.items() if row["snapshotType"] == "manual"}


def test_db_snapshots_say_who_may_restore_them(account_session, regional):
    seed_snapshots(account_session)

    rows = manual(collect(regional, rds.DB_SNAPSHOT_TYPE))

    assert sorted(rows) == ["legacy-partner", "legacy-public"]
    public, partner = rows["legacy-public"], rows["legacy-partner"]
    assert public["_key"] == f"{ARN}:snapshot:legacy-public"
    assert (public["public"], public["sharedWithAccounts"], public["encrypted"]) == (True, [], False)
    assert (partner["public"], partner["sharedWithAccounts"]) == (False, [PARTNER])
    assert (partner["sourceIdentifier"], partner["engine"], partner["_class"]) == ("legacy", "mysql", ["DataStore"])
    assert all(row["collectionErrors"] == [] for row in rows.values())


def test_cluster_snapshots_say_who_may_restore_them(account_session, regional):
    seed_snapshots(account_session)

    rows = manual(collect(regional, rds.DB_CLUSTER_SNAPSHOT_TYPE))

    private = rows["orders-private"]
    assert private["_key"] == f"{ARN}:cluster-snapshot:orders-private"
    assert (private["public"], private["sharedWithAccounts"], private["encrypted"]) == (False, [], True)
    assert private["sourceIdentifier"] == "orders"
    assert regional.calls.by_operation()["rds:DescribeDBClusterSnapshotAttributes"] == len(rows)


def test_a_refused_attribute_read_leaves_the_sharing_unknown(account_session, regional):
    seed_snapshots(account_session)
    refuse(regional, "rds", "DescribeDBSnapshotAttributes", "AccessDenied",
           lambda params: params["DBSnapshotIdentifier"] == "legacy-public")

    rows = collect(regional, rds.DB_SNAPSHOT_TYPE)

    assert (rows["legacy-public"]["public"], rows["legacy-public"]["sharedWithAccounts"]) == (None, None)
    assert rows["legacy-public"]["collectionErrors"] == ["rds:DescribeDBSnapshotAttributes: AccessDenied"]
    assert rows["legacy-partner"]["sharedWithAccounts"] == [PARTNER]


def test_automated_snapshots_cannot_be_shared_and_cost_no_call():
    automated = {"DBSnapshotIdentifier": "rds:legacy-2026-12-01", "DBSnapshotArn": f"{ARN}:snapshot:rds:legacy",
                 "SnapshotType": "automated", "Encrypted": True}

    details = rds.get_snapshot_details(None, rds.DB_SNAPSHOT, automated)  # a call would fail on None

    [row] = rds.snapshot_rows([details], rds.DB_SNAPSHOT, REGION)
    assert (row["public"], row["sharedWithAccounts"], row["encrypted"]) == (False, [], True)


def test_snapshots_are_read_past_the_first_page(account_session, regional):
    seed_snapshots(account_session)
    snapshots = account_session.client("rds", region_name=REGION).describe_db_snapshots()["DBSnapshots"]
    serve_in_pages(regional, "rds", "DescribeDBSnapshots", "DBSnapshots", lambda _: snapshots, token="Marker")

    assert len(rds.DB_SNAPSHOT_TYPE.collect(regional)) == len(snapshots)
    assert regional.calls.by_operation()["rds:DescribeDBSnapshots"] == len(snapshots)
