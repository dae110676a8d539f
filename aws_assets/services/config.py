"""AWS Config rules of one region: what each rule checks, on which resources, how often, and what it found.

Calls per account and region: config:DescribeConfigRules, paginated (one call per 25 rules); then per rule,
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
    integer,
    json_text,
    string,
    strings,
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

SERVICE = Service(
    name="config",
    title="Config",
    scope=Scope.REGION,
    entity_types=(CONFIG_RULE,),
    entity=ServiceEntity("aws_config", "Config", "compliance", "config/home", members=(CONFIG_RULE,)),
)
