"""Logging and detection rules (CIS section 3, 4.16 and GuardDuty): CloudTrail trails, the AWS Config recorder,
VPC flow logs, Security Hub and GuardDuty per region.

A trail counts for an account when it records that account's events (its own, or its management account's
organisation trail: aws_assets.analysis.rules.trails). Only what the lake shows is judged: a trail whose bucket is
not in the lake is not judged on the bucket's logging, and a value that was not collected (None) raises nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aws_assets.analysis.rules.model import PLACE, Detection, Detector, Row, Rule, RuleInputs
from aws_assets.analysis.rules.trails import (
    REGIONS_SUBJECT,
    TRAIL_COLUMNS,
    TRAIL_READS,
    covered_regions,
    records_management_events,
    regions_collected,
    trails_by_account,
)

_ACCOUNT_READS = {"aws_account": PLACE, **TRAIL_READS}
_TRAIL_READS = {"aws_cloudtrail": TRAIL_COLUMNS}
_OBJECT_EVENT_READS = {"aws_s3_bucket": (*PLACE, "bucketName"), "aws_account": PLACE, **TRAIL_READS}


def _trail(row: Row, evidence: dict[str, Any]) -> Detection:
    return Detection("aws_cloudtrail", row["accountId"], row["region"], row["_key"],
                     {"trailName": row["trailName"], "isMultiRegionTrail": row["isMultiRegionTrail"], **evidence})


def _trail_summary(trail: Row) -> dict[str, Any]:
    return {"trailName": trail["trailName"], "accountId": trail["accountId"], "homeRegion": trail["homeRegion"],
            "isMultiRegionTrail": trail["isMultiRegionTrail"], "isLogging": trail["isLogging"],
            "managementReadEvents": trail["managementReadEvents"],
            "managementWriteEvents": trail["managementWriteEvents"]}


def detect_account_without_multi_region_trail(inputs: RuleInputs) -> Iterator[Detection]:
    covering, collected = inputs.shared(trails_by_account), inputs.shared(regions_collected)
    for account in inputs.rows("aws_account"):
        if account["accountId"] not in collected:
            continue
        trails = covering.get(account["accountId"], ())
        if not any(records_management_events(trail) for trail in trails):
            yield Detection("aws_account", account["accountId"], account["region"], account["_key"],
                            {"trails": [_trail_summary(trail) for trail in trails]})


def detect_trail_without_validation(inputs: RuleInputs) -> Iterator[Detection]:
    for trail in inputs.rows("aws_cloudtrail"):
        if trail["logFileValidationEnabled"] is False:
            yield _trail(trail, {"logFileValidationEnabled": False})


def detect_trail_without_kms(inputs: RuleInputs) -> Iterator[Detection]:
    for trail in inputs.rows("aws_cloudtrail"):
        if not trail["kmsKeyId"]:
            yield _trail(trail, {"kmsKeyId": None})


def detect_trail_bucket_without_logging(inputs: RuleInputs) -> Iterator[Detection]:
    """One finding per bucket (the fix is on the bucket), listing the trails that deliver to it."""
    buckets = {row["bucketName"]: row for row in inputs.rows("aws_s3_bucket")}
    trails_of: dict[str, list[str]] = {}
    for trail in inputs.rows("aws_cloudtrail"):
        if trail["s3BucketName"]:
            trails_of.setdefault(trail["s3BucketName"], []).append(trail["_key"])
    for name, trails in sorted(trails_of.items()):
        bucket = buckets.get(name)
        if bucket is not None and bucket["loggingEnabled"] is False:
            yield Detection("aws_s3_bucket", bucket["accountId"], bucket["region"], bucket["_key"],
                            {"bucketName": name, "loggingEnabled": False, "trails": sorted(trails)})


def _object_events(column: str) -> Detector:
    """Accounts with buckets in a region no logging trail records `column` (object reads or writes of every
    bucket) for: a multi-region trail records all, another only its home region."""

    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        covering, collected = inputs.shared(trails_by_account), inputs.shared(regions_collected)
        bucket_regions: dict[str, set[str]] = {}
        for bucket in inputs.rows("aws_s3_bucket"):
            bucket_regions.setdefault(bucket["accountId"], set()).add(bucket["region"])
        for account in inputs.rows("aws_account"):
            regions = bucket_regions.get(account["accountId"])
            if not regions or account["accountId"] not in collected:
                continue
            everywhere, recorded = covered_regions(covering.get(account["accountId"], ()), column)
            unrecorded = sorted(regions - recorded)
            if not everywhere and unrecorded:
                yield Detection("aws_account", account["accountId"], account["region"], account["_key"],
                                {column: False, "bucketRegionsNotRecorded": unrecorded})

    return detect


# ---- AWS Config --------------------------------------------------------------------------------------------------

_RECORDER_READS = {
    "aws_config_recorder": (*PLACE, "present", "recording", "lastStatus", "allSupported",
                            "includeGlobalResourceTypes", "recordingStrategy", "servicePrincipal"),
    "aws_config_delivery_channel": PLACE,
}


def _records_everything(recorder: Row) -> bool:
    return bool(recorder["allSupported"] or recorder["recordingStrategy"] == "ALL_SUPPORTED_RESOURCE_TYPES")


def detect_region_without_config(inputs: RuleInputs) -> Iterator[Detection]:
    """Per region, the account's own recorder (a service-linked one records for its service only) must record
    every supported type, be recording without a failed last recording, and have a delivery channel. Global
    resources (IAM) need recording in one region of the account, as AWS advises, not in each."""
    channels = {(row["accountId"], row["region"]) for row in inputs.rows("aws_config_delivery_channel")}
    by_region: dict[tuple[str, str], list[Row]] = {}
    for row in inputs.rows("aws_config_recorder"):
        by_region.setdefault((row["accountId"], row["region"]), []).append(row)
    records_global = {account for (account, _), rows in by_region.items()
                      for row in rows if row["present"] and not row["servicePrincipal"]
                      and row["recording"] and row["includeGlobalResourceTypes"]}
    for (account, region), rows in sorted(by_region.items()):
        own = [row for row in rows if row["present"] and not row["servicePrincipal"]]
        if any(None in (row["recording"], row["allSupported"]) for row in own):
            continue  # its status or recording group was not read
        problems = []
        if not own:
            problems.append("no configuration recorder")
        else:
            if not any(row["recording"] and row["lastStatus"] != "FAILURE" for row in own):
                problems.append("not recording")
            if not any(_records_everything(row) for row in own):
                problems.append("does not record every supported resource type")
            if (account, region) not in channels:
                problems.append("no delivery channel")
            if account not in records_global:
                problems.append("no region of the account records global resources (IAM)")
        if problems:
            recorder = (own or rows)[0]
            yield Detection("aws_config_recorder", account, region, recorder["_key"], {"problems": problems})


# ---- flow logs, Security Hub, GuardDuty --------------------------------------------------------------------------


def detect_vpc_without_flow_log(inputs: RuleInputs) -> Iterator[Detection]:
    """A VPC of the account (not one shared with it: its owner logs it) with no active flow log of the VPC."""
    logged = {(row["accountId"], row["region"], row["resourceId"]) for row in inputs.rows("aws_vpc_flow_log")
              if row["resourceType"] == "VPC" and row["flowLogStatus"] == "ACTIVE"}
    for vpc in inputs.rows("aws_vpc"):
        if vpc["ownerId"] not in (None, vpc["accountId"]):
            continue
        if (vpc["accountId"], vpc["region"], vpc["vpcId"]) not in logged:
            yield Detection("aws_vpc", vpc["accountId"], vpc["region"], vpc["_key"],
                            {"vpcId": vpc["vpcId"], "isDefault": vpc["isDefault"], "flowLogs": []})


def _region_off(table: str, *shown: str) -> Detector:
    """Rows of a per-region table whose `enabled` is false, with the `shown` columns as evidence."""

    def detect(inputs: RuleInputs) -> Iterator[Detection]:
        for row in inputs.rows(table):
            if row["enabled"] is False:
                yield Detection(table, row["accountId"], row["region"], row["_key"],
                                {"enabled": False, **{column: row[column] for column in shown}})

    return detect


LOGGING_RULES: tuple[Rule, ...] = (
    Rule(
        "AWS-CLOUDTRAIL-001", "high", "No multi-region CloudTrail trail recording management events",
        "No trail recording the account's events (its own, or its organisation's trail) is logging, records every "
        "region and records every read and write management event. Evidence: the trails there are and what each "
        "records. An account whose regions the lake does not hold is not judged.",
        _ACCOUNT_READS, detect_account_without_multi_region_trail, subject=REGIONS_SUBJECT,
        remediation="`aws cloudtrail create-trail --name <name> --s3-bucket-name <bucket> --is-multi-region-trail` "
        "then `aws cloudtrail start-logging --name <name>`; keep its event selectors on all management events "
        "(ReadWriteType All).",
        cis=("3.1",),
    ),
    Rule(
        "AWS-CLOUDTRAIL-002", "medium", "CloudTrail trail without log file validation",
        "The trail writes no signed digest files, so a log file changed or deleted after delivery goes unnoticed.",
        _TRAIL_READS, detect_trail_without_validation,
        remediation="`aws cloudtrail update-trail --name <name> --enable-log-file-validation`.",
        cis=("3.2",),
    ),
    Rule(
        "AWS-CLOUDTRAIL-003", "medium", "CloudTrail bucket without server access logging",
        "A bucket a trail delivers to has server access logging off: requests that read or delete the trail's "
        "logs leave no record. Judged where the lake holds the bucket.",
        {**_TRAIL_READS, "aws_s3_bucket": (*PLACE, "bucketName", "loggingEnabled")},
        detect_trail_bucket_without_logging,
        remediation="`aws s3api put-bucket-logging --bucket <bucket>` to a logging bucket other than the trail's.",
        cis=("3.4",),
    ),
    Rule(
        "AWS-CLOUDTRAIL-004", "medium", "CloudTrail trail not encrypted with a KMS key",
        "The trail's log files are encrypted with S3-managed keys only (no SSE-KMS key): whoever may read the "
        "bucket reads the logs, with no key policy in the way.",
        _TRAIL_READS, detect_trail_without_kms,
        remediation="`aws cloudtrail update-trail --name <name> --kms-key-id <key>` with a customer managed key "
        "whose policy lets CloudTrail encrypt and only the log readers decrypt.",
        cis=("3.5",),
    ),
    Rule(
        "AWS-CLOUDTRAIL-005", "low", "S3 object-level write events not recorded",
        "The account has buckets in regions where no logging trail records the object-level write data events "
        "(PutObject, DeleteObject, ...) of every bucket; a multi-region trail records every region.",
        _OBJECT_EVENT_READS, _object_events("allS3ObjectWriteEvents"),
        remediation="`aws cloudtrail put-event-selectors --trail-name <multi-region trail> --event-selectors "
        "'[{\"ReadWriteType\": \"WriteOnly\", \"IncludeManagementEvents\": true, \"DataResources\": [{\"Type\": "
        "\"AWS::S3::Object\", \"Values\": [\"arn:aws:s3\"]}]}]'` (or All, with the read events).",
        cis=("3.8",),
    ),
    Rule(
        "AWS-CLOUDTRAIL-006", "low", "S3 object-level read events not recorded",
        "The account has buckets in regions where no logging trail records the object-level read data events "
        "(GetObject, ...) of every bucket; a multi-region trail records every region.",
        _OBJECT_EVENT_READS, _object_events("allS3ObjectReadEvents"),
        remediation="`aws cloudtrail put-event-selectors --trail-name <multi-region trail> --event-selectors "
        "'[{\"ReadWriteType\": \"ReadOnly\", \"IncludeManagementEvents\": true, \"DataResources\": [{\"Type\": "
        "\"AWS::S3::Object\", \"Values\": [\"arn:aws:s3\"]}]}]'` (or All, with the write events).",
        cis=("3.9",),
    ),
    Rule(
        "AWS-CONFIG-001", "medium", "AWS Config not recording everything in the region",
        "The region has no configuration recorder of the account, or it is not recording (or its last recording "
        "failed), does not record every supported resource type, has no delivery channel, or no region of the "
        "account records global resources. Evidence: the problems.",
        _RECORDER_READS, detect_region_without_config,
        remediation="`aws configservice put-configuration-recorder --recording-group allSupported=true` (with "
        "includeGlobalResourceTypes=true in one region), `put-delivery-channel` and "
        "`start-configuration-recorder`; or deploy AWS Config to every region with a StackSet.",
        cis=("3.3",),
    ),
    Rule(
        "AWS-EC2-010", "medium", "VPC without flow logs",
        "The VPC has no active flow log: its accepted and rejected traffic is not recorded. A VPC shared with the "
        "account is its owner's to log.",
        {"aws_vpc": (*PLACE, "vpcId", "ownerId", "isDefault"),
         "aws_vpc_flow_log": (*PLACE, "resourceId", "resourceType", "flowLogStatus")},
        detect_vpc_without_flow_log,
        remediation="`aws ec2 create-flow-logs --resource-type VPC --resource-ids <vpc> --traffic-type REJECT` "
        "(or ALL) to CloudWatch Logs or S3.",
        cis=("3.7",),
    ),
    Rule(
        "AWS-SECURITYHUB-001", "medium", "Security Hub not enabled in the region",
        "The account is not subscribed to Security Hub in the region.",
        {"aws_securityhub_hub": (*PLACE, "enabled")}, _region_off("aws_securityhub_hub"),
        remediation="`aws securityhub enable-security-hub --region <region>` (or from the delegated administrator "
        "for the whole organisation).",
        cis=("4.16",),
    ),
    Rule(
        "AWS-GUARDDUTY-001", "medium", "GuardDuty not enabled in the region",
        "The region has no GuardDuty detector, or its detector is suspended (evidence: its ID and status).",
        {"aws_guardduty_detector": (*PLACE, "enabled", "detectorId", "status")},
        _region_off("aws_guardduty_detector", "detectorId", "status"),
        remediation="`aws guardduty create-detector --enable --region <region>` (or `update-detector --enable` "
        "for a suspended one; or from the delegated administrator for the whole organisation).",
    ),
)
