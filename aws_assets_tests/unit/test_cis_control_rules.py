"""The rules of CIS 1.19 (expired IAM server certificates), 1.20 (IAM Access Analyzer in every region) and 2.3.1
(EFS encryption) on hand-written rows: each with the case that fires and the near misses that must not."""

from __future__ import annotations

from aws_assets.analysis.cis import CONTROLS_BY_ID
from aws_assets.analysis.findings import RULES
from aws_assets_tests.unit.test_posture_rules import keys, place


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
    for control in ("2.3.1",):
        assert control in checked
        assert CONTROLS_BY_ID[control].unchecked_because is None
