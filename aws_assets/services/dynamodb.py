"""DynamoDB tables: capacity, encryption, backups, deletion protection, streams and global-table replicas.

Calls per account and region: dynamodb:ListTables (paginated, one call per 100 tables), then per table,
concurrently: DescribeTable, DescribeContinuousBackups and ListTagsOfResource (paginated, usually one call); then
kms:DescribeKey once per distinct KMS key the tables use (to tell AWS managed keys from customer managed ones).
Items are never read: no Scan, Query or GetItem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity, boolean, integer, string, strings
from aws_assets.services.common import classification, console_link, tags_from_list

# The most ListTables returns per call.
LIST_TABLES_PAGE_SIZE = 100
# Tables encrypted with an AWS owned key carry no SSEDescription.
AWS_OWNED_KEY_SSE_TYPE = "AES256"


@dataclass
class TableDetails:
    """A listed table's detail responses; None where AWS refused the call."""

    name: str
    table: dict[str, Any] | None
    continuous_backups: dict[str, Any] | None
    tags: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)


@dataclass
class KeyDetails:
    """A KMS key's DescribeKey metadata, None where refused."""

    metadata: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def table_arn(name: str, account_id: str, region: str) -> str:
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"


def kms_key_arn(table: dict[str, Any] | None) -> str | None:
    return (table or {}).get("SSEDescription", {}).get("KMSMasterKeyArn")


def capacity_columns(table: dict[str, Any]) -> dict[str, Any]:
    throughput = table.get("ProvisionedThroughput", {})
    return {
        # Tables made provisioned before billing modes existed have no BillingModeSummary.
        "billingMode": table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        "readCapacityUnits": throughput.get("ReadCapacityUnits"),
        "writeCapacityUnits": throughput.get("WriteCapacityUnits"),
    }


def customer_managed(key: KeyDetails | None) -> bool | None:
    """False without a KMS key (AWS owned key); unknown when DescribeKey was refused."""
    if key is None:
        return False
    if key.metadata is None:
        return None
    return key.metadata.get("KeyManager") == "CUSTOMER"


def encryption_columns(table: dict[str, Any], key: KeyDetails | None) -> dict[str, Any]:
    sse = table.get("SSEDescription", {})
    return {
        "sseType": sse.get("SSEType", AWS_OWNED_KEY_SSE_TYPE),
        "kmsKeyArn": sse.get("KMSMasterKeyArn"),
        "customerManagedKey": customer_managed(key),
    }


def table_columns(table: dict[str, Any], key: KeyDetails | None) -> dict[str, Any]:
    stream = table.get("StreamSpecification", {})
    return {
        "tableId": table.get("TableId"),
        "status": table.get("TableStatus"),
        "createdOn": table.get("CreationDateTime"),
        "itemCount": table.get("ItemCount"),
        "sizeBytes": table.get("TableSizeBytes"),
        **capacity_columns(table),
        **encryption_columns(table, key),
        "deletionProtectionEnabled": bool(table.get("DeletionProtectionEnabled")),
        "streamEnabled": bool(stream.get("StreamEnabled")),
        "streamViewType": stream.get("StreamViewType"),
        "globalTableReplicaRegions": [replica["RegionName"] for replica in table.get("Replicas", [])],
        "tableClass": table.get("TableClassSummary", {}).get("TableClass", "STANDARD"),
    }


def point_in_time_recovery(response: dict[str, Any] | None) -> bool | None:
    if response is None:
        return None
    description = response.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription", {})
    return description.get("PointInTimeRecoveryStatus") == "ENABLED"


def table_row(details: TableDetails, keys: dict[str, KeyDetails], account_id: str, region: str) -> dict[str, Any]:
    arn = (details.table or {}).get("TableArn") or table_arn(details.name, account_id, region)
    tags = tags_from_list((details.tags or {}).get("Tags"))
    key_arn = kms_key_arn(details.table)
    key = keys.get(key_arn) if key_arn else None
    return {
        "_key": arn,
        "name": details.name,
        "arn": arn,
        "webLink": console_link(f"dynamodbv2/home#table?name={details.name}", region),
        "tags": tags,
        "tableName": details.name,
        # DynamoDB encrypts every table at rest; only the key differs.
        "encrypted": True,
        **(table_columns(details.table, key) if details.table is not None else {}),
        "pointInTimeRecoveryEnabled": point_in_time_recovery(details.continuous_backups),
        "classification": classification(tags),
        "collectionErrors": [*details.errors, *(key.errors if key else [])],
    }


