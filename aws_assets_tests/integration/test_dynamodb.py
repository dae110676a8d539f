from datetime import UTC, datetime

from botocore.awsrequest import AWSResponse

from aws_assets.services import dynamodb
from aws_assets.services.dynamodb import KeyDetails, TableDetails
from aws_assets_tests.conftest import ACCOUNT_ID, REGION

KEY_SCHEMA = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
              "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
ITEM_OPERATIONS = ("Scan", "Query", "GetItem", "BatchGetItem", "ExecuteStatement", "BatchExecuteStatement",
                   "TransactGetItems", "ExportTableToPointInTime")


def arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"


def collect(aws) -> dict[str, dict]:
    rows = dynamodb.AWS_DYNAMODB_TABLE.collect(aws)
    table = dynamodb.AWS_DYNAMODB_TABLE.to_table(rows, ACCOUNT_ID, aws.region).to_pylist()
    return {row["name"]: row for row in table}


def expected_calls(tables: int, **overrides: int) -> dict[str, int]:
    calls = {"sts:AssumeRole": 1, "dynamodb:ListTables": 1, "dynamodb:DescribeTable": tables,
             "dynamodb:DescribeContinuousBackups": tables, "dynamodb:ListTagsOfResource": tables, **overrides}
    return dict(sorted(calls.items()))


def test_billing_encryption_backups_protection_streams_and_tags(account_session, regional):
    client = account_session.client("dynamodb", region_name=REGION)
    key_arn = account_session.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    client.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST", DeletionProtectionEnabled=True,
                        Tags=[{"Key": "Classification", "Value": "confidential"}, {"Key": "Name", "Value": "Orders"}],
                        **KEY_SCHEMA)
    client.create_table(TableName="legacy", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}, **KEY_SCHEMA)
    client.update_continuous_backups(
        TableName="legacy", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    client.create_table(TableName="payments", BillingMode="PAY_PER_REQUEST",
                        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn}, **KEY_SCHEMA)

    rows = collect(regional)

    assert {name: row["_key"] for name, row in rows.items()} == {
        "orders": arn("orders"), "legacy": arn("legacy"), "payments": arn("payments")}
    for name, row in rows.items():
        assert row["_class"] == ["DataStore", "Database"]
        assert row["arn"] == arn(name)
        assert row["region"] == REGION
        assert row["webLink"] == (
            f"https://{REGION}.console.aws.amazon.com/dynamodbv2/home?region={REGION}#table?name={name}")
        assert row["createdOn"].tzinfo is not None
        assert row["encrypted"] is True
        assert row["status"] == "ACTIVE"
        assert row["collectionErrors"] == []

    orders, legacy, payments = rows["orders"], rows["legacy"], rows["payments"]
    assert (orders["billingMode"], legacy["billingMode"]) == ("PAY_PER_REQUEST", "PROVISIONED")
    assert (legacy["readCapacityUnits"], legacy["writeCapacityUnits"]) == (5, 3)
    assert (orders["sseType"], orders["kmsKeyArn"], orders["customerManagedKey"]) == ("AES256", None, False)
    assert (payments["sseType"], payments["kmsKeyArn"], payments["customerManagedKey"]) == ("KMS", key_arn, True)
    assert {name: row["pointInTimeRecoveryEnabled"] for name, row in rows.items()} == {
        "orders": False, "legacy": True, "payments": False}
    assert {name: row["deletionProtectionEnabled"] for name, row in rows.items()} == {
        "orders": True, "legacy": False, "payments": False}
    assert (legacy["streamEnabled"], legacy["streamViewType"]) == (True, "NEW_IMAGE")
    assert (orders["streamEnabled"], orders["streamViewType"]) == (False, None)
    assert orders["tableClass"] == "STANDARD"  # moto's DescribeTable has no TableClassSummary
    assert orders["tags"] == [("Classification", "confidential"), ("Name", "Orders")]
    assert (orders["classification"], orders["displayName"]) == ("confidential", "Orders")
    assert (legacy["classification"], legacy["displayName"]) == (None, "legacy")
    assert orders["globalTableReplicaRegions"] == []

    assert regional.calls.by_operation() == expected_calls(3, **{"kms:DescribeKey": 1})


