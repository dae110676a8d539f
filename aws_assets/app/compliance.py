"""`aws-assets compliance`: each control of a framework per account and region, from the lake's findings."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter

from aws_assets.analysis.cis import coverage
from aws_assets.analysis.compliance import ACCOUNT_WIDE, ControlStatus, check_framework, pass_rates
from aws_assets.analysis.findings import RULES
from aws_assets.app.lake_input import check_account, open_findings
from aws_assets.graph.compliance import compliance_reads, lake_compliance

SHOWN_RESOURCES = 3  # failing resources listed per line of the table; --format json lists them all


def run_compliance(lake_root: str, framework: str, account: str | None, output_format: str) -> int:
    check_framework(framework)
    con = open_findings(lake_root, compliance_reads(RULES))
    check_account(account, con)
    statuses = [s for s in lake_compliance(con, RULES, [framework]) if account is None or s.account_id == account]
    rates = pass_rates(statuses)
    if output_format == "json":
        print(json.dumps({"framework": framework, "coverage": coverage(RULES), "accounts": rates,
                          "controls": [s.as_row() for s in statuses]}, indent=2))
    elif output_format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["framework", "controlId", "accountId", "region", "status", "failingResources", "reason"])
        for s in statuses:
            writer.writerow([s.framework, s.control_id, s.account_id, s.region, s.status, " ".join(s.failing),
                             s.reason or ""])
    else:
        print_table(framework, statuses, rates)
    return 0


def print_table(framework: str, statuses: list[ControlStatus], rates: dict) -> None:
    print(f"{framework}: " + "; ".join(
        f"{account} {r['passRate']}% passed ({r['pass']} pass, {r['fail']} fail, {r['not-applicable']} not "
        f"applicable, {r['not-assessed']} not assessed)" for account, r in sorted(rates.items())))
    print(f"{'control':<8} {'account':<12} {'region':<14} {'status':<14} failing resources / why not assessed")
    regions = Counter((s.control_id, s.account_id) for s in statuses if s.region != ACCOUNT_WIDE)
    for s in statuses:
        # The account's row says where it passed everywhere, or fails in its only region: a region is listed where
        # it fails among others.
        if s.region != ACCOUNT_WIDE and (s.status == "pass" or regions[(s.control_id, s.account_id)] == 1):
            continue
        detail = s.reason or ""
        if s.failing:
            shown = ", ".join(s.failing[:SHOWN_RESOURCES])
            more = len(s.failing) - SHOWN_RESOURCES
            detail = shown + (f" (+{more} more)" if more > 0 else "")
        region = "-" if s.region == ACCOUNT_WIDE else s.region
        print(f"{s.control_id:<8} {s.account_id:<12} {region:<14} {s.status:<14} {detail}".rstrip())
