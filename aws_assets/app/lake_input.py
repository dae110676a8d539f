"""What the findings and compliance commands read first: a lake that exists and holds findings, else a one-line
error that says what to do."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import duckdb

from aws_assets.analysis.findings import FINDINGS_TABLE
from aws_assets.app.simulate import UsageError, existing_lake_snapshot
from aws_assets.graph.tables import load_tables

_ACCOUNT_ID = re.compile(r"\d{12}")


def open_findings(lake_root: str, reads: Mapping[str, Sequence[str]]) -> duckdb.DuckDBPyConnection:
    snapshot = existing_lake_snapshot(lake_root)
    if not snapshot.lake.has_table(FINDINGS_TABLE):
        raise UsageError(f"the lake at {lake_root} has no findings yet: a sync computes them (the `findings` asset)")
    return load_tables(snapshot, reads)


def check_account(account: str | None, con: duckdb.DuckDBPyConnection) -> None:
    if account is None:
        return
    if not _ACCOUNT_ID.fullmatch(account):
        raise UsageError(f"--account {account!r}: an AWS account ID is 12 digits")
    known = {row[0] for row in con.sql("SELECT DISTINCT accountId FROM aws_account").fetchall()}
    if account not in known:
        raise UsageError(f"--account {account}: the lake holds no such account ({len(known)} account(s) synced)")
