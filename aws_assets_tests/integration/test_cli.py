"""The `aws-assets` command as a user runs it."""

import io
import json

import duckdb
import pytest

from aws_assets.app.cli import main
from aws_assets.lake.storage import Lake
from aws_assets.services.account import AWS_ACCOUNT, account_rows
from aws_assets_tests.integration.test_resilience import denying_sts  # noqa: F401 - a fixture

ROLE = "arn:aws:iam::111122223333:role/aws-assets-readonly"


@pytest.fixture
def lake(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    for account_id, alias in (("111111111111", "prod"), ("222222222222", "dev")):
        table = AWS_ACCOUNT.to_table(account_rows(account_id, [alias], {}, None), account_id, "global")
        lake.write_partition("aws_account", account_id, None, table)
    return lake


def test_sql_query_as_csv(lake, capsys):
    status = main(["sql", "--lake", lake.root, "--format", "csv",
                   "SELECT accountId, name FROM aws_account ORDER BY accountId"])
    assert status == 0
    assert capsys.readouterr().out.splitlines() == ["accountId,name", "111111111111,prod", "222222222222,dev"]


def test_sql_error_is_a_message_not_a_traceback(lake, capsys):
    status = main(["sql", "--lake", lake.root, "SELECT nope FROM aws_account"])
    captured = capsys.readouterr()
    assert status == 1
    assert "Referenced column \"nope\" not found" in captured.err
    assert "Traceback" not in captured.err


def test_sql_on_a_lake_that_does_not_exist_says_so(tmp_path, capsys):
    missing = str(tmp_path / "typo")
    assert main(["sql", "--lake", missing, "SELECT count(*) FROM entities"]) == 2
    captured = capsys.readouterr()
    assert f"no lake at {missing}" in captured.err and "--lake" in captured.err
    assert captured.out == "" and "Traceback" not in captured.err


def test_sql_prompt(lake, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT count(*) AS accounts\nFROM entities;\n"))
    assert main(["sql", "--lake", lake.root]) == 0
    out = capsys.readouterr().out
    assert "Views: entities, relationships" in out
    assert "accounts" in out and "│" in out and " 2 " in out


def test_sql_writes_a_duckdb_file(lake, tmp_path):
    database = tmp_path / "graph.duckdb"
    assert main(["sql", "--lake", lake.root, "--write-db", str(database)]) == 0
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.sql("SELECT name FROM aws_account ORDER BY 1").fetchall() == [("dev",), ("prod",)]


def test_sync_with_a_denied_role_exits_non_zero_and_names_account_and_role(denying_sts, tmp_path, capsys):  # noqa: F811
    instances = tmp_path / "instances.json"
    instances.write_text(json.dumps([{"name": "prod", "roleArn": ROLE, "externalId": "keep-this-secret"}]))
    status = main(["sync", "--instances", str(instances), "--lake", str(tmp_path / "lake"),
                   "--dagster-home", str(tmp_path / "home")])
    captured = capsys.readouterr()
    assert status == 1
    output = captured.out + captured.err
    assert f"cannot assume role {ROLE}" in output
    assert "account 111122223333" in output
    assert "0 of 1 partitions synced" in output
    assert f"1 partition failed: account 111122223333: cannot assume role {ROLE}" in output
    assert "The graph was not rebuilt: no partition was written" in output
    # Nothing of the previous lake is offered as this sync's: no totals, findings or example queries.
    assert "total" not in output and "findings" not in output and "Try:" not in output
    assert "keep-this-secret" not in output
    assert "Traceback" not in output
