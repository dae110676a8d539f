"""`aws-assets changes`: what changed since a time, counts first, then the security-relevant changes; `aws-assets
prune`: the history kept to its retention."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aws_assets.analysis.changes import (
    ADMIN_GRANT,
    CHANGE_SCHEMAS,
    ENTITY_CHANGES_TABLE,
    EXTERNAL_TRUST,
    FINDING_CHANGES_TABLE,
    INTERNET_EXPOSURE,
    OPENED,
    RELATIONSHIP_CHANGES_TABLE,
    importance,
)
from aws_assets.lake.storage import Lake

OTHER_CHANGES_SHOWN = 40  # entity and edge changes listed after the security-relevant ones


def read_changes(lake: Lake, table: str, since: datetime, account: str | None) -> list[dict[str, Any]]:
    data = lake.read_table(table, CHANGE_SCHEMAS[table])
    keep = pc.greater(data.column("changedAt"), pa.scalar(since, data.schema.field("changedAt").type))
    if account:
        keep = pc.and_(keep, pc.equal(data.column("accountId"), account))
    return sorted(data.filter(keep).to_pylist(), key=importance)


def run_changes(lake_root: str, since: datetime, account: str | None, out: Callable[[str], None] = print) -> int:
    lake = Lake(lake_root)
    if not lake.exists():
        print(f"aws-assets changes: no lake at {lake_root}: sync into it first, or name it with --lake",
              file=sys.stderr)
        return 2
    entities = read_changes(lake, ENTITY_CHANGES_TABLE, since, account)
    edges = read_changes(lake, RELATIONSHIP_CHANGES_TABLE, since, account)
    findings = read_changes(lake, FINDING_CHANGES_TABLE, since, account)
    scope = f" in account {account}" if account else ""
    out(f"Changes since {since:%Y-%m-%d %H:%M:%S} UTC{scope}: {len(entities)} entity, {len(edges)} relationship "
        f"and {len(findings)} finding change(s)")
    if not (entities or edges or findings):
        return 0
    out("")
    out(_counts_table("entities", entities, ("added", "removed", "modified")))
    out(_counts_table("relationships", edges, ("added", "removed")))
    if findings:
        by_change = Counter(row["changeType"] for row in findings)
        out(f"findings: {by_change['opened']} opened, {by_change['resolved']} resolved")
    out("")
    out("Security-relevant changes")
    opened = [f for f in findings if f["changeType"] == OPENED]
    sections: list[tuple[str, list[str]]] = [
        ("new findings", [f"{f['severity']:<8} {f['ruleId']:<12} {f['resourceKey']}  {f['title'] or ''}"
                          for f in opened]),
        *[(title, [f"{e['_fromEntityKey']} {e['_class']} {e['_toEntityKey']}" for e in edges
                   if e["highlight"] == highlight and e["changeType"] == "added"])
          for title, highlight in (("new external trusts", EXTERNAL_TRUST),
                                   ("new internet exposure", INTERNET_EXPOSURE), ("new admin grants", ADMIN_GRANT))],
    ]
    for title, lines in sections:
        out(f"  {title}: {len(lines) or 'none'}")
        for line in lines:
            out(f"    {line}")
    others = [_entity_line(row) for row in entities] + [
        f"{e['changeType']:<8} {e['_fromEntityKey']} {e['_class']} {e['_toEntityKey']}"
        for e in edges if not e["highlight"]]
    if others:
        out("")
        out("Other changes")
        for line in others[:OTHER_CHANGES_SHOWN]:
            out(f"  {line}")
        if len(others) > OTHER_CHANGES_SHOWN:
            out(f"  ... and {len(others) - OTHER_CHANGES_SHOWN} more: aws-assets sql \"SELECT * FROM "
                f"{ENTITY_CHANGES_TABLE}\"")
    return 0


def _entity_line(row: dict[str, Any]) -> str:
    columns = f" ({', '.join(row['changedColumns'])})" if row["changedColumns"] else ""
    return f"{row['changeType']:<8} {row['_type']} {row['name']} [{row['accountId']} {row['region']}]{columns}"


def _counts_table(label: str, rows: list[dict[str, Any]], changes: tuple[str, ...]) -> str:
    counts = Counter((row["_type"], row["changeType"]) for row in rows)
    types = sorted({row["_type"] for row in rows})
    width = max([len(label), *(len(t) for t in types)])
    lines = [f"{label:<{width}}  " + "  ".join(f"{c:>8}" for c in changes)]
    lines += [f"{t:<{width}}  " + "  ".join(f"{counts[(t, c)]:>8}" for c in changes) for t in types]
    return "\n".join(lines)


def run_prune(lake_root: str, days: int) -> int:
    from aws_assets.lake.prune import prune

    lake = Lake(lake_root)
    if not lake.exists():
        print(f"aws-assets prune: no lake at {lake_root}", file=sys.stderr)
        return 2
    pruned = prune(lake, datetime.now(UTC) - timedelta(days=days))
    print(f"pruned the history older than {days} days: {pruned.versions} version file(s) removed, "
          f"{pruned.folded} partition(s) folded into one full version, {pruned.batches} change batch(es) removed")
    return 0
