"""CIS 1.19 (expired IAM server certificates), 1.20 (IAM Access Analyzer in every region) and 2.3.1 (EFS encryption)
on the synced simulated organisation (aws_assets/sim/estate/certificates.py, accessanalyzer.py, efs.py): each rule
fires where the estate has the problem and spares the near miss beside it."""

from __future__ import annotations

import json

from aws_assets.sim.accounts import REGIONS
from aws_assets_tests.e2e.test_findings_of_the_organisation import findings_of
from aws_assets_tests.e2e.test_relationships import ACCOUNTS

PROD, DEV, SHARED = ACCOUNTS


def test_only_the_expired_server_certificate_is_flagged(sql):
    certificates = dict(sql("SELECT name, expiration > now() FROM aws_iam_server_certificate"))
    assert certificates == {"prod-legacy-elb": False, "prod-www": True, "shared-cdn": True}
    assert findings_of(sql, "AWS-IAM-026") == {(PROD, f"arn:aws:iam::{PROD}:server-certificate/prod-legacy-elb")}
    [(evidence,)] = sql("SELECT evidence FROM findings WHERE ruleId = 'AWS-IAM-026'")
    assert json.loads(evidence)["serverCertificateName"] == "prod-legacy-elb"
    [(path,)] = sql("SELECT path FROM aws_iam_server_certificate WHERE name = 'shared-cdn'")
    assert path == "/cloudfront/"


def test_access_analyzer_is_missing_where_no_external_access_analyzer_is_active(sql):
    analyzers = set(sql("SELECT accountId, region, present, analyzerType, status FROM aws_accessanalyzer_analyzer"))
    assert {(PROD, region, True, "ACCOUNT", "ACTIVE") for region in REGIONS} <= analyzers
    assert (DEV, "eu-west-1", True, "ACCOUNT_UNUSED_ACCESS", "ACTIVE") in analyzers
    assert {(SHARED, region, False, None, None) for region in REGIONS} <= analyzers
    # dev's us-east-1 analyzer and all of prod's are the near misses; dev's unused-access analyzer does not count.
    flagged = set(sql("SELECT accountId, region FROM findings WHERE ruleId = 'AWS-ACCESSANALYZER-001'"))
    assert flagged == {(DEV, "eu-west-1"), (DEV, "ap-southeast-2")} | {(SHARED, region) for region in REGIONS}
    assert (DEV, f"arn:aws:access-analyzer:eu-west-1:{DEV}:analyzer/dev-unused-access") in findings_of(
        sql, "AWS-ACCESSANALYZER-001")


def test_only_the_unencrypted_file_system_is_flagged_and_the_encrypted_ones_use_their_key(sql):
    file_systems = set(sql("SELECT accountId, region, name, encrypted FROM aws_efs_file_system"))
    assert file_systems == {(PROD, "us-east-1", "prod-shared-home", True),
                            (PROD, "eu-west-1", "prod-render-scratch", False),
                            (DEV, "us-east-1", "dev-shared-home", True)}
    [(scratch,)] = sql("SELECT _key FROM aws_efs_file_system WHERE name = 'prod-render-scratch'")
    assert findings_of(sql, "AWS-EFS-001") == {(PROD, scratch)}
    keys = set(sql("""
        SELECT fs.name, list_contains(k.aliases, 'alias/' || split_part(fs.name, '-', 1) || '-data')
        FROM aws_efs_file_system_uses_kms_key e JOIN aws_efs_file_system fs ON fs._key = e._fromEntityKey
        JOIN aws_kms_key k ON k._key = e._toEntityKey"""))
    assert keys == {("prod-shared-home", True), ("dev-shared-home", True)}


def test_the_controls_pass_and_fail_account_by_account(sql):
    status = dict(((control, account), s) for control, account, s in sql(
        "SELECT controlId, accountId, status FROM compliance WHERE framework = 'cis-aws-4.0' AND region = 'all' "
        "AND controlId IN ('1.19', '1.20', '2.3.1')"))
    assert status == {
        ("1.19", PROD): "fail", ("1.19", DEV): "not-applicable", ("1.19", SHARED): "pass",
        ("1.20", PROD): "pass", ("1.20", DEV): "fail", ("1.20", SHARED): "fail",
        ("2.3.1", PROD): "fail", ("2.3.1", DEV): "pass", ("2.3.1", SHARED): "not-applicable",
    }
