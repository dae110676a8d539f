"""Which CloudTrail trails record each account's events: its own trails, and the organisation trails of the
management account of its organisation (CloudTrail delivers a member's events to the management account's trail).
The CloudTrail and monitoring rules both read it.

A region without trails has no trail rows, so no row cannot tell "no trail" from "not collected". The rules that
conclude an account lacks a trail judge only the accounts whose regions the lake holds: those with a row of a table
that has one per collected region whatever is configured there (`REGION_ROW_TABLES`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_assets.analysis.rules.model import PLACE, Row, RuleInputs

TRAIL_COLUMNS = (
    *PLACE, "trailName", "homeRegion", "isMultiRegionTrail", "isOrganizationTrail", "isLogging",
    "logFileValidationEnabled", "kmsKeyId", "s3BucketName", "cloudWatchLogsLogGroupArn", "managementReadEvents",
    "managementWriteEvents", "allS3ObjectReadEvents", "allS3ObjectWriteEvents",
)
MEMBER_COLUMNS = ("accountId", "memberAccountId")
REGION_ROW_TABLES = ("aws_ec2_regional_settings", "aws_config_recorder", "aws_guardduty_detector",
                     "aws_securityhub_hub")
# The account-wide trail rules' compliance subject: a control is assessed where the lake holds the regions, so an
# account whose regions were not collected is not-applicable rather than passing.
REGIONS_SUBJECT = REGION_ROW_TABLES[0]
TRAIL_READS = {"aws_cloudtrail": TRAIL_COLUMNS, "aws_organization_account": MEMBER_COLUMNS,
               **{table: ("accountId",) for table in REGION_ROW_TABLES}}


def regions_collected(inputs: RuleInputs) -> frozenset[str]:
    """The accounts of which the lake holds regional collections."""
    return frozenset(row["accountId"] for table in REGION_ROW_TABLES for row in inputs.rows(table))


def trails_by_account(inputs: RuleInputs) -> Mapping[str, Sequence[Row]]:
    """Account -> the trails recording its events. An organisation trail covers the members its owner's
    organisation rows list; when the lake does not hold them, only its owner."""
    members: dict[str, set[str]] = {}
    for row in inputs.rows("aws_organization_account"):
        members.setdefault(row["accountId"], set()).add(row["memberAccountId"])
    covering: dict[str, list[Row]] = {}
    for trail in inputs.rows("aws_cloudtrail"):
        owner = trail["accountId"]
        accounts = {owner} | (members.get(owner, set()) if trail["isOrganizationTrail"] else set())
        for account in accounts:
            covering.setdefault(account, []).append(trail)
    return covering


def records_management_events(trail: Row) -> bool:
    """CIS 3.1's trail: logging, multi-region, recording every read and write management event."""
    return bool(trail["isLogging"] and trail["isMultiRegionTrail"] and trail["managementReadEvents"]
                and trail["managementWriteEvents"])


def covered_regions(trails: Sequence[Row], column: str) -> tuple[bool, set[str]]:
    """Whether logging trails with `column` true record every region, and else the regions they record."""
    regions: set[str] = set()
    for trail in trails:
        if trail["isLogging"] and trail[column]:
            if trail["isMultiRegionTrail"]:
                return True, regions
            regions.add(trail["homeRegion"] or trail["region"])
    return False, regions
