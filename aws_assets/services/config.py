"""AWS Config rules of one region: what each rule checks, on which resources, and how often.

Calls per account and region: config:DescribeConfigRules, paginated (one call per 25 rules). Compliance results
are not collected here. Tags are not either: DescribeConfigRules does not return them, and a ListTagsForResource
per rule would be the only detail call of the service.
"""

from __future__ import annotations

import json
from typing import Any

from aws_assets.aws.partition import PartitionCollection
from aws_assets.entity import EntityType, Scope, Service, json_text, string, strings
from aws_assets.services.common import console_link

# ---- transforms (pure) -------------------------------------------------------------------------------------------


def input_parameters(text: str | None) -> str | None:
    """The rule's parameters as sorted JSON text; AWS stores them as a JSON string, kept as given if it is not JSON."""
    if not text:
        return None
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except json.JSONDecodeError:
        return json.dumps(text)


def config_rule_rows(rules: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    return [config_rule_row(rule, region) for rule in rules]


def config_rule_row(rule: dict[str, Any], region: str) -> dict[str, Any]:
    name = rule["ConfigRuleName"]
    source = rule.get("Source") or {}
    scope = rule.get("Scope") or {}
    source_details = source.get("SourceDetails")
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
    }


# ---- collectors (I/O) --------------------------------------------------------------------------------------------


def collect_config_rules(aws: PartitionCollection) -> list[dict[str, Any]]:
    return config_rule_rows(aws.paginate("config", "describe_config_rules", "ConfigRules"), aws.region)


# ---- declarations ------------------------------------------------------------------------------------------------

CONFIG_RULE = EntityType(
    type="aws_config_rule",
    classes=("ControlPolicy",),
    description="AWS Config rules: the control each rule evaluates, who provides it, and which resources it covers.",
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
    ),
    collect=collect_config_rules,
    console="Config > Rules",
)

SERVICE = Service(name="config", title="Config", scope=Scope.REGION, entity_types=(CONFIG_RULE,))
