"""Which CloudTrail trails record each account's events: its own trails, and the organisation trails of the
management account of its organisation (CloudTrail delivers a member's events to the management account's trail).
The CloudTrail and monitoring rules both read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_assets.analysis.rules.model import PLACE, Row, RuleInputs

TRAIL_COLUMNS = (
    *PLACE, "trailName", "homeRegion", "isMultiRegionTrail", "isOrganizationTrail", "isLogging",
    "logFileValidationEnabled", "kmsKeyId", "s3BucketName", "cloudWatchLogsLogGroupArn", "managementReadEvents",
    "managementWriteEvents", "allS3ObjectReadEvents", "allS3ObjectWriteEvents",
)
MEMBER_COLUMNS = ("accountId", "memberAccountId")


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
