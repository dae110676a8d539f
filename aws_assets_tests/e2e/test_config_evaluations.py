"""`aws_config_rule EVALUATES <resource>` on the synced simulated organisation.

The simulated organisation's Config rules report results for the resources the module docstring of
aws_assets/sim/organisation.py describes; the expected edges below follow from that estate (which bucket is public,
which group opens SSH to the internet, who has MFA), and cross-check the edges against properties other collectors
read independently (public IPs, volume encryption, MFA devices).
"""

from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from aws_assets.relationships.config import EVALUATED_TYPES
from aws_assets.sim.accounts import ACCOUNTS as SIMULATED_ACCOUNTS
from aws_assets.sim.accounts import REGIONS
from aws_assets.sim.estate.config import REGIONS_WITHOUT_CONFIG
from aws_assets.sim.organisation import start_moto_server
from aws_assets_tests.conftest import DEV, PROD, SHARED

US, EU, AP = "us-east-1", "eu-west-1", "ap-southeast-2"
EDGE_TYPES = {
    evaluated.entity_type: f"aws_config_rule_evaluates_{evaluated.entity_type.removeprefix('aws_')}"
    for evaluated in EVALUATED_TYPES
}
# Config is on everywhere but in dev ap-southeast-2.
CONFIG_REGIONS = {(account, region) for account in SIMULATED_ACCOUNTS for region in REGIONS} - REGIONS_WITHOUT_CONFIG


def edges_of(sql, entity_type: str, rule_name: str, name_column: str) -> set[tuple]:
    """(account, rule region, resource region, resource name, complianceType) of one rule's edges to one type."""
    return set(sql(
        f"SELECT r.accountId, r.region, e.region, e.{name_column}, x.complianceType "
        f"FROM {EDGE_TYPES[entity_type]} x JOIN aws_config_rule r ON r._key = x._fromEntityKey "
        f"JOIN {entity_type} e ON e._key = x._toEntityKey WHERE r.configRuleName = ?",
        rule_name,
    ))


def test_public_buckets_fail_the_public_read_rule_of_their_region(sql):
    prod = {edge for edge in edges_of(sql, "aws_s3_bucket", "s3-bucket-public-read-prohibited", "bucketName")
            if edge[0] == PROD}

    # Each regional rule evaluates the buckets of its region: website is in eu-west-1, public-downloads in
    # ap-southeast-2, the archives round-robin over the regions.
    assert prod == {
        (PROD, US, US, "acme-prod-access-logs", "COMPLIANT"),
        (PROD, US, US, "acme-prod-customer-data", "COMPLIANT"),
        (PROD, US, US, "acme-prod-archive-01", "COMPLIANT"),
        (PROD, EU, EU, "acme-prod-website", "NON_COMPLIANT"),
        (PROD, EU, EU, "acme-prod-archive-02", "COMPLIANT"),
        (PROD, AP, AP, "acme-prod-public-downloads", "NON_COMPLIANT"),
        (PROD, AP, AP, "acme-prod-archive-03", "COMPLIANT"),
    }
    annotations = sql(
        f"SELECT b.bucketName, x.annotation FROM {EDGE_TYPES['aws_s3_bucket']} x "
        "JOIN aws_s3_bucket b ON b._key = x._toEntityKey WHERE x.accountId = ? AND x.complianceType = 'NON_COMPLIANT' "
        "ORDER BY ALL",
        PROD,
    )
    assert annotations == [
        ("acme-prod-public-downloads", "The bucket ACL grants public read access"),
        ("acme-prod-website", "The bucket policy allows public read access"),
    ]


def test_no_rule_evaluates_what_lies_where_config_is_off(sql):
    dev_buckets = {edge[3] for edge in edges_of(sql, "aws_s3_bucket", "s3-bucket-public-read-prohibited",
                                                 "bucketName") if edge[0] == DEV}

    assert dev_buckets == {"acme-dev-access-logs", "acme-dev-customer-data", "acme-dev-archive-01",
                           "acme-dev-website"}  # not acme-dev-public-downloads, in ap-southeast-2
    assert sql(f"SELECT count(*) FROM {EDGE_TYPES['aws_instance']} x JOIN aws_instance i ON i._key = x._toEntityKey "
               "WHERE i.accountId = ? AND i.region = ?", DEV, AP) == [(0,)]


def test_groups_open_to_ssh_from_the_internet_fail_restricted_incoming_traffic(sql):
    failing = {edge for edge in edges_of(sql, "aws_security_group", "restricted-incoming-traffic", "groupName")
               if edge[4] == "NON_COMPLIANT"}

    envs = SIMULATED_ACCOUNTS
    assert failing == {
        (account, region, region, f"{envs[account]}-bastion-ssh", "NON_COMPLIANT")
        for account, region in CONFIG_REGIONS
    }
    assert sql(f"SELECT DISTINCT annotation FROM {EDGE_TYPES['aws_security_group']} "
               "WHERE complianceType = 'NON_COMPLIANT'") == [("TCP port 22 open to the internet",)]


