"""GuardDuty of one region: its detector, or the fact that there is none.

Calls per account and region: guardduty:ListDetectors (paginated; AWS allows one detector per region), then
guardduty:GetDetector for each detector. A region without a detector is a row too (`enabled` false), so that
"GuardDuty is enabled in every region" can be checked region by region. Findings are not collected.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import pyarrow as pa

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import Column, EntityType, Scope, Service, ServiceEntity, boolean, string, strings
from aws_assets.services.common import console_link

DETECTOR_MISSING = ("BadRequestException",)  # GetDetector's answer for a detector deleted since ListDetectors
FEATURE = pa.struct([("name", pa.string()), ("status", pa.string())])

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def detector_arn(region: str, account_id: str, detector_id: str) -> str:
    return f"arn:aws:guardduty:{region}:{account_id}:detector/{detector_id}"


def absent_detector_key(account_id: str, region: str) -> str:
    return f"aws_guardduty_detector:{account_id}:{region}"


def iso_time(text: str | None) -> datetime | None:
    """GuardDuty answers times as ISO 8601 text, e.g. 2026-12-03T14:02:26.123Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def detector_rows(
    detectors: list[tuple[str, dict[str, Any] | None, list[str]]], account_id: str, region: str
) -> list[dict[str, Any]]:
    """`detectors`: each detector's ID, its GetDetector response (None when refused) and the refused calls."""
    link = console_link("guardduty/home#/summary", region)
    if not detectors:
        return [{"_key": absent_detector_key(account_id, region), "name": "(no detector)", "webLink": link,
                 "tags": {}, "category": ["security"], "enabled": False, "collectionErrors": []}]
    rows = []
    for detector_id, detector, errors in detectors:
        arn = detector_arn(region, account_id, detector_id)
        row: dict[str, Any] = {"_key": arn, "name": detector_id, "arn": arn, "webLink": link,
                               "category": ["security"], "detectorId": detector_id, "collectionErrors": errors}
        if detector is not None:
            row.update({
                "tags": detector.get("Tags") or {},
                "createdOn": iso_time(detector.get("CreatedAt")),
                "status": detector.get("Status"),
                "enabled": detector.get("Status") == "ENABLED",
                "findingPublishingFrequency": detector.get("FindingPublishingFrequency"),
                "serviceRole": detector.get("ServiceRole"),
                "features": [{"name": f.get("Name"), "status": f.get("Status")}
                             for f in detector.get("Features") or []],
            })
        rows.append(row)
    return rows


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_detector(aws: PartitionCollection, detector_id: str) -> tuple[str, dict[str, Any] | None, list[str]]:
    calls = DetailCalls()
    detector = calls.get(
        "guardduty:GetDetector", lambda: aws.client("guardduty").get_detector(DetectorId=detector_id),
        *DETECTOR_MISSING,
    )
    return detector_id, detector, calls.errors


def collect_detectors(aws: PartitionCollection) -> list[dict[str, Any]]:
    detector_ids = aws.paginate("guardduty", "list_detectors", "DetectorIds")
    detectors = aws.map_concurrently(partial(get_detector, aws), detector_ids)
    return detector_rows(detectors, aws.account_id, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

DETECTOR = EntityType(
    type="aws_guardduty_detector",
    classes=("Control",),
    description="GuardDuty detectors, one row per region: the region's detector, or a row saying the region has none "
    "(`enabled` false, no detectorId).",
    columns=(
        boolean("enabled", "Whether GuardDuty monitors the region: a detector exists and its status is ENABLED"),
        string("detectorId", "Detector ID; empty on the row of a region without a detector"),
        string("status", "Detector status: ENABLED or DISABLED (suspended)"),
        string("findingPublishingFrequency", "How often updated findings are exported, e.g. SIX_HOURS"),
        string("serviceRole", "Service-linked role GuardDuty uses"),
        Column("features", pa.list_(FEATURE), "Protection plans and their status: name (S3_DATA_EVENTS, "
               "EKS_AUDIT_LOGS, RUNTIME_MONITORING, ...), status (ENABLED or DISABLED)"),
        strings(
            "collectionErrors",
            "Detail calls AWS refused, as `service:Operation: ErrorCode`; the properties they read are empty",
        ),
    ),
    collect=collect_detectors,
    console="GuardDuty > Settings",
)

SERVICE = Service(
    name="guardduty",
    title="GuardDuty",
    scope=Scope.REGION,
    entity_types=(DETECTOR,),
    entity=ServiceEntity(
        "aws_guardduty", "GuardDuty", "threat-detection", "guardduty/home", members=(), members_beyond_spec=(DETECTOR,)
    ),
)
