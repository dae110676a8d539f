"""`aws_config_rule EVALUATES <resource>`: the resources an AWS Config rule evaluated, with its latest result.

The edges come from the rule's `evaluations` column (GetComplianceDetailsByConfigRule). AWS Config names a resource
by its type and its own identifier, which is not our `_key`: each target type says which column holds that identifier
and where the resource may live relative to the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_assets.model.entity import string, timestamp
from aws_assets.model.relationship import RelationshipType

PROPERTIES = (
    string("complianceType", "The rule's latest result for the resource: COMPLIANT, NON_COMPLIANT or NOT_APPLICABLE"),
    timestamp("resultRecordedTime", "When AWS Config recorded that result"),
    string("annotation", "What the rule said about the resource, e.g. why it is not compliant"),
)


@dataclass(frozen=True)
class EvaluatedType:
    """How AWS Config's identifier of one resource type finds our entity."""

    config_type: str  # AWS Config's resource type, e.g. AWS::EC2::Instance
    entity_type: str
    id_column: str  # the entity column holding AWS Config's resource ID
    same_region: bool  # regional resources are evaluated by the rules of their region; global ones by any region's


EVALUATED_TYPES = (
    EvaluatedType("AWS::::Account", "aws_account", "accountId", same_region=False),
    EvaluatedType("AWS::EC2::Instance", "aws_instance", "instanceId", same_region=True),
    EvaluatedType("AWS::EC2::SecurityGroup", "aws_security_group", "groupId", same_region=True),
    EvaluatedType("AWS::EC2::Volume", "aws_ebs_volume", "volumeId", same_region=True),
    # AWS Config identifies IAM principals by their unique IDs (AIDA..., AGPA..., AROA...), not by name or ARN.
    EvaluatedType("AWS::IAM::User", "aws_iam_user", "userId", same_region=False),
    EvaluatedType("AWS::IAM::Group", "aws_iam_group", "groupId", same_region=False),
    EvaluatedType("AWS::IAM::Role", "aws_iam_role", "roleId", same_region=False),
    # A bucket is evaluated by the rules of the region it is in; our bucket rows carry that region, but the name is
    # unique in the account whatever the region, so the name alone finds it.
    EvaluatedType("AWS::S3::Bucket", "aws_s3_bucket", "bucketName", same_region=False),
)


def rule_evaluates(evaluated: EvaluatedType) -> RelationshipType:
    region = " AND e.region = r.region" if evaluated.same_region else ""
    return RelationshipType(
        "aws_config_rule", "EVALUATES", evaluated.entity_type,
        f"The rule evaluated the {evaluated.entity_type} ({evaluated.config_type} in AWS Config, identified by "
        f"`{evaluated.id_column}`); the edge carries the rule's latest result for it.",
        # Unnesting yields one row per result; should AWS report several for one resource, the latest one counts.
        "SELECT r._key AS _fromEntityKey, e._key AS _toEntityKey, r.accountId, "
        "t.result.complianceType, t.result.resultRecordedTime, t.result.annotation "
        "FROM aws_config_rule r, unnest(r.evaluations) AS t(result) "
        f"JOIN {evaluated.entity_type} e ON e.accountId = r.accountId{region} "
        f"AND e.{evaluated.id_column} = t.result.resourceId "
        f"WHERE t.result.resourceType = '{evaluated.config_type}' "
        "QUALIFY row_number() OVER (PARTITION BY r._key, e._key "
        "ORDER BY t.result.resultRecordedTime DESC NULLS LAST) = 1",
        properties=PROPERTIES,
    )


RELATIONSHIPS = tuple(rule_evaluates(evaluated) for evaluated in EVALUATED_TYPES)