def table_rows(
    tables: list[TableDetails], keys: dict[str, KeyDetails], account_id: str, region: str
) -> list[dict[str, Any]]:
    return [table_row(table, keys, account_id, region) for table in tables]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_table_details(aws: PartitionCollection, name: str) -> TableDetails:
    dynamodb = aws.client("dynamodb")
    # Any refusal, not only AccessDenied (ResourceNotFoundException for a table deleted since ListTables, say), costs
    # the properties it reads, not the table: they stay unknown and `collectionErrors` says why.
    calls = DetailCalls(record_any_error=True)
    table = calls.get("dynamodb:DescribeTable", lambda: dynamodb.describe_table(TableName=name)["Table"])
    arn = (table or {}).get("TableArn") or table_arn(name, aws.account_id, aws.region)
    return TableDetails(
        name=name,
        table=table,
        continuous_backups=calls.get(
            "dynamodb:DescribeContinuousBackups", lambda: dynamodb.describe_continuous_backups(TableName=name)
        ),
        tags=calls.get(
            "dynamodb:ListTagsOfResource",
            lambda: {"Tags": aws.paginate("dynamodb", "list_tags_of_resource", "Tags", ResourceArn=arn)},
        ),
        errors=calls.errors,
    )


def get_key_details(aws: PartitionCollection, key_arn: str) -> KeyDetails:
    calls = DetailCalls(record_any_error=True)
    response = calls.get("kms:DescribeKey", lambda: aws.client("kms").describe_key(KeyId=key_arn))
    return KeyDetails(metadata=None if response is None else response["KeyMetadata"], errors=calls.errors)


def collect_tables(aws: PartitionCollection) -> list[dict[str, Any]]:
    names = aws.paginate(
        "dynamodb", "list_tables", "TableNames", PaginationConfig={"PageSize": LIST_TABLES_PAGE_SIZE}
    )
    tables = aws.map_concurrently(partial(get_table_details, aws), names)
    key_arns = sorted({arn for arn in (kms_key_arn(table.table) for table in tables) if arn})
    keys = dict(zip(key_arns, aws.map_concurrently(partial(get_key_details, aws), key_arns)))
    return table_rows(tables, keys, aws.account_id, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

AWS_DYNAMODB_TABLE = EntityType(
    type="aws_dynamodb_table",
    volatile=("itemCount", "sizeBytes"),  # AWS refreshes them about every six hours
    classes=("DataStore", "Database"),
    description="A DynamoDB table with its capacity, encryption key, backups, protection, streams and replicas.",
    columns=(
        string("tableName", "Table name"),
        string("tableId", "Unique identifier AWS gives the table"),
        string("status", "Table status: CREATING, UPDATING, DELETING, ACTIVE, ARCHIVING, ARCHIVED, ..."),
        integer("itemCount", "Approximate number of items (AWS updates it about every six hours)"),
        integer("sizeBytes", "Approximate table size in bytes (AWS updates it about every six hours)"),
        string("billingMode", "PAY_PER_REQUEST (on demand) or PROVISIONED"),
        integer("readCapacityUnits", "Provisioned read capacity units (0 for on-demand tables)"),
        integer("writeCapacityUnits", "Provisioned write capacity units (0 for on-demand tables)"),
        string("sseType", "Encryption at rest: AES256 (AWS owned key) or KMS (AWS managed or customer managed key)"),
        string("kmsKeyArn", "KMS key encrypting the table, when it is not an AWS owned key"),
        boolean(
            "customerManagedKey",
            "Whether the table is encrypted with a customer managed KMS key (not an AWS owned or AWS managed key)",
        ),
        boolean("pointInTimeRecoveryEnabled", "Whether point-in-time recovery (continuous backups) is on"),
        boolean("deletionProtectionEnabled", "Whether deletion protection is on"),
        boolean("streamEnabled", "Whether a DynamoDB stream captures item changes"),
        string("streamViewType", "What the stream records: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES"),
        strings("globalTableReplicaRegions", "Regions of the global table's replicas"),
        string("tableClass", "STANDARD or STANDARD_INFREQUENT_ACCESS"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_tables,
    console="DynamoDB > Tables",
)

SERVICE = Service(
    name="dynamodb",
    title="DynamoDB",
    scope=Scope.REGION,
    entity_types=(AWS_DYNAMODB_TABLE,),
    entity=ServiceEntity("aws_dynamodb", "DynamoDB", "database", "dynamodb/home", members=(AWS_DYNAMODB_TABLE,)),
    kind="dynamodb",
)
