"""IAM Access Analyzer of one region: its analyzers, or the fact that there is none.

Calls per account and region: access-analyzer:ListAnalyzers, paginated (100 analyzers a page). A region without
an analyzer is a row too (`present` false), so that "Access Analyzer is enabled in every region" can be checked region
by region. Findings are not collected.
"""

from __future__ import annotations

import json
from typing import Any

from aws_assets.aws.partition import PartitionCollection
from aws_assets.model.entity import EntityType, Scope, Service, ServiceEntity, boolean, json_text, string, timestamp
from aws_assets.services.common import console_link

PAGE_SIZE = 100  # analyzers asked for per ListAnalyzers call (a region rarely has more than a few)

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def absent_analyzer_key(account_id: str, region: str) -> str:
    return f"aws_accessanalyzer_analyzer:{account_id}:{region}"


def analyzer_rows(analyzers: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    link = console_link("access-analyzer/home#/analyzers", region)
    if not analyzers:
        return [{"_key": absent_analyzer_key(account_id, region), "name": "(no analyzer)", "webLink": link,
                 "tags": {}, "category": ["security"], "present": False}]
    return [
        {
            "_key": analyzer["arn"],
            "name": analyzer["name"],
            "arn": analyzer["arn"],
            "webLink": link,
            "createdOn": analyzer.get("createdAt"),
            "tags": analyzer.get("tags") or {},
            "category": ["security"],
            "present": True,
            "analyzerType": analyzer.get("type"),
            "status": analyzer.get("status"),
            "statusReason": (analyzer.get("statusReason") or {}).get("code"),
            "lastResourceAnalyzed": analyzer.get("lastResourceAnalyzed"),
            "lastResourceAnalyzedAt": analyzer.get("lastResourceAnalyzedAt"),
            "configuration": json_configuration(analyzer.get("configuration")),
        }
        for analyzer in analyzers
    ]


def json_configuration(configuration: dict[str, Any] | None) -> str | None:
    return json.dumps(configuration, sort_keys=True) if configuration else None


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_analyzers(aws: PartitionCollection) -> list[dict[str, Any]]:
    analyzers = aws.paginate("accessanalyzer", "list_analyzers", "analyzers",
                             PaginationConfig={"PageSize": PAGE_SIZE})
    return analyzer_rows(analyzers, aws.account_id, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

ANALYZER = EntityType(
    type="aws_accessanalyzer_analyzer",
    classes=("Control",),
    description="IAM Access Analyzer analyzers, one row per analyzer and one for a region that has none: what each "
    "analyzes (external access of the account or of the whole organisation, unused or internal access) and whether "
    "it is ACTIVE.",
    columns=(
        boolean("present", "Whether the region has an analyzer; false on the row of a region without one"),
        string("analyzerType", "ACCOUNT or ORGANIZATION (external access), ACCOUNT_UNUSED_ACCESS or "
               "ORGANIZATION_UNUSED_ACCESS, ACCOUNT_INTERNAL_ACCESS or ORGANIZATION_INTERNAL_ACCESS"),
        string("status", "ACTIVE (analyzing), CREATING, DISABLED (e.g. the organisation's trusted access was turned "
               "off) or FAILED"),
        string("statusReason", "Why the analyzer is not ACTIVE, e.g. AWS_SERVICE_ACCESS_DISABLED"),
        string("lastResourceAnalyzed", "ARN of the resource it analyzed last"),
        timestamp("lastResourceAnalyzedAt", "When it analyzed that resource"),
        json_text("configuration", "The analyzer's configuration, e.g. the age after which access counts as unused"),
    ),
    collect=collect_analyzers,
    console="IAM > Access Analyzer > Analyzer settings",
    volatile=("lastResourceAnalyzed", "lastResourceAnalyzedAt"),
)

SERVICE = Service(
    name="accessanalyzer",
    title="IAM Access Analyzer",
    scope=Scope.REGION,
    entity_types=(ANALYZER,),
    entity=ServiceEntity(
        "aws_accessanalyzer", "Access Analyzer", "access-analysis", "access-analyzer/home", members=(),
        members_beyond_spec=(ANALYZER,),
    ),
)
