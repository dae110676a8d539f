"""The sync summary (aws_assets/app/report.py): failures counted at the level they happened, one line per cause,
and totals that agree with the lake's."""

import pyarrow as pa

from aws_assets.analysis.trust_graph import PLACEHOLDER_SCHEMA, PLACEHOLDER_TABLE
from aws_assets.app.report import loss_lines, print_summary, sync_line
from aws_assets.aws.collect import Outcome
from aws_assets.collection.partition import PartitionSync
from aws_assets.defs.sync import GraphResult, SyncReport
from aws_assets.graph.tables import open_lake
from aws_assets.lake.storage import Lake
from aws_assets.model.regions import GLOBAL_REGION
from aws_assets.services.account import AWS_ACCOUNT, account_rows
from aws_assets.services.catalog import ENTITY_TYPES

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
DENIED = "AccessDeniedException on ListFunctions (the integration role lacks this read permission, or an SCP denies it)"
REFUSED = "cannot connect to http://127.0.0.1:4566: Connection refused"


def lost(entity_type: str, cause: str) -> Outcome:
    return Outcome(ENTITY_TYPES[entity_type], None, 1, 0.1, error=f"{entity_type}: ... {cause}", cause=cause)


def denied_lambda_estate() -> SyncReport:
    """Three accounts, each with its account-wide partition and three regions; Lambda denied in every region."""
    results = [PartitionSync(account, GLOBAL_REGION) for account in ACCOUNTS]
    results += [PartitionSync(account, region, failures=[lost("aws_lambda_function", DENIED)])
                for account in ACCOUNTS for region in REGIONS]
    return SyncReport(results=results)


def test_a_type_denied_in_every_region_is_one_line_and_every_partition_counts_as_synced():
    report = denied_lambda_estate()
    assert sync_line(report).startswith("12 of 12 partitions synced (9 of them incomplete), ")
    assert loss_lines(report) == [f"9 partitions lost aws_lambda_function: {DENIED}"]
    assert not report.ok  # the exit code still says that not everything was collected


def test_causes_are_grouped_across_types_and_partition_failures_counted_apart():
    report = SyncReport(results=[
        PartitionSync(ACCOUNTS[0], "us-east-1", failures=[lost(t, REFUSED) for t in (
            "aws_vpc", "aws_subnet", "aws_instance", "aws_security_group")]),
        PartitionSync(ACCOUNTS[0], "eu-west-1", failures=[lost("aws_vpc", REFUSED)]),
        PartitionSync(ACCOUNTS[1], GLOBAL_REGION, error=f"dev ({ACCOUNTS[1]}): cannot write the lake at /x: "
                      "Read-only file system", cause="cannot write the lake at /x: Read-only file system"),
        PartitionSync(ACCOUNTS[2], GLOBAL_REGION, error=f"account {ACCOUNTS[2]}: cannot assume role r: AccessDenied"),
    ])
    assert loss_lines(report) == [
        f"2 partitions lost 4 entity types (aws_instance, aws_security_group, aws_subnet, ...): {REFUSED}",
        f"1 partition failed: account {ACCOUNTS[2]}: cannot assume role r: AccessDenied",
        "1 partition failed: cannot write the lake at /x: Read-only file system",
    ]
    assert sync_line(report).startswith("2 of 4 partitions synced (2 of them incomplete), ")


def test_the_entity_total_says_what_the_lakes_entities_view_holds_besides(tmp_path, capsys):
    lake = Lake(str(tmp_path / "lake"))
    for account in ACCOUNTS[:2]:
        lake.write_partition("aws_account", account, None,
                             AWS_ACCOUNT.to_table(account_rows(account, [], {}, None), account, GLOBAL_REGION))
    placeholder = {"_key": "arn:aws:iam::999999999999:root", "_type": "aws_account", "_class": ["Account"]}
    lake.write_table(PLACEHOLDER_TABLE, pa.Table.from_pylist([placeholder], schema=PLACEHOLDER_SCHEMA))
    report = SyncReport(results=[PartitionSync(account, GLOBAL_REGION) for account in ACCOUNTS[:2]],
                        graph=GraphResult(ok=True))
    print_summary(report, lake.root)
    out = capsys.readouterr().out
    [(in_the_view,)] = open_lake(lake.root).sql("SELECT count(*) FROM entities").fetchall()
    assert in_the_view == 3
    total = next(line for line in out.splitlines() if line.startswith("total"))
    assert total.split()[1] == "2"
    assert total.endswith("(and 1 placeholders: trust targets outside the lake, in the entities view too)")


def test_no_totals_findings_or_hints_when_the_graph_was_not_rebuilt(tmp_path, capsys):
    report = SyncReport(results=[PartitionSync(ACCOUNTS[0], GLOBAL_REGION, error="x", cause="y")])
    print_summary(report, str(tmp_path / "no-lake"))
    out = capsys.readouterr().out
    assert "The graph was not rebuilt: no partition was written, the lake is as the previous sync left it." in out
    assert "1 partition failed: y" in out
    assert "total" not in out and "findings" not in out and "Try:" not in out
    assert not (tmp_path / "no-lake").exists()


def test_the_progress_line_names_where_most_requests_were_throttled(capsys):
    from aws_assets.app.progress import SyncProgress

    progress = SyncProgress(accounts=2, interactive=False, interval=0)
    progress(PartitionSync(ACCOUNTS[0], GLOBAL_REGION, throttled={"iam:ListRoles": 3, "iam:GetRole": 4}))
    progress(PartitionSync(ACCOUNTS[1], "us-east-1", throttled={"ec2:DescribeInstances": 5}))
    last = capsys.readouterr().err.splitlines()[-1]
    assert f"12 throttled (most: iam of {ACCOUNTS[0]}, 7)" in last
