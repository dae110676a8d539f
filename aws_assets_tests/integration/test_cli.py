"""The `aws-assets` command as a user runs it."""

import fcntl
import io
import json
import os
import pty
import select
import socket
import subprocess
import sys
import termios
import time

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


def test_sql_runs_and_shows_every_statement_of_a_line(lake, capsys):
    status = main(["sql", "--lake", lake.root, "--format", "csv",
                   "SELECT count(*) AS accounts FROM aws_account; SELECT name FROM aws_account ORDER BY name"])
    assert status == 0
    assert capsys.readouterr().out.splitlines() == ["accounts", "2", "name", "dev", "prod"]


def test_sql_on_a_directory_holding_no_lake_is_an_error_not_zero_rows(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    assert main(["sql", "--lake", str(tmp_path), "SELECT count(*) FROM entities"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (f"aws-assets sql: {tmp_path} holds no lake (none of its tables): name the lake with "
                            "--lake (the demo's is data/demo/lake)\n")
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cat.jpg", "photos"]  # left as it was


def test_sql_on_an_s3_lake_that_cannot_be_reached_is_one_line(aws_env, monkeypatch, capsys):
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port}")
    assert main(["sql", "--lake", "s3://unreachable-bucket/lake", "SELECT 1"]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("aws-assets sql: cannot read the lake at s3://unreachable-bucket/lake: ")
    assert "connect" in line.lower()
    assert captured.out == ""


def prompt_on_a_terminal(lake_root: str) -> tuple[int, subprocess.Popen]:
    """`aws-assets sql` with a pseudo-terminal as its controlling terminal, as a user types into it: Ctrl-C and
    Ctrl-D written to the terminal reach it as the terminal sends them."""
    controller, terminal = pty.openpty()

    def take_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen([sys.executable, "-m", "aws_assets.app.cli", "sql", "--lake", lake_root],
                               stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True,
                               preexec_fn=take_terminal)
    os.close(terminal)
    return controller, process


def read_until(controller: int, text: str, timeout: float = 60) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        ready, _, _ = select.select([controller], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {text!r} in {seen.decode(errors='replace')!r}")
        seen += os.read(controller, 4096)
    return seen.decode(errors="replace")


def read_what_is_left(controller: int) -> str:
    seen = b""
    try:
        while select.select([controller], [], [], 1)[0]:
            seen += os.read(controller, 4096)
    except OSError:  # the terminal closed with the process
        pass
    return seen.decode(errors="replace")


def test_sql_prompt_ctrl_c_drops_the_line_or_cancels_the_query_and_ctrl_d_quits(lake):
    controller, process = prompt_on_a_terminal(lake.root)
    try:
        read_until(controller, "aws-assets> ")
        os.write(controller, b"SELECT name\n")
        read_until(controller, "...> ")
        # Typed as a person types, a moment after the prompt: CPython's readline waits for a key in a select()
        # without a timeout, so a SIGINT landing between its signal check and that select() waits for the next key.
        time.sleep(0.3)
        os.write(controller, b"\x03")  # Ctrl-C: the half-typed statement is dropped, the prompt stays
        read_until(controller, "aws-assets> ")
        os.write(controller, b"SELECT count(*) FROM range(1000000000000) a, range(1000) b;\n")
        time.sleep(1)
        os.write(controller, b"\x03")  # Ctrl-C: the running query is cancelled, the prompt stays
        cancelled = read_until(controller, "aws-assets> ")
        assert "cancelled" in cancelled or "Interrupt" in cancelled
        os.write(controller, b"SELECT 'still here' AS answer;\n")
        assert "still here" in read_until(controller, "aws-assets> ")
        os.write(controller, b"\x04")  # Ctrl-D quits
        status = process.wait(timeout=30)
        assert status == 0, (status, read_what_is_left(controller))
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
