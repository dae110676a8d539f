"""CloudTrail trails of one region: where each trail delivers, whether it is logging, and which events it records.

Calls per account and region: cloudtrail:DescribeTrails (not paginated; AWS allows five trails per region), then per
trail, concurrently, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors. DescribeTrails is asked for shadow
trails too (a multi-region trail is listed in every region, an organisation trail in every member account) and only
the trails this account owns whose home region is this region are kept: each trail is one row, in the partition of
its home region and owner, as its ARN is one key. A member account covered by its management account's organisation
trail reads that from the management account's row (`isOrganizationTrail`). Tags are not collected (ListTags is a
call per region for little use to a rule).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import (
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    json_text,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import console_link

TRAIL_MISSING = ("TrailNotFoundException",)
# AWS's default for a trail created without event selectors: every management event, read and write, no data event.
DEFAULT_EVENT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]
S3_OBJECT = "AWS::S3::Object"
# The `Values` of a basic selector's data resource that mean every bucket, current and future (per partition).
ALL_BUCKETS = frozenset({"arn:aws:s3", "arn:aws:s3:::", "arn:aws-cn:s3", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3",
                         "arn:aws-us-gov:s3:::"})
READ_WRITE = {"All": (True, True), "ReadOnly": (True, False), "WriteOnly": (False, True)}


@dataclass
class TrailDetails:
    """A trail as DescribeTrails lists it, with its status and event selectors; None where a call was refused."""

    trail: dict[str, Any]
    status: dict[str, Any] | None = None
    selectors: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)


# ---- transforms (pure) -------------------------------------------------------------------------------------------


def owned_here(trail: dict[str, Any], account_id: str, region: str) -> bool:
    return trail.get("HomeRegion") == region and trail["TrailARN"].split(":")[4] == account_id


def basic_coverage(selectors: list[dict[str, Any]]) -> dict[str, bool]:
    """What basic event selectors record: management reads and writes, object reads and writes of every bucket."""
    covered = dict.fromkeys(("managementRead", "managementWrite", "s3Read", "s3Write"), False)
    for selector in selectors:
        read, write = READ_WRITE.get(selector.get("ReadWriteType", "All"), (False, False))
        if selector.get("IncludeManagementEvents", True):
            covered["managementRead"] |= read
            covered["managementWrite"] |= write
        for resource in selector.get("DataResources", []):
            if resource.get("Type") == S3_OBJECT and ALL_BUCKETS & set(resource.get("Values", [])):
                covered["s3Read"] |= read
                covered["s3Write"] |= write
    return covered


def _equals(field_selector: dict[str, Any]) -> list[str] | None:
    """The values a field selector admits when it only has `Equals`; None when it filters otherwise."""
    operators = set(field_selector) - {"Field"}
    return field_selector.get("Equals") if operators == {"Equals"} else None


def advanced_coverage(selectors: list[dict[str, Any]]) -> dict[str, bool]:
    """What advanced event selectors record, counting only selectors that narrow nothing but the event category,
    the resource type and read-only: any other field (an event name, a resource ARN) records less than all."""
    covered = dict.fromkeys(("managementRead", "managementWrite", "s3Read", "s3Write"), False)
    for selector in selectors:
        fields = {f["Field"]: _equals(f) for f in selector.get("FieldSelectors", [])}
        if set(fields) - {"eventCategory", "resources.type", "readOnly"} or None in fields.values():
            continue
        read_only = fields.get("readOnly")
        read = read_only is None or "true" in read_only
        write = read_only is None or "false" in read_only
        category = fields.get("eventCategory") or []
        if category == ["Management"] and "resources.type" not in fields:
            covered["managementRead"] |= read
            covered["managementWrite"] |= write
        if category == ["Data"] and fields.get("resources.type") == [S3_OBJECT]:
            covered["s3Read"] |= read
            covered["s3Write"] |= write
    return covered


def selector_columns(response: dict[str, Any] | None) -> dict[str, Any]:
    if response is None:
        return {}
    basic = response.get("EventSelectors") or []
    advanced = response.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        basic = DEFAULT_EVENT_SELECTORS
    covered = advanced_coverage(advanced) if advanced else basic_coverage(basic)
    return {
        "eventSelectors": json.dumps(basic, sort_keys=True) if basic else None,
        "advancedEventSelectors": json.dumps(advanced, sort_keys=True) if advanced else None,
        "managementReadEvents": covered["managementRead"],
        "managementWriteEvents": covered["managementWrite"],
        "allS3ObjectReadEvents": covered["s3Read"],
        "allS3ObjectWriteEvents": covered["s3Write"],
    }


def status_columns(status: dict[str, Any] | None) -> dict[str, Any]:
    if status is None:
        return {}
    return {
        "isLogging": status.get("IsLogging"),
        "latestDeliveryTime": status.get("LatestDeliveryTime"),
        "latestDeliveryError": status.get("LatestDeliveryError") or None,
        "latestCloudWatchLogsDeliveryTime": status.get("LatestCloudWatchLogsDeliveryTime"),
        "latestCloudWatchLogsDeliveryError": status.get("LatestCloudWatchLogsDeliveryError") or None,
    }


def trail_row(details: TrailDetails, region: str) -> dict[str, Any]:
    trail = details.trail
    arn = trail["TrailARN"]
    name = trail["Name"]
    return {
        "_key": arn,
        "name": name,
        "arn": arn,
        "webLink": console_link(f"cloudtrail/home#/trails/{arn}", region),
        "tags": {},
        "trailName": name,
        "homeRegion": trail.get("HomeRegion"),
        "isMultiRegionTrail": trail.get("IsMultiRegionTrail"),
        "isOrganizationTrail": trail.get("IsOrganizationTrail"),
        "includeGlobalServiceEvents": trail.get("IncludeGlobalServiceEvents"),
        "logFileValidationEnabled": trail.get("LogFileValidationEnabled"),
        "encrypted": bool(trail.get("KmsKeyId")),
        "kmsKeyId": trail.get("KmsKeyId") or None,
        "s3BucketName": trail.get("S3BucketName"),
        "s3KeyPrefix": trail.get("S3KeyPrefix"),
        "snsTopicArn": trail.get("SnsTopicARN"),
        "cloudWatchLogsLogGroupArn": trail.get("CloudWatchLogsLogGroupArn") or None,
        "cloudWatchLogsRoleArn": trail.get("CloudWatchLogsRoleArn") or None,
        **status_columns(details.status),
        **selector_columns(details.selectors),
        "collectionErrors": details.errors,
    }


def trail_rows(trails: list[TrailDetails], region: str) -> list[dict[str, Any]]:
    return [trail_row(trail, region) for trail in trails]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_trail_details(aws: PartitionCollection, trail: dict[str, Any]) -> TrailDetails:
    cloudtrail = aws.client("cloudtrail")
    arn = trail["TrailARN"]
    calls = DetailCalls()
    status = calls.get("cloudtrail:GetTrailStatus", lambda: cloudtrail.get_trail_status(Name=arn), *TRAIL_MISSING)
    selectors = calls.get(
        "cloudtrail:GetEventSelectors", lambda: cloudtrail.get_event_selectors(TrailName=arn), *TRAIL_MISSING
    )
    return TrailDetails(trail=trail, status=status, selectors=selectors, errors=calls.errors)


def collect_trails(aws: PartitionCollection) -> list[dict[str, Any]]:
    listed = aws.client("cloudtrail").describe_trails(includeShadowTrails=True)["trailList"]
    trails = [trail for trail in listed if owned_here(trail, aws.account_id, aws.region)]
    return trail_rows(aws.map_concurrently(partial(get_trail_details, aws), trails), aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

CLOUDTRAIL = EntityType(
    type="aws_cloudtrail",
    classes=("Logs",),
    description="CloudTrail trails, in their home region: where they deliver (S3 bucket, CloudWatch Logs group, SNS "
    "topic), their KMS encryption and log file validation, whether they are logging, and which management and S3 "
    "data events their selectors record.",
    columns=(
        string("trailName", "Trail name"),
        string("homeRegion", "Region the trail was created in; a multi-region trail records every region"),
        boolean("isMultiRegionTrail", "Whether the trail records events of every region"),
        boolean("isOrganizationTrail", "Whether the trail records the events of every account of the organisation"),
        boolean("includeGlobalServiceEvents", "Whether the trail records global services' events (IAM, STS, ...)"),
        boolean("logFileValidationEnabled", "Whether CloudTrail writes signed digest files that prove log integrity"),
        boolean("encrypted", "Whether log files are encrypted with a KMS key (SSE-KMS)"),
        string("kmsKeyId", "ARN of the KMS key that encrypts the log files"),
        string("s3BucketName", "Bucket the log files are delivered to (aws_s3_bucket, possibly of another account)"),
        string("s3KeyPrefix", "Key prefix of the log files in the bucket"),
        string("snsTopicArn", "SNS topic notified of each log file delivery"),
        string("cloudWatchLogsLogGroupArn", "CloudWatch Logs group the events are also sent to"),
        string("cloudWatchLogsRoleArn", "Role CloudTrail assumes to write to the log group"),
        boolean("isLogging", "Whether the trail is recording events now (GetTrailStatus)"),
        timestamp("latestDeliveryTime", "When log files were last delivered to the bucket"),
        string("latestDeliveryError", "The last error delivering to the bucket, if any"),
        timestamp("latestCloudWatchLogsDeliveryTime", "When events were last sent to the log group"),
        string("latestCloudWatchLogsDeliveryError", "The last error sending events to the log group, if any"),
        json_text("eventSelectors", "Basic event selectors: ReadWriteType, IncludeManagementEvents, DataResources"),
        json_text("advancedEventSelectors", "Advanced event selectors: Name and FieldSelectors"),
        boolean("managementReadEvents", "Whether the selectors record every read management event"),
        boolean("managementWriteEvents", "Whether the selectors record every write management event"),
        boolean(
            "allS3ObjectReadEvents",
            "Whether the selectors record object-level read data events (GetObject, ...) of every S3 bucket",
        ),
        boolean(
            "allS3ObjectWriteEvents",
            "Whether the selectors record object-level write data events (PutObject, DeleteObject, ...) of every S3 "
            "bucket",
        ),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_trails,
    console="CloudTrail > Trails",
)

SERVICE = Service(
    name="cloudtrail",
    title="CloudTrail",
    scope=Scope.REGION,
    entity_types=(CLOUDTRAIL,),
    entity=ServiceEntity(
        "aws_cloudtrail_service", "CloudTrail", "logging", "cloudtrail/home",
        members=(), members_beyond_spec=(CLOUDTRAIL,),
    ),
)