def test_every_instance_and_volume_where_config_is_on_has_the_result_its_properties_imply(sql):
    instances = sql(
        f"SELECT i.accountId, i.region, i.publicIpAddress IS NOT NULL, x.complianceType, r.region "
        f"FROM aws_instance i LEFT JOIN {EDGE_TYPES['aws_instance']} x ON x._toEntityKey = i._key "
        "LEFT JOIN aws_config_rule r ON r._key = x._fromEntityKey"
    )
    volumes = sql(
        f"SELECT v.accountId, v.region, len(v.attachedInstanceIds) > 0, v.encrypted, x.complianceType, r.region "
        f"FROM aws_ebs_volume v LEFT JOIN {EDGE_TYPES['aws_ebs_volume']} x ON x._toEntityKey = v._key "
        "LEFT JOIN aws_config_rule r ON r._key = x._fromEntityKey"
    )

    for account, region, public, compliance, rule_region in instances:
        if (account, region) in CONFIG_REGIONS:
            assert (compliance, rule_region) == ("NON_COMPLIANT" if public else "COMPLIANT", region)
        else:
            assert compliance is None
    for account, region, attached, encrypted, compliance, rule_region in volumes:
        if (account, region) in CONFIG_REGIONS:
            expected = "NOT_APPLICABLE" if not attached else "COMPLIANT" if encrypted else "NON_COMPLIANT"
            assert (compliance, rule_region) == (expected, region)
        else:
            assert compliance is None
    # The one unattached volume of the organisation: prod's restored snapshot in us-east-1.
    assert [(a, r) for a, r, attached, *_ in volumes if not attached] == [(PROD, US)]


def test_users_without_mfa_fail_and_match_what_the_iam_collector_saw(sql):
    prod = edges_of(sql, "aws_iam_user", "iam-user-mfa-enabled", "username")
    prod = {(name, compliance) for account, *_, name, compliance in prod if account == PROD}

    assert prod == {
        ("alice", "COMPLIANT"), ("dave", "COMPLIANT"), ("engineer-02", "COMPLIANT"),
        ("bob.smith@example.com", "NON_COMPLIANT"), ("ci-deploy", "NON_COMPLIANT"),
        ("break-glass", "NON_COMPLIANT"), ("engineer-01", "NON_COMPLIANT"), ("engineer-03", "NON_COMPLIANT"),
    }
    disagreements = sql(
        f"SELECT u.accountId, u.username FROM {EDGE_TYPES['aws_iam_user']} x JOIN aws_iam_user u ON u._key = "
        "x._toEntityKey WHERE (x.complianceType = 'COMPLIANT') IS DISTINCT FROM u.mfaEnabled"
    )
    assert disagreements == []


def test_global_rules_evaluate_iam_and_the_account_from_the_home_region(sql):
    groups = {(account, name, compliance) for account, rule_region, _, name, compliance
              in edges_of(sql, "aws_iam_group", "iam-group-has-users-check", "groupName") if rule_region == US}
    assert groups == {(account, name, "COMPLIANT") for account in (PROD, DEV, SHARED)
                      for name in ("admins", "developers")} | {(SHARED, "auditors", "NON_COMPLIANT")}

    compliant_roles = {(account, name) for account, _, _, name, compliance
                       in edges_of(sql, "aws_iam_role", "iam-role-managed-policy-check", "roleName")
                       if compliance == "COMPLIANT"}
    assert compliant_roles == {(account, "admin-escalation") for account in (PROD, DEV, SHARED)}
    assert sql(f"SELECT count(*) FROM {EDGE_TYPES['aws_iam_role']}") == sql("SELECT count(*) FROM aws_iam_role")

    accounts = sql(
        f"SELECT r.region, a.accountId, x.complianceType, x.annotation FROM {EDGE_TYPES['aws_account']} x "
        "JOIN aws_config_rule r ON r._key = x._fromEntityKey JOIN aws_account a ON a._key = x._toEntityKey "
        "WHERE r.configRuleName = 'root-account-mfa-enabled' ORDER BY ALL"
    )
    # prod's and dev's root users have MFA (aws_assets/sim/estate/iam.py), shared's has none.
    assert accounts == [(US, PROD, "COMPLIANT", None), (US, DEV, "COMPLIANT", None),
                        (US, SHARED, "NON_COMPLIANT", "The root user has no MFA device")]
    global_edges = sql(
        "SELECT count(*) FROM relationships x JOIN aws_config_rule r ON r._key = x._fromEntityKey "
        "WHERE x._class = 'EVALUATES' AND x._toEntityType IN ('aws_account', 'aws_iam_user', 'aws_iam_group', "
        "'aws_iam_role') AND r.region <> ?", US,
    )
    assert global_edges == [(0,)]