def test_list_tables_follows_every_page(account_session, regional, monkeypatch):
    monkeypatch.setattr(dynamodb, "LIST_TABLES_PAGE_SIZE", 2)
    client = account_session.client("dynamodb", region_name=REGION)
    names = [f"table-{index}" for index in range(5)]
    for name in names:
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **KEY_SCHEMA)

    rows = collect(regional)

    assert sorted(rows) == names
    assert regional.calls.by_operation() == expected_calls(5, **{"dynamodb:ListTables": 3})


def test_never_reads_items(account_session, regional):
    secret = "4111-1111-1111-1111"
    client = account_session.client("dynamodb", region_name=REGION)
    client.create_table(TableName="cards", BillingMode="PAY_PER_REQUEST", **KEY_SCHEMA)
    client.put_item(TableName="cards", Item={"pk": {"S": "customer-42"}, "pan": {"S": secret}})

    rows = collect(regional)

    assert set(rows) == {"cards"}
    calls = regional.calls.by_operation()
    assert calls == expected_calls(1)
    assert not {f"dynamodb:{operation}" for operation in ITEM_OPERATIONS} & set(calls)
    assert secret not in repr(rows)
    assert "customer-42" not in repr(rows)


def test_access_denied_on_describe_table_keeps_the_table(account_session, regional):
    client = account_session.client("dynamodb", region_name=REGION)
    client.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                        Tags=[{"Key": "Classification", "Value": "restricted"}], **KEY_SCHEMA)

    def deny(**_):
        http = AWSResponse(f"https://dynamodb.{REGION}.amazonaws.com", 400, {}, None)
        return http, {"Error": {"Code": "AccessDeniedException", "Message": "denied"},
                      "ResponseMetadata": {"HTTPStatusCode": 400}}

    regional.session._session.register("before-call.dynamodb.DescribeTable", deny)

    row = collect(regional)["orders"]

    assert row["_key"] == arn("orders")
    assert row["collectionErrors"] == ["dynamodb:DescribeTable: AccessDeniedException"]
    assert (row["billingMode"], row["status"], row["createdOn"], row["deletionProtectionEnabled"]) == (
        None, None, None, None)
    assert row["encrypted"] is True
    assert row["pointInTimeRecoveryEnabled"] is False
    assert row["classification"] == "restricted"
    assert regional.calls.by_operation() == expected_calls(1)


def described(**table) -> dict:
    return {"TableName": "orders", "TableArn": arn("orders"), "TableStatus": "ACTIVE",
            "CreationDateTime": datetime(2017, 3, 1, tzinfo=UTC), **table}


def row_of(table: dict, keys: dict[str, KeyDetails] | None = None) -> dict:
    details = TableDetails(name="orders", table=table, continuous_backups={}, tags={"Tags": []})
    return dynamodb.table_row(details, keys or {}, ACCOUNT_ID, REGION)


def test_old_provisioned_table_without_billing_mode_summary():
    row = row_of(described(TableId="0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f",
                           ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 10}))
    assert (row["billingMode"], row["readCapacityUnits"]) == ("PROVISIONED", 10)
    assert row["tableId"] == "0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"  # moto's DescribeTable has no TableId


def test_aws_managed_key_is_not_customer_managed_and_refused_describe_key_is_unknown():
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
    table = described(SSEDescription={"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn})

    aws_managed = row_of(table, {key_arn: KeyDetails({"Arn": key_arn, "KeyManager": "AWS"})})
    assert (aws_managed["sseType"], aws_managed["customerManagedKey"]) == ("KMS", False)

    refused = row_of(table, {key_arn: KeyDetails(None, ["kms:DescribeKey: AccessDeniedException"])})
    assert refused["customerManagedKey"] is None
    assert refused["collectionErrors"] == ["kms:DescribeKey: AccessDeniedException"]


def test_global_table_replicas_and_table_class():
    row = row_of(described(Replicas=[{"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"},
                                     {"RegionName": "ap-southeast-2", "ReplicaStatus": "ACTIVE"}],
                           TableClassSummary={"TableClass": "STANDARD_INFREQUENT_ACCESS"}))
    assert row["globalTableReplicaRegions"] == ["us-east-1", "ap-southeast-2"]
    assert row["tableClass"] == "STANDARD_INFREQUENT_ACCESS"
