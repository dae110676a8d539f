"""The rules of CIS 1.19 (expired IAM server certificates), 1.20 (IAM Access Analyzer in every region) and 2.3.1
(EFS encryption) on hand-written rows: each with the case that fires and the near misses that must not."""

from __future__ import annotations

from typing import Any

from aws_assets.analysis.cis import CONTROLS_BY_ID
from aws_assets.analysis.findings import RULES
from aws_assets_tests.unit.test_posture_rules import ACCOUNT, DAY, NOW, REGION, found, keys, place

MANAGEMENT, MEMBER, OUTSIDER = "999999999999", "222222222222", "333333333333"


def test_an_expired_server_certificate_fires_and_an_unexpired_or_unknown_one_does_not():
    def certificate(name: str, expiration) -> dict[str, Any]:
        return place(f"arn:aws:iam::{ACCOUNT}:server-certificate/{name}", region="global",
                     serverCertificateName=name, expiration=expiration)

    tables = {"aws_iam_server_certificate": [
        certificate("expired", NOW - DAY), certificate("expires-now", NOW), certificate("valid", NOW + DAY),
        certificate("unknown", None),
    ]}
    assert keys(tables, "AWS-IAM-026") == {f"arn:aws:iam::{ACCOUNT}:server-certificate/{name}"
                                           for name in ("expired", "expires-now")}
    evidence = found(tables, "AWS-IAM-026")[f"arn:aws:iam::{ACCOUNT}:server-certificate/expired"]
    assert evidence == {"serverCertificateName": "expired", "expiration": NOW - DAY}


def analyzer(account: str, name: str | None, analyzer_type: str = "ACCOUNT", status: str = "ACTIVE",
             region: str = REGION) -> dict[str, Any]:
    """An analyzer row, or with no name the row of a region without one."""
    if name is None:
        return {"_key": f"aws_accessanalyzer_analyzer:{account}:{region}", "accountId": account, "region": region,
                "name": "(no analyzer)", "present": False}
    return {"_key": f"arn:aws:access-analyzer:{region}:{account}:analyzer/{name}", "accountId": account,
            "region": region, "name": name, "present": True, "analyzerType": analyzer_type, "status": status,
            "statusReason": None if status == "ACTIVE" else "AWS_SERVICE_ACCESS_DISABLED"}


def test_a_region_without_an_active_external_access_analyzer_fires():
    tables = {"aws_accessanalyzer_analyzer": [
        analyzer("100000000001", "external"),
        analyzer("100000000002", None),
        analyzer("100000000003", "disabled", status="DISABLED"),
        analyzer("100000000004", "unused-only", analyzer_type="ACCOUNT_UNUSED_ACCESS"),
        analyzer("100000000005", "disabled", status="FAILED"), analyzer("100000000005", "external"),
        analyzer("100000000001", None, region="us-east-1"),
    ]}
    fired = found(tables, "AWS-ACCESSANALYZER-001")
    assert set(fired) == {
        f"aws_accessanalyzer_analyzer:100000000002:{REGION}", "aws_accessanalyzer_analyzer:100000000001:us-east-1",
        f"arn:aws:access-analyzer:{REGION}:100000000003:analyzer/disabled",
        f"arn:aws:access-analyzer:{REGION}:100000000004:analyzer/unused-only",
    }
    assert fired[f"arn:aws:access-analyzer:{REGION}:100000000003:analyzer/disabled"] == {"analyzers": [
        {"name": "disabled", "analyzerType": "ACCOUNT", "status": "DISABLED",
         "statusReason": "AWS_SERVICE_ACCESS_DISABLED"}]}
    assert fired[f"aws_accessanalyzer_analyzer:100000000002:{REGION}"] == {"analyzers": []}


def test_an_active_organisation_analyzer_covers_the_accounts_its_account_lists_in_its_region():
    organisation = [{"accountId": MANAGEMENT, "memberAccountId": a} for a in (MANAGEMENT, MEMBER)]
    tables = {"aws_organization_account": organisation, "aws_accessanalyzer_analyzer": [
        analyzer(MANAGEMENT, "organisation", analyzer_type="ORGANIZATION"),
        analyzer(MANAGEMENT, None, region="us-east-1"),
        analyzer(MEMBER, None), analyzer(MEMBER, None, region="us-east-1"), analyzer(OUTSIDER, None),
    ]}
    assert keys(tables, "AWS-ACCESSANALYZER-001") == {
        f"aws_accessanalyzer_analyzer:{a}:{r}" for a, r in (
            (MANAGEMENT, "us-east-1"), (MEMBER, "us-east-1"), (OUTSIDER, REGION))}
    # An organisation analyzer that is not ACTIVE covers nobody.
    tables["aws_accessanalyzer_analyzer"][0] = analyzer(MANAGEMENT, "organisation", "ORGANIZATION", "DISABLED")
    assert f"aws_accessanalyzer_analyzer:{MEMBER}:{REGION}" in keys(tables, "AWS-ACCESSANALYZER-001")


def test_an_unencrypted_file_system_fires_and_an_encrypted_or_deleted_one_does_not():
    def file_system(key: str, **columns) -> dict:
        return place(key, **{"fileSystemId": key, "name": key, "lifeCycleState": "available", **columns})

    tables = {"aws_efs_file_system": [
        file_system("fs-plain", encrypted=False), file_system("fs-encrypted", encrypted=True),
        file_system("fs-leaving", encrypted=False, lifeCycleState="deleting"),
    ]}
    assert keys(tables, "AWS-EFS-001") == {"fs-plain"}


def test_the_controls_are_mapped_to_their_rules():
    checked = {control for rule in RULES for control in rule.cis}
    for control in ("1.19", "1.20", "2.3.1"):
        assert control in checked
        assert CONTROLS_BY_ID[control].unchecked_because is None
