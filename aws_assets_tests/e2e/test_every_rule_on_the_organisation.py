"""Every rule on the synced simulated organisation: each fires on a resource of the estate (aws_assets/sim/estate/)
and spares another resource of the same type, so that a rule that stopped firing, or started firing on everything,
fails here. Which resources fire and which near misses are spared: test_findings_of_the_organisation.py,
test_posture_of_the_organisation.py and test_logging_findings_of_the_organisation.py."""

from __future__ import annotations

from aws_assets.analysis.findings import RULES

# The rules no estate can make fire, on AWS or on moto, and why. Their unit tests (aws_assets_tests/unit/) hold the
# firing cases; each stays silent here, and an exemption whose rule fires fails the test below.
CANNOT_FIRE = {
    # AWS has encrypted every DynamoDB table at rest since November 2018 (with an AWS owned key unless another is
    # chosen), and the collector records every table so: the rule holds the line should that change.
    "AWS-DYNAMODB-001": "AWS encrypts every table",
    # IAM refuses to store a trust or identity policy outside its grammar (CreateRole, UpdateAssumeRolePolicy,
    # CreatePolicy and the Put*Policy calls answer MalformedPolicyDocument): these rules guard against a document the
    # analysis reads less well than IAM does. moto validates less (it stores a trust policy with an unknown Effect or
    # principal type, and an identity policy naming a Principal), but an estate holding one is no AWS account's.
    "AWS-IAM-003": "IAM refuses a malformed trust policy",
    "AWS-IAM-008": "IAM refuses a malformed identity policy",
}


def fired(sql) -> dict[str, int]:
    return dict(sql("SELECT ruleId, count(*) FROM findings GROUP BY ruleId"))


def test_every_rule_fires_on_the_organisation_except_those_no_estate_can_fire(sql):
    counts = fired(sql)
    assert {rule.id for rule in RULES if rule.id not in counts} == set(CANNOT_FIRE)
    assert set(CANNOT_FIRE) <= {rule.id for rule in RULES}


def test_every_rule_spares_a_resource_of_each_type_it_flags(sql):
    flagged_types = sql("SELECT DISTINCT ruleId, resourceType FROM findings ORDER BY ruleId, resourceType")
    unspared = []
    for rule_id, resource_type in flagged_types:
        [(spared,)] = sql(
            f"SELECT count(*) FROM {resource_type} WHERE _key NOT IN "  # noqa: S608 - the lake's own type names
            "(SELECT resourceKey FROM findings WHERE ruleId = ?)", rule_id)
        if not spared:
            unspared.append((rule_id, resource_type))
    assert not unspared, "; ".join(f"{rule} spares no {kind}" for rule, kind in unspared)
