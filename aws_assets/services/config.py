"""AWS Config of one region: its configuration recorder and delivery channel, and its rules: what each rule
checks, on which resources, how often, and what it found.

Calls per account and region: config:DescribeConfigurationRecorders, config:DescribeConfigurationRecorderStatus and
config:DescribeDeliveryChannels (none paginated: AWS allows one customer recorder and one channel per region, plus
service-linked recorders); config:DescribeConfigRules, paginated (one call per 25 rules); then per rule,
concurrently, config:GetComplianceDetailsByConfigRule, paginated (one call per 100 evaluation results). Tags are not
collected: DescribeConfigRules does not return them, and a ListTagsForResource per rule would cost another call per
rule for little use.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from aws_assets.aws.partition import DetailCalls, PartitionCollection
from aws_assets.model.entity import (
    Column,
    EntityType,
    Scope,
    Service,
    ServiceEntity,
    boolean,
    integer,
    json_text,
    string,
    strings,
    timestamp,
)
from aws_assets.services.common import console_link

# Every compliance type GetComplianceDetailsByConfigRule can filter on. INSUFFICIENT_DATA cannot be asked for: AWS
# reports it for a rule that could not evaluate, not for a resource.
COMPLIANCE_TYPES = ("COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE")
# The largest page the call accepts; AWS's default is 10.
EVALUATION_PAGE_SIZE = 100
NEVER = datetime.min.replace(tzinfo=UTC)  # orders a result without a recorded time before every other

EVALUATION = pa.struct(
    [
        ("resourceType", pa.string()),
        ("resourceId", pa.string()),
        ("complianceType", pa.string()),
        ("resultRecordedTime", pa.timestamp("us", tz="UTC")),
        ("annotation", pa.string()),
    ]
)

# ---- transforms (pure) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleEvaluations:
    """What GetComplianceDetailsByConfigRule answered for one rule; `results` is None when the call failed."""

    results: list[dict[str, Any]] | None = None
    collection_errors: list[str] = field(default_factory=list)


def input_parameters(text: str | None) -> str | None:
    """The rule's parameters as sorted JSON text; AWS stores them as a JSON string, kept as given if it is not JSON."""
    if not text:
        return None
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except json.JSONDecodeError:
        return json.dumps(text)


def evaluation_row(result: dict[str, Any]) -> dict[str, Any]:
    qualifier = result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]
    return {
        "resourceType": qualifier["ResourceType"],
        "resourceId": qualifier["ResourceId"],
        "complianceType": result["ComplianceType"],
        "resultRecordedTime": result.get("ResultRecordedTime"),
        "annotation": result.get("Annotation"),
    }