@pytest.mark.parametrize("entity_type", sorted(EDGE_TYPES))
def test_one_edge_per_rule_and_resource_between_entities_that_exist(sql, entity_type):
    edge_type = EDGE_TYPES[entity_type]

    [(edges, pairs, dangling_rules, dangling_targets, without_time)] = sql(
        f"SELECT count(*), count(DISTINCT (_fromEntityKey, _toEntityKey)), "
        f"count(*) FILTER (WHERE _fromEntityKey NOT IN (SELECT _key FROM aws_config_rule)), "
        f"count(*) FILTER (WHERE _toEntityKey NOT IN (SELECT _key FROM {entity_type})), "
        f"count(*) FILTER (WHERE resultRecordedTime IS NULL) FROM {edge_type}"
    )

    assert edges > 0
    assert (pairs, dangling_rules, dangling_targets, without_time) == (edges, 0, 0, 0)


@pytest.mark.parametrize("evaluated", EVALUATED_TYPES, ids=lambda evaluated: evaluated.config_type)
def test_every_reported_result_became_an_edge(sql, evaluated):
    """The simulated rules only evaluate resources the collectors also found, so no result may be left unmatched."""
    [(results,)] = sql(
        "SELECT count(*) FROM aws_config_rule r, unnest(r.evaluations) AS t(result) "
        "WHERE t.result.resourceType = ?", evaluated.config_type,
    )

    assert results > 0
    assert sql(f"SELECT count(*) FROM {EDGE_TYPES[evaluated.entity_type]}") == [(results,)]


def test_rule_counts_agree_with_their_edges(sql):
    every_edge = " UNION ALL ".join(f"SELECT _fromEntityKey, complianceType FROM {t}" for t in EDGE_TYPES.values())

    counts = sql(
        "SELECT r._key, r.compliantCount, r.nonCompliantCount, count(*) FILTER (WHERE x.complianceType = 'COMPLIANT'), "
        "count(*) FILTER (WHERE x.complianceType = 'NON_COMPLIANT') "
        f"FROM aws_config_rule r LEFT JOIN ({every_edge}) x ON x._fromEntityKey = r._key GROUP BY ALL"
    )

    assert len(counts) == sql("SELECT count(*) FROM aws_config_rule")[0][0]
    assert all((compliant, failing) == (edge_compliant, edge_failing)
               for _, compliant, failing, edge_compliant, edge_failing in counts)
    assert sql("SELECT count(*) FROM aws_config_rule WHERE evaluations IS NULL OR len(collectionErrors) > 0") == [(0,)]


def test_the_simulator_keeps_reported_results_and_pages_them_like_aws(aws_env):
    """The simulated organisation's stand-in for AWS Config (moto answers neither call by itself)."""
    server, endpoint = start_moto_server()
    try:
        client = boto3.client("config", endpoint_url=endpoint, region_name=EU)
        client.put_config_rule(ConfigRule={
            "ConfigRuleName": "simulated-volumes", "Source": {"Owner": "AWS", "SourceIdentifier": "ENCRYPTED_VOLUMES"}
        })
        first, later = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)

        def result(volume_id: str, compliance: str, when: datetime, **annotation: str) -> dict:
            return {"ComplianceResourceType": "AWS::EC2::Volume", "ComplianceResourceId": volume_id,
                    "ComplianceType": compliance, "OrderingTimestamp": when, **annotation}

        client.put_evaluations(ResultToken="simulated-volumes", Evaluations=[
            result("vol-1", "NON_COMPLIANT", first, Annotation="not encrypted"),
            result("vol-2", "COMPLIANT", first),
            result("vol-3", "NOT_APPLICABLE", first),
        ])
        client.put_evaluations(ResultToken="simulated-volumes", Evaluations=[result("vol-1", "COMPLIANT", later)])
        # Test mode validates without storing, as in AWS and as moto already did.
        client.put_evaluations(ResultToken="simulated-volumes", TestMode=True,
                               Evaluations=[result("vol-9", "NON_COMPLIANT", later)])

        pages = list(client.get_paginator("get_compliance_details_by_config_rule").paginate(
            ConfigRuleName="simulated-volumes", ComplianceTypes=["COMPLIANT", "NON_COMPLIANT"],
            PaginationConfig={"PageSize": 1},
        ))
        unfiltered = client.get_compliance_details_by_config_rule(ConfigRuleName="simulated-volumes")

        def summary(results: list[dict]) -> list[tuple]:
            return [(r["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ResourceId"], r["ComplianceType"],
                     r["EvaluationResultIdentifier"]["OrderingTimestamp"], r.get("Annotation")) for r in results]

        # vol-1's later result replaced its first one; vol-3 is filtered out.
        assert [summary(page["EvaluationResults"]) for page in pages] == [
            [("vol-1", "COMPLIANT", later, None)], [("vol-2", "COMPLIANT", first, None)]
        ]
        assert [r[:2] for r in summary(unfiltered["EvaluationResults"])] == [
            ("vol-1", "COMPLIANT"), ("vol-2", "COMPLIANT"), ("vol-3", "NOT_APPLICABLE")
        ]
        with pytest.raises(ClientError, match="NoSuchConfigRuleException"):
            client.get_compliance_details_by_config_rule(ConfigRuleName="no-such-rule")
        with pytest.raises(ClientError, match="InvalidResultTokenException"):
            client.put_evaluations(ResultToken="no-such-rule", Evaluations=[result("vol-1", "COMPLIANT", later)])
    finally:
        server.stop()
