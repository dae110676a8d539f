"""`aws-assets findings`: the lake's findings as OCSF Detection Findings, ASFF (for Security Hub), CSV or JSON, with
each rule's description, remediation and controls; `sts:ExternalId` values in the evidence redacted."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from aws_assets.analysis.export import RECORD_FIELDS, record, to_asff, to_ocsf
from aws_assets.analysis.findings import FINDINGS_TABLE, RULES, Finding
from aws_assets.app.lake_input import check_account, open_findings

FORMATS = ("ocsf", "asff", "csv", "json")
HOME_REGION = "us-east-1"  # where ASFF files an account-wide finding (IAM, the account)
_COLUMNS = ("ruleId", "severity", "title", "resourceType", "accountId", "region", "resourceKey", "evidence",
            "observedAt")


def product_version() -> str:
    try:
        return version("aws-assets")
    except PackageNotFoundError:
        return "0"


def lake_findings(lake_root: str, account: str | None) -> list[tuple[Finding, datetime]]:
    con = open_findings(lake_root, {FINDINGS_TABLE: _COLUMNS, "aws_account": ("accountId",)})
    check_account(account, con)
    rows = con.sql(f"SELECT {', '.join(_COLUMNS)} FROM {FINDINGS_TABLE} ORDER BY ruleId, accountId, resourceKey")
    return [(Finding(rule, severity, title, kind, owner, region, key, json.loads(evidence or "{}")), observed)
            for rule, severity, title, kind, owner, region, key, evidence, observed in rows.fetchall()
            if account is None or owner == account]


def run_findings(lake_root: str, output_format: str, account: str | None, home_region: str = HOME_REGION) -> int:
    rules = {rule.id: rule for rule in RULES}
    found = lake_findings(lake_root, account)
    if output_format == "ocsf":
        current = product_version()
        print(json.dumps([to_ocsf(f, rules.get(f.rule_id), at, current) for f, at in found], indent=1))
    elif output_format == "asff":
        print(json.dumps([to_asff(f, rules.get(f.rule_id), at, home_region) for f, at in found], indent=1))
    else:
        records = [record(f, rules.get(f.rule_id), at) for f, at in found]
        if output_format == "json":
            print(json.dumps(records, indent=1))
        else:
            writer = csv.DictWriter(sys.stdout, fieldnames=RECORD_FIELDS)
            writer.writeheader()
            writer.writerows(records)
    return 0
