"""EFS file systems of one region: whether each is encrypted at rest and with which KMS key.

Calls per account and region: elasticfilesystem:DescribeFileSystems, paginated (AWS's largest page is 100 file
systems; it answers each file system's name and tags with it, so no DescribeTags per file system). Nothing is read
from a file system: no mount target is used, no file is opened.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_assets.aws.partition import PartitionCollection
from aws_assets.model.entity import (
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    integer,
    string,
)
from aws_assets.services.common import classification, console_link, tags_from_list

PAGE_SIZE = 100  # the most DescribeFileSystems answers per call

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def creation_time(value: datetime | float | None) -> datetime | None:
    """botocore parses CreationTime to a datetime; accept epoch seconds too, as the JSON protocol carries it."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(value, UTC)


def file_system_rows(file_systems: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    rows = []
    for fs in file_systems:
        tags = tags_from_list(fs.get("Tags"))
        file_system_id = fs["FileSystemId"]
        rows.append({
            "_key": fs["FileSystemArn"],
            "name": fs.get("Name") or file_system_id,
            "arn": fs["FileSystemArn"],
            "webLink": console_link(f"efs/home#/file-systems/{file_system_id}", region),
            "createdOn": creation_time(fs.get("CreationTime")),
            "tags": tags,
            "encrypted": bool(fs.get("Encrypted")),
            "classification": classification(tags),
            "fileSystemId": file_system_id,
            "kmsKeyId": fs.get("KmsKeyId"),
            "lifeCycleState": fs.get("LifeCycleState"),
            "performanceMode": fs.get("PerformanceMode"),
            "throughputMode": fs.get("ThroughputMode"),
            "numberOfMountTargets": fs.get("NumberOfMountTargets"),
            "sizeInBytes": (fs.get("SizeInBytes") or {}).get("Value"),
            "availabilityZoneName": fs.get("AvailabilityZoneName"),
            "ownerId": fs.get("OwnerId"),
        })
    return rows


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_file_systems(aws: PartitionCollection) -> list[dict[str, Any]]:
    file_systems = aws.paginate("efs", "describe_file_systems", "FileSystems",
                                PaginationConfig={"PageSize": PAGE_SIZE})
    return file_system_rows(file_systems, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

FILE_SYSTEM = EntityType(
    type="aws_efs_file_system",
    classes=("DataStore",),
    description="EFS file systems: whether each is encrypted at rest (`encrypted`) and with which KMS key, its "
    "performance and throughput modes and how many mount targets it has.",
    columns=(
        string("fileSystemId", "File system ID (fs-...)"),
        string("kmsKeyId", "ARN of the KMS key encrypting the file system (aws_kms_key); empty when unencrypted"),
        string("lifeCycleState", "creating, available, updating, deleting, deleted or error"),
        string("performanceMode", "generalPurpose or maxIO"),
        string("throughputMode", "bursting, provisioned or elastic"),
        integer("numberOfMountTargets", "How many mount targets (one per availability zone) the file system has"),
        integer("sizeInBytes", "Metered size of the data stored, as EFS last measured it"),
        string("availabilityZoneName", "The zone of a One Zone file system; empty for a Regional one"),
        string("ownerId", "ID of the account that owns the file system"),
    ),
    collect=collect_file_systems,
    console="EFS > File systems",
    volatile=("sizeInBytes",),
)

SERVICE = Service(
    name="efs",
    title="EFS",
    scope=Scope.REGION,
    entity_types=(FILE_SYSTEM,),
    entity=ServiceEntity(
        "aws_efs", "EFS", "storage", "efs/home", members=(), members_beyond_spec=(FILE_SYSTEM,)
    ),
)