def latest_per_resource(evaluations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per evaluated resource, the most recently recorded, should AWS answer several for one resource."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for evaluation in evaluations:
        resource = (evaluation["resourceType"], evaluation["resourceId"])
        known = latest.get(resource)
        if known is None or _recorded(evaluation) > _recorded(known):
            latest[resource] = evaluation
    return list(latest.values())


def _recorded(evaluation: dict[str, Any]) -> datetime:
    return evaluation["resultRecordedTime"] or NEVER


def config_rule_rows(
    rules: list[dict[str, Any]], evaluations: list[RuleEvaluations], region: str
) -> list[dict[str, Any]]:
    return [config_rule_row(rule, found, region) for rule, found in zip(rules, evaluations, strict=True)]


def config_rule_row(rule: dict[str, Any], evaluations: RuleEvaluations, region: str) -> dict[str, Any]:
    name = rule["ConfigRuleName"]
    source = rule.get("Source") or {}
    scope = rule.get("Scope") or {}
    source_details = source.get("SourceDetails")
    results = None if evaluations.results is None else [evaluation_row(r) for r in evaluations.results]
    compliance = Counter(e["complianceType"] for e in latest_per_resource(results or []))
    return {
        "_key": rule["ConfigRuleArn"],
        "name": name,
        "arn": rule["ConfigRuleArn"],
        "webLink": console_link(f"config/home#/rules/details?configRuleName={name}", region),
        "createdOn": None,  # DescribeConfigRules does not say
        "tags": {},
        "category": ["compliance"],
        "configRuleName": name,
        "configRuleId": rule.get("ConfigRuleId"),
        "description": rule.get("Description"),
        "state": rule.get("ConfigRuleState"),
        "sourceOwner": source.get("Owner"),
        "sourceIdentifier": source.get("SourceIdentifier"),
        "sourceDetails": json.dumps(source_details, sort_keys=True) if source_details else None,
        "inputParameters": input_parameters(rule.get("InputParameters")),
        "scopeResourceTypes": scope.get("ComplianceResourceTypes", []),
        "scopeResourceId": scope.get("ComplianceResourceId"),
        "scopeTagKey": scope.get("TagKey"),
        "scopeTagValue": scope.get("TagValue"),
        "maximumExecutionFrequency": rule.get("MaximumExecutionFrequency"),
        "createdBy": rule.get("CreatedBy"),
        "evaluations": results,
        "compliantCount": None if results is None else compliance["COMPLIANT"],
        "nonCompliantCount": None if results is None else compliance["NON_COMPLIANT"],
        "collectionErrors": evaluations.collection_errors,
    }


def absent_recorder_key(account_id: str, region: str) -> str:
    return f"aws_config_recorder:{account_id}:{region}"


def recorder_rows(
    recorders: list[dict[str, Any]], statuses: list[dict[str, Any]], account_id: str, region: str
) -> list[dict[str, Any]]:
    """One row per recorder; a region without one is a row too (`present` false), so that "Config records in
    every region" can be checked region by region."""
    link = console_link("config/home#/settings", region)
    if not recorders:
        return [{
            "_key": absent_recorder_key(account_id, region), "name": "(no recorder)", "webLink": link, "tags": {},
            "present": False, "recording": False,
        }]
    status_by_name = {status["name"]: status for status in statuses}
    rows = []
    for recorder in recorders:
        name = recorder["name"]
        group = recorder.get("recordingGroup") or {}
        status = status_by_name.get(name, {})
        rows.append({
            "_key": recorder.get("arn") or f"{absent_recorder_key(account_id, region)}:{name}",
            "name": name,
            "arn": recorder.get("arn"),
            "webLink": link,
            "tags": {},
            "present": True,
            "recording": bool(status.get("recording")),
            "lastStatus": status.get("lastStatus"),
            "lastErrorCode": status.get("lastErrorCode"),
            "lastStartTime": status.get("lastStartTime"),
            "lastStopTime": status.get("lastStopTime"),
            "roleArn": recorder.get("roleARN"),
            # AWS's default recording group, when none is given, records every supported type
            "allSupported": group.get("allSupported", True),
            "includeGlobalResourceTypes": group.get("includeGlobalResourceTypes", False),
            "recordingStrategy": (group.get("recordingStrategy") or {}).get("useOnly"),
            "resourceTypes": group.get("resourceTypes", []),
            "recordingFrequency": (recorder.get("recordingMode") or {}).get("recordingFrequency"),
            "servicePrincipal": recorder.get("servicePrincipal"),
        })
    return rows


def delivery_channel_rows(channels: list[dict[str, Any]], account_id: str, region: str) -> list[dict[str, Any]]:
    return [
        {
            # Delivery channels have no ARN; the name is unique in the region.
            "_key": f"aws_config_delivery_channel:{account_id}:{region}:{channel['name']}",
            "name": channel["name"],
            "webLink": console_link("config/home#/settings", region),
            "tags": {},
            "s3BucketName": channel.get("s3BucketName"),
            "s3KeyPrefix": channel.get("s3KeyPrefix"),
            "s3KmsKeyArn": channel.get("s3KmsKeyArn"),
            "snsTopicArn": channel.get("snsTopicARN"),
            "deliveryFrequency": (channel.get("configSnapshotDeliveryProperties") or {}).get("deliveryFrequency"),
        }
        for channel in channels
    ]


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def get_rule_evaluations(aws: PartitionCollection, rule_name: str) -> RuleEvaluations:
    # Any failure (not only a denial) costs the rule's results, not the rule: the inventory of rules stays whole and
    # `collectionErrors` says what is missing.
    calls = DetailCalls(record_any_error=True)
    results: list[dict[str, Any]] | None = calls.get(
        "config:GetComplianceDetailsByConfigRule",
        lambda: aws.paginate(
            "config", "get_compliance_details_by_config_rule", "EvaluationResults",
            ConfigRuleName=rule_name, ComplianceTypes=list(COMPLIANCE_TYPES),
            PaginationConfig={"PageSize": EVALUATION_PAGE_SIZE},
        ),
        # The rule was deleted since DescribeConfigRules listed it: it has no results left.
        "NoSuchConfigRuleException",
        missing=[],
    )
    return RuleEvaluations(results=results, collection_errors=calls.errors)


def collect_config_rules(aws: PartitionCollection) -> list[dict[str, Any]]:
    rules = aws.paginate("config", "describe_config_rules", "ConfigRules")
    evaluations = aws.map_concurrently(lambda rule: get_rule_evaluations(aws, rule["ConfigRuleName"]), rules)
    return config_rule_rows(rules, evaluations, aws.region)


def collect_recorders(aws: PartitionCollection) -> list[dict[str, Any]]:
    config = aws.client("config")
    recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
    statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"] if recorders else []
    return recorder_rows(recorders, statuses, aws.account_id, aws.region)


def collect_delivery_channels(aws: PartitionCollection) -> list[dict[str, Any]]:
    channels = aws.client("config").describe_delivery_channels()["DeliveryChannels"]
    return delivery_channel_rows(channels, aws.account_id, aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

CONFIG_RULE = EntityType(
    type="aws_config_rule",
    classes=("ControlPolicy",),
    description="AWS Config rules: the control each rule evaluates, who provides it, which resources it covers, and "
    "its latest result for each resource it evaluated.",
    columns=(
        string("configRuleName", "Rule name"),
        string("configRuleId", "Rule ID"),
        string("description", "What the rule checks"),
        string("state", "ACTIVE, EVALUATING, DELETING or DELETING_RESULTS; only ACTIVE rules evaluate"),
        string(
            "sourceOwner",
            "Who implements the check: AWS (managed rule), CUSTOM_LAMBDA (a Lambda function in the account) or "
            "CUSTOM_POLICY (a Guard policy)",
        ),
        string(
            "sourceIdentifier",
            "The managed rule's identifier (e.g. S3_BUCKET_VERSIONING_ENABLED) or the custom rule's Lambda "
            "function ARN",
        ),
        json_text("sourceDetails", "What triggers evaluations: configuration changes or a schedule"),
        json_text("inputParameters", "Parameters given to the rule, e.g. a maximum key age"),
        strings(
            "scopeResourceTypes",
            "Resource types the rule evaluates, e.g. AWS::S3::Bucket; empty: not restricted by type",
        ),
        string("scopeResourceId", "The single resource the rule evaluates, if restricted to one"),
        string("scopeTagKey", "Tag key a resource needs to be evaluated, if the rule is scoped by tag"),
        string("scopeTagValue", "Tag value a resource needs to be evaluated, with scopeTagKey"),
        string("maximumExecutionFrequency", "How often a periodic rule runs, e.g. TwentyFour_Hours"),
        string("createdBy", "Service that created the rule for you (e.g. securityhub.amazonaws.com), if any"),
        Column(
            "evaluations",
            pa.list_(EVALUATION),
            "The rule's evaluation results as AWS Config reports them: the resource (`resourceType` such as "
            "AWS::EC2::Instance and `resourceId`, AWS Config's identifier of it: an instance ID, a bucket name, an "
            "IAM user's AIDA... ID), `complianceType` (COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE), "
            "`resultRecordedTime` and the rule's `annotation`; null when they could not be read",
        ),
        integer(
            "compliantCount", "Resources whose latest result is COMPLIANT; null when the results could not be read"
        ),
        integer(
            "nonCompliantCount",
            "Resources whose latest result is NON_COMPLIANT; null when the results could not be read",
        ),
        strings(
            "collectionErrors",
            "Calls that failed, e.g. `config:GetComplianceDetailsByConfigRule: AccessDeniedException`",
        ),
    ),
    collect=collect_config_rules,
    console="Config > Rules",
)

CONFIG_RECORDER = EntityType(
    type="aws_config_recorder",
    classes=("Configuration",),
    description="AWS Config configuration recorders, one row per recorder and one for a region that has none: "
    "whether Config records, what it records (every supported type, global resources such as IAM) and with which "
    "role.",
    columns=(
        boolean("present", "Whether the region has a recorder; false on the row of a region without one"),
        boolean("recording", "Whether the recorder is recording now"),
        string("lastStatus", "Status of the last recording: PENDING, SUCCESS or FAILURE"),
        string("lastErrorCode", "Error code of the last failed recording"),
        timestamp("lastStartTime", "When the recorder last started"),
        timestamp("lastStopTime", "When the recorder last stopped"),
        string("roleArn", "Role AWS Config assumes to describe the resources (aws_iam_role)"),
        boolean("allSupported", "Whether every supported resource type is recorded, including future ones"),
        boolean("includeGlobalResourceTypes", "Whether global resources (IAM users, groups, roles, policies) are "
                "recorded"),
        string("recordingStrategy", "ALL_SUPPORTED_RESOURCE_TYPES, INCLUSION_BY_RESOURCE_TYPES or "
               "EXCLUSION_BY_RESOURCE_TYPES"),
        strings("resourceTypes", "Resource types recorded, when the recorder names them"),
        string("recordingFrequency", "CONTINUOUS or DAILY"),
        string("servicePrincipal", "The service a service-linked recorder records for; empty for the customer's"),
    ),
    collect=collect_recorders,
    console="Config > Settings > Recorder",
)

CONFIG_DELIVERY_CHANNEL = EntityType(
    type="aws_config_delivery_channel",
    classes=("Configuration",),
    description="AWS Config delivery channels: the S3 bucket that receives configuration snapshots and history, "
    "and the SNS topic notified.",
    columns=(
        string("s3BucketName", "Bucket receiving configuration snapshots and history (aws_s3_bucket)"),
        string("s3KeyPrefix", "Key prefix in the bucket"),
        string("s3KmsKeyArn", "KMS key encrypting the delivered objects"),
        string("snsTopicArn", "SNS topic notified of configuration changes (aws_sns_topic)"),
        string("deliveryFrequency", "How often configuration snapshots are delivered, e.g. TwentyFour_Hours"),
    ),
    collect=collect_delivery_channels,
    console="Config > Settings > Delivery channel",
)

SERVICE = Service(
    name="config",
    title="Config",
    scope=Scope.REGION,
    entity_types=(CONFIG_RULE, CONFIG_RECORDER, CONFIG_DELIVERY_CHANNEL),
    entity=ServiceEntity(
        "aws_config", "Config", "compliance", "config/home", members=(CONFIG_RULE,),
        members_beyond_spec=(CONFIG_RECORDER, CONFIG_DELIVERY_CHANNEL),
    ),
)
