"""Findings in the formats other tools read: OCSF Detection Finding (class 2004, schema 1.5.0 with the cloud
profile), the AWS Security Finding Format (ASFF, what Security Hub's BatchImportFindings takes), and flat records
for CSV and JSON. Pure: a finding, its rule and when it was observed in, a document out.

No secret leaves: `sts:ExternalId` values in the evidence are redacted wherever they appear, in a policy held as an
object or as JSON text (the collector already redacts trust policies; a document read from elsewhere might not be)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aws_assets.analysis.cis import CONTROLS_BY_ID, FRAMEWORK_V3, FRAMEWORK_V4
from aws_assets.analysis.rules.model import Finding, Rule, json_default

OCSF_VERSION = "1.5.0"
ASFF_SCHEMA_VERSION = "2018-10-08"
PRODUCT = "aws-assets"
REDACTED = "<redacted>"
CIS_V4_NAME = "CIS AWS Foundations Benchmark v4.0.1"
CIS_V3_NAME = "CIS AWS Foundations Benchmark v3.0.0"
_EXTERNAL_ID = "sts:externalid"
# An ExternalId in text that is not JSON: the value (a string or a list of strings) after the key.
_EXTERNAL_ID_TEXT = re.compile(r'("sts:ExternalId"\s*:\s*)("(?:[^"\\]|\\.)*"|\[[^\]]*\])', re.IGNORECASE)
_OCSF_SEVERITY = {"low": (2, "Low"), "medium": (3, "Medium"), "high": (4, "High"), "critical": (5, "Critical")}
# Security Hub's resource types (ASFF `Resources[].Type`) of the entity types findings are about; others are Other.
ASFF_RESOURCE_TYPES = {
    "aws_account": "AwsAccount", "aws_iam_role": "AwsIamRole", "aws_iam_user": "AwsIamUser",
    "aws_iam_group": "AwsIamGroup", "aws_iam_policy": "AwsIamPolicy", "aws_iam_access_key": "AwsIamAccessKey",
    "aws_s3_bucket": "AwsS3Bucket", "aws_security_group": "AwsEc2SecurityGroup", "aws_instance": "AwsEc2Instance",
    "aws_ebs_volume": "AwsEc2Volume", "aws_subnet": "AwsEc2Subnet", "aws_vpc": "AwsEc2Vpc",
    "aws_db_instance": "AwsRdsDbInstance", "aws_rds_cluster": "AwsRdsDbCluster",
    "aws_dynamodb_table": "AwsDynamoDbTable", "aws_kms_key": "AwsKmsKey", "aws_lambda_function": "AwsLambdaFunction",
    "aws_api_gateway_rest_api": "AwsApiGatewayRestApi", "aws_sqs_queue": "AwsSqsQueue",
    "aws_sns_topic": "AwsSnsTopic", "aws_secretsmanager_secret": "AwsSecretsManagerSecret",
    "aws_ecr_repository": "AwsEcrRepository",
}
# ASFF field limits (Security Hub's BatchImportFindings): longer values are refused.
_ASFF_TITLE, _ASFF_DESCRIPTION, _ASFF_RECOMMENDATION, _ASFF_PRODUCT_FIELD = 256, 1024, 512, 2048


def redact(value: Any) -> Any:
    """`value` with every `sts:ExternalId` condition value replaced by <redacted>."""
    if isinstance(value, Mapping):
        return {key: REDACTED if str(key).lower() == _EXTERNAL_ID else redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str) and _EXTERNAL_ID in value.lower():
        try:
            decoded = json.loads(value)
        except ValueError:
            return _EXTERNAL_ID_TEXT.sub(lambda m: f'{m.group(1)}"{REDACTED}"', value)
        return json.dumps(redact(decoded), sort_keys=True)
    return value


def controls(rule: Rule | None) -> dict[str, list[str]]:
    """Framework -> the control IDs the rule checks in it."""
    cis = rule.cis if rule else ()
    v3 = [CONTROLS_BY_ID[c].id_in(FRAMEWORK_V3) for c in cis]
    return {FRAMEWORK_V4: list(cis), FRAMEWORK_V3: [c for c in v3 if c]}


RECORD_FIELDS = ("findingId", "ruleId", "severity", "title", "accountId", "region", "resourceType", "resourceKey",
                 FRAMEWORK_V4, FRAMEWORK_V3, "observedAt", "description", "remediation", "evidence")


def record(finding: Finding, rule: Rule | None, observed_at: datetime) -> dict[str, Any]:
    """The finding as one flat record (JSON and CSV): the lake's row with the rule's text and controls."""
    mapped = controls(rule)
    return {
        "findingId": finding.finding_id, "ruleId": finding.rule_id, "severity": finding.severity,
        "title": finding.title, "accountId": finding.account_id, "region": finding.region,
        "resourceType": finding.resource_type, "resourceKey": finding.resource_key,
        FRAMEWORK_V4: " ".join(mapped[FRAMEWORK_V4]), FRAMEWORK_V3: " ".join(mapped[FRAMEWORK_V3]),
        "observedAt": observed_at.isoformat(),
        "description": rule.description if rule else "", "remediation": rule.remediation if rule else "",
        "evidence": json.dumps(redact(finding.evidence), sort_keys=True, default=json_default),
    }


def _milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def to_ocsf(finding: Finding, rule: Rule | None, observed_at: datetime, product_version: str) -> dict[str, Any]:
    """An OCSF 1.5.0 Detection Finding (class 2004), activity Create, with the cloud profile."""
    severity_id, severity = _OCSF_SEVERITY[finding.severity]
    cloud: dict[str, Any] = {"provider": "AWS", "account": {"uid": finding.account_id, "type_id": 10,
                                                             "type": "AWS Account"}}
    resource: dict[str, Any] = {"uid": finding.resource_key, "type": finding.resource_type, "cloud_partition": "aws"}
    if finding.region != "global":
        cloud["region"] = resource["region"] = finding.region
    time = _milliseconds(observed_at)
    return {
        "activity_id": 1, "activity_name": "Create",
        "category_uid": 2, "category_name": "Findings",
        "class_uid": 2004, "class_name": "Detection Finding",
        "type_uid": 200401, "type_name": "Detection Finding: Create",
        "severity_id": severity_id, "severity": severity,
        "status_id": 1, "status": "New",
        "time": time,
        "message": finding.title,
        "finding_info": {
            "uid": finding.finding_id, "title": finding.title, "desc": rule.description if rule else finding.title,
            "created_time": time, "types": [finding.rule_id],
            "analytic": {"uid": finding.rule_id, "name": finding.title, "type_id": 1, "type": "Rule"},
        },
        "metadata": {"version": OCSF_VERSION, "profiles": ["cloud"],
                     "product": {"name": PRODUCT, "vendor_name": PRODUCT, "version": product_version}},
        "cloud": cloud,
        "resources": [resource],
        "evidences": [{"data": redact(json.loads(json.dumps(finding.evidence, default=json_default)))}],
        "remediation": {"desc": rule.remediation if rule and rule.remediation else finding.title},
        "unmapped": {"compliance": controls(rule)},
    }


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_asff(finding: Finding, rule: Rule | None, observed_at: datetime, home_region: str) -> dict[str, Any]:
    """An ASFF finding of this account's own product (`product/<account>/default`, which Security Hub accepts from
    the account). An account-wide finding (region `global`) is filed in `home_region`."""
    region = home_region if finding.region == "global" else finding.region
    account = finding.account_id
    when = observed_at.isoformat().replace("+00:00", "Z")
    mapped = controls(rule)
    types = ["Software and Configuration Checks/AWS Security Best Practices"]
    out: dict[str, Any] = {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": f"{PRODUCT}/{finding.finding_id}",
        "ProductArn": f"arn:aws:securityhub:{region}:{account}:product/{account}/default",
        "ProductName": PRODUCT,
        "GeneratorId": f"{PRODUCT}/{finding.rule_id}",
        "AwsAccountId": account,
        "Region": region,
        "Types": types,
        "CreatedAt": when, "UpdatedAt": when, "FirstObservedAt": when, "LastObservedAt": when,
        "Severity": {"Label": finding.severity.upper(), "Original": finding.severity},
        "Title": _fit(finding.title, _ASFF_TITLE),
        "Description": _fit(rule.description if rule else finding.title, _ASFF_DESCRIPTION),
        "Resources": [{"Type": ASFF_RESOURCE_TYPES.get(finding.resource_type, "Other"),
                       "Id": finding.resource_key, "Partition": "aws", "Region": region}],
        "ProductFields": {
            f"{PRODUCT}/ruleId": finding.rule_id, f"{PRODUCT}/resourceType": finding.resource_type,
            f"{PRODUCT}/evidence": _fit(json.dumps(redact(finding.evidence), sort_keys=True, default=json_default),
                                        _ASFF_PRODUCT_FIELD),
        },
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }
    if rule and rule.remediation:
        out["Remediation"] = {"Recommendation": {"Text": _fit(rule.remediation, _ASFF_RECOMMENDATION)}}
    if mapped[FRAMEWORK_V4]:
        types.append("Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations "
                     "Benchmark")
        out["Compliance"] = {"Status": "FAILED", "RelatedRequirements": [
            *(f"{CIS_V4_NAME}/{c}" for c in mapped[FRAMEWORK_V4]),
            *(f"{CIS_V3_NAME}/{c}" for c in mapped[FRAMEWORK_V3])]}
    return out
