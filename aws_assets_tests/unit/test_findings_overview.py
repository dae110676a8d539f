"""What the findings asset's overview shows first: the counts per severity and the rules that found the most."""

from aws_assets.analysis.findings import RULES, SEVERITIES
from aws_assets.defs.assets import findings as findings_asset
from aws_assets.defs.assets.findings import findings_summary

RULE = {rule.id: rule for rule in RULES}


def test_the_summary_counts_each_severity_and_ranks_the_rules_by_findings_then_severity():
    by_rule = dict.fromkeys(RULE, 0) | {"AWS-EC2-003": 9, "AWS-IAM-001": 2, "AWS-EC2-001": 2, "AWS-S3-001": 1}
    summary = findings_summary({"critical": 3, "high": 2, "medium": 9, "low": 0}, by_rule)
    assert summary.splitlines() == [
        "**3 critical** · **2 high** · **9 medium** · **0 low**", "", "Top rules:", "",
        f"1. **9** `AWS-EC2-003` (medium) {RULE['AWS-EC2-003'].title}",
        f"2. **2** `AWS-IAM-001` (critical) {RULE['AWS-IAM-001'].title}",
        f"3. **2** `AWS-EC2-001` (high) {RULE['AWS-EC2-001'].title}",
        f"4. **1** `AWS-S3-001` (critical) {RULE['AWS-S3-001'].title}",
    ]


def test_the_summary_names_the_top_rules_only_and_says_how_many_more_found_something(monkeypatch):
    monkeypatch.setattr(findings_asset, "TOP_RULES", 2)
    by_rule = {rule.id: index + 1 for index, rule in enumerate(RULES)}
    summary = findings_summary(dict.fromkeys(SEVERITIES, 1), by_rule)
    assert summary.count("\n1. ") == 1 and "\n3. " not in summary
    assert summary.endswith(f"_{len(RULES) - 2} more rules found something: see `findings_by_rule`_")


def test_a_summary_of_nothing_found_says_so():
    assert findings_summary(dict.fromkeys(SEVERITIES, 0), dict.fromkeys(RULE, 0)) == (
        "**0 critical** · **0 high** · **0 medium** · **0 low**\n\nNo rule found anything.")
