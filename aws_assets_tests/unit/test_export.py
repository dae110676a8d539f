"""Findings exported as OCSF Detection Findings and ASFF, validated against the published schemas shipped in
aws_assets_tests/data (OCSF 1.5.0 detection_finding with the cloud profile, as schema.ocsf.io exports it; ASFF as
the Security Hub API model defines AwsSecurityFinding), and no ExternalId in any output."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import jsonschema
import pytest

from aws_assets.analysis.export import REDACTED, record, redact, to_asff, to_ocsf
from aws_assets.analysis.findings import RULES, Finding
from aws_assets_tests.conftest import REPO

DATA = REPO / "aws_assets_tests" / "data"


def validator(path: str) -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / path).read_text())
    kind = jsonschema.validators.validator_for(schema)
    kind.check_schema(schema)
    return kind(schema)


NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ACCOUNT = "111111111111"
SECRET = "vendor-secret-42"
RULE_BY_ID = {rule.id: rule for rule in RULES}

TRUST_DOCUMENT = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                                 "Action": "sts:AssumeRole",
                                 "Condition": {"StringEquals": {"sts:ExternalId": SECRET}}}]}
FINDINGS = [
    Finding("AWS-IAM-003", "medium", "Role trust policy the analysis cannot read", "aws_iam_role", ACCOUNT, "global",
            f"arn:aws:iam::{ACCOUNT}:role/vendor",
            {"trustPolicy": json.dumps(TRUST_DOCUMENT), "statements": TRUST_DOCUMENT["Statement"],
             "text": 'not json: "sts:ExternalId": ["' + SECRET + '"] ...'}),
    Finding("AWS-EC2-001", "high", RULE_BY_ID["AWS-EC2-001"].title, "aws_security_group", ACCOUNT, "eu-west-1",
            "arn:aws:ec2:eu-west-1:111111111111:security-group/sg-1", {"openRules": [{"source": "0.0.0.0/0"}]}),
    Finding("AWS-S3-003", "medium", RULE_BY_ID["AWS-S3-003"].title, "aws_s3_bucket", ACCOUNT, "eu-west-1",
            "arn:aws:s3:::b", {"hasPolicy": False, "seen": NOW}),
]


# Checked against their meta-schemas on first use, not when the module is imported: a second per xdist worker.
@pytest.fixture(scope="module")
def ocsf_validator() -> jsonschema.protocols.Validator:
    return validator("ocsf/detection_finding-1.5.0-cloud.schema.json")


@pytest.fixture(scope="module")
def asff_validator() -> jsonschema.protocols.Validator:
    return validator("asff/AwsSecurityFinding.schema.json")


@pytest.mark.parametrize("finding", FINDINGS, ids=[f.rule_id for f in FINDINGS])
def test_an_ocsf_finding_is_a_valid_detection_finding(ocsf_validator, finding):
    document = to_ocsf(finding, RULE_BY_ID[finding.rule_id], NOW, "1.0")
    ocsf_validator.validate(document)
    assert (document["class_uid"], document["type_uid"], document["metadata"]["version"]) == (2004, 200401, "1.5.0")
    assert document["finding_info"]["uid"] == finding.finding_id
    assert document["cloud"]["account"]["uid"] == ACCOUNT
    assert document["time"] == int(NOW.timestamp() * 1000)


@pytest.mark.parametrize("finding", FINDINGS, ids=[f.rule_id for f in FINDINGS])
def test_an_asff_finding_is_a_valid_security_hub_finding(asff_validator, finding):
    document = to_asff(finding, RULE_BY_ID[finding.rule_id], NOW, "us-east-1")
    asff_validator.validate(document)
    assert document["ProductArn"].endswith(f":{ACCOUNT}:product/{ACCOUNT}/default")
    assert document["CreatedAt"] == "2026-12-01T09:30:00Z"


def test_a_schema_refuses_what_it_should(ocsf_validator, asff_validator):
    """The shipped schemas are strict: a test that validates would fail on a malformed finding."""
    document = to_ocsf(FINDINGS[1], RULE_BY_ID["AWS-EC2-001"], NOW, "1.0")
    with pytest.raises(jsonschema.ValidationError):
        ocsf_validator.validate({**document, "class_uid": 2003})
    with pytest.raises(jsonschema.ValidationError):
        ocsf_validator.validate({**document, "findings": []})
    asff = to_asff(FINDINGS[1], RULE_BY_ID["AWS-EC2-001"], NOW, "us-east-1")
    with pytest.raises(jsonschema.ValidationError):
        asff_validator.validate({**asff, "Severity": {"Label": "SEVERE"}})
    with pytest.raises(jsonschema.ValidationError):
        asff_validator.validate({k: v for k, v in asff.items() if k != "Resources"})


def test_cis_controls_travel_with_the_finding():
    asff = to_asff(FINDINGS[1], RULE_BY_ID["AWS-EC2-001"], NOW, "us-east-1")
    assert asff["Compliance"] == {"Status": "FAILED", "RelatedRequirements": [
        "CIS AWS Foundations Benchmark v4.0.1/5.3", "CIS AWS Foundations Benchmark v4.0.1/5.4",
        "CIS AWS Foundations Benchmark v3.0.0/5.2", "CIS AWS Foundations Benchmark v3.0.0/5.3"]}
    assert to_ocsf(FINDINGS[1], RULE_BY_ID["AWS-EC2-001"], NOW, "1")["unmapped"]["compliance"] == {
        "cis-aws-4.0": ["5.3", "5.4"], "cis-aws-3.0": ["5.2", "5.3"]}
    flat = record(FINDINGS[1], RULE_BY_ID["AWS-EC2-001"], NOW)
    assert (flat["cis-aws-4.0"], flat["cis-aws-3.0"]) == ("5.3 5.4", "5.2 5.3")
    assert "Compliance" not in to_asff(FINDINGS[2], replace(RULE_BY_ID["AWS-S3-003"], cis=()), NOW, "us-east-1")


def test_no_external_id_leaves_in_any_format():
    finding = FINDINGS[0]
    rule = RULE_BY_ID[finding.rule_id]
    outputs = [to_ocsf(finding, rule, NOW, "1"), to_asff(finding, rule, NOW, "us-east-1"), record(finding, rule, NOW)]
    for output in outputs:
        text = json.dumps(output)
        assert SECRET not in text
        assert REDACTED in text
    # The evidence keeps its shape: only the value is replaced.
    assert redact(TRUST_DOCUMENT)["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": REDACTED}}
    assert json.loads(redact(json.dumps(TRUST_DOCUMENT)))["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::999999999999:root"}
    assert redact({"sts:externalid": ["a", "b"], "other": "kept"}) == {"sts:externalid": REDACTED, "other": "kept"}
