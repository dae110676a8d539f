"""What changed between two versions of the lake: the rows of `entity_changes`, `relationship_changes` and
`finding_changes`, from the versions the lake's history keeps (aws_assets.lake.history).

A partition's `delta` version already holds what changed, each row labelled (added, removed, the `before` and
`after` of a changed row); a `full` version that follows another (a schema that changed, a table without unique
keys) is compared with the state before it. Volatile columns (aws_assets.model.entity.volatile_columns) are never
a change. A partition that failed to collect has no new version, so nothing of it is ever reported removed.

The findings table has no key of its own but `findingId`, stable while a problem lasts: a finding is `opened` when
its ID appears, `resolved` when it disappears.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from aws_assets.analysis.findings import SEVERITIES
from aws_assets.lake.history import (
    ADDED,
    AFTER,
    BEFORE,
    CHANGE_COLUMN,
    DELTA,
    FULL,
    REMOVED,
    last_row_per_key,
    next_version,
)
from aws_assets.model.entity import Column, schema_of, string, strings, timestamp, volatile_columns
from aws_assets.relationships.security_groups import INTERNET_KEY

ENTITY_CHANGES_TABLE = "entity_changes"
RELATIONSHIP_CHANGES_TABLE = "relationship_changes"
FINDING_CHANGES_TABLE = "finding_changes"
MODIFIED, OPENED, RESOLVED = "modified", "opened", "resolved"

CHANGED_AT = timestamp("changedAt", "When the sync that saw it wrote it to the lake (the version's time)")
ENTITY_IDENTITY = ["_key", "_type", "accountId", "region", "name"]  # the columns an entity change copies
ENTITY_CHANGE_COLUMNS: tuple[Column, ...] = (
    string("changeType", "`added`, `removed` or `modified`"),
    string("_key", "`_key` of the entity"),
    string("_type", "`_type` of the entity"),
    string("accountId", "Account of the entity"),
    string("region", "Region of the entity, or `global`"),
    string("name", "Name of the entity"),
    strings("changedColumns", "For `modified`: the columns whose values changed (never a volatile one)"),
    Column("changes", pa.string(), "For `modified`: each changed column's `old` and `new` value (JSON text)"),
    CHANGED_AT,
)
# What makes an added edge worth reading first: the highlight it gets.
EXTERNAL_TRUST, INTERNET_EXPOSURE, ADMIN_GRANT = "external trust", "internet exposure", "admin grant"
RELATIONSHIP_CHANGE_COLUMNS: tuple[Column, ...] = (
    string("changeType", "`added` or `removed`"),
    string("_key", "`_key` of the edge"),
    string("_class", "The verb: HAS, CONTAINS, TRUSTS, ALLOWS, DENIES, IS, ..."),
    string("_type", "`_type` of the edge"),
    string("_fromEntityKey", "`_key` of the entity the edge starts from"),
    string("_toEntityKey", "`_key` of the entity the edge points to"),
    string("accountId", "Account of the edge"),
    string("highlight", f"`{EXTERNAL_TRUST}` (a role trusting outside the lake's accounts or anyone), "
           f"`{INTERNET_EXPOSURE}` (allowed from the internet), `{ADMIN_GRANT}` (a policy allowing `*` on `*`), "
           "or empty"),
    CHANGED_AT,
)
FINDING_CHANGE_COLUMNS: tuple[Column, ...] = (
    string("changeType", "`opened` or `resolved`"),
    string("findingId", "Stable ID of the finding"),
    string("ruleId", "The rule that raised it"),
    string("severity", "critical, high, medium or low"),
    string("title", "The rule's title"),
    string("accountId", "Account of the resource"),
    string("resourceKey", "`_key` of the entity the finding is about"),
    CHANGED_AT,
)
ENTITY_CHANGES_SCHEMA = schema_of(ENTITY_CHANGE_COLUMNS)
RELATIONSHIP_CHANGES_SCHEMA = schema_of(RELATIONSHIP_CHANGE_COLUMNS)
FINDING_CHANGES_SCHEMA = schema_of(FINDING_CHANGE_COLUMNS)
CHANGE_SCHEMAS = {
    ENTITY_CHANGES_TABLE: ENTITY_CHANGES_SCHEMA,
    RELATIONSHIP_CHANGES_TABLE: RELATIONSHIP_CHANGES_SCHEMA,
    FINDING_CHANGES_TABLE: FINDING_CHANGES_SCHEMA,
}
TABLE_DESCRIPTIONS = {
    ENTITY_CHANGES_TABLE: "Every entity added, removed or modified by a sync, with the columns that changed and "
    "their old and new values; volatile columns (last-use times, approximate counts) are not changes.",
    RELATIONSHIP_CHANGES_TABLE: "Every edge added or removed (the graph's relationships and the analyses' TRUSTS, "
    "ALLOWS and DENIES), the security-relevant ones highlighted.",
    FINDING_CHANGES_TABLE: "Every finding opened or resolved, when the findings were computed after a sync.",
}

Row = dict[str, Any]


def as_delta(version: pa.Table, kind: str, before: pa.Table | None) -> pa.Table | None:
    """A version's rows as a delta (labelled rows of what changed): the delta itself, or a full version against the
    state `before` it (None: the partition's first, all added); None when nothing changed. Where a `_key` repeats
    (which no AWS key does), each key is compared by its last row."""
    if kind == DELTA or before is None:
        return version
    after = version.drop_columns([CHANGE_COLUMN])
    common = [name for name in after.schema.names if name in before.schema.names]
    before = before.select(common).cast(after.select(common).schema)
    after = after.select(common)
    found = next_version(before, after)
    if found is not None and found[0] == FULL and "_key" in common:
        found = next_version(last_row_per_key(before), last_row_per_key(after))
    if found is None or found[0] != DELTA:
        return None
    return found[1]


def entity_changes(delta: pa.Table, changed_at: datetime) -> list[Row]:
    """The `entity_changes` rows of one partition's delta: removed, modified, then added entities. Its rows are read
    whole only where an entity was modified (a first version is all added rows, a whole partition). In Python: a
    compute kernel on a delta of a few rows costs more than the rows (a day's run has one per changed partition)."""
    labels = delta.column(CHANGE_COLUMN).to_pylist()
    identities = delta.select(ENTITY_IDENTITY).to_pylist()
    whole = delta.to_pylist() if AFTER in labels else []
    volatile = volatile_columns(delta.schema)
    before = {row["_key"]: row for row, label in zip(whole, labels) if label == BEFORE}
    changes: dict[str, list[Row]] = {REMOVED: [], MODIFIED: [], ADDED: []}
    for number, (label, identity) in enumerate(zip(labels, identities)):
        entry = {"changeType": label, **identity, "changedColumns": None, "changes": None, "changedAt": changed_at}
        if label in (ADDED, REMOVED):
            changes[label].append(entry)
        elif label == AFTER:
            row = whole[number]
            old = before[row["_key"]]
            changed = {name: {"old": _plain(old[name]), "new": _plain(row[name])} for name in row
                       if name not in volatile and name != CHANGE_COLUMN and _plain(old[name]) != _plain(row[name])}
            if changed:
                changes[MODIFIED].append({**entry, "changeType": MODIFIED, "changedColumns": sorted(changed),
                                          "changes": json.dumps(changed, sort_keys=True, default=str)})
    return [*changes[REMOVED], *changes[MODIFIED], *changes[ADDED]]


def relationship_changes(delta: pa.Table, changed_at: datetime) -> list[Row]:
    """The `relationship_changes` rows of one edge table's delta: edges added and removed (an edge whose properties
    changed is the same edge)."""
    rows = delta.filter(pc.is_in(delta.column(CHANGE_COLUMN), pa.array([ADDED, REMOVED]))).to_pylist()
    return [{"changeType": row[CHANGE_COLUMN], "_key": row["_key"], "_class": row["_class"], "_type": row["_type"],
             "_fromEntityKey": row["_fromEntityKey"], "_toEntityKey": row["_toEntityKey"],
             "accountId": row["accountId"], "highlight": highlight(row), "changedAt": changed_at}
            for row in rows]


def highlight(edge: Mapping[str, Any]) -> str | None:
    """What makes an edge security-relevant: a role trusting outside the lake's accounts (or anyone), a security
    group letting the internet in, an allow of every action on every resource."""
    if "trustZone" in edge:  # the trust analysis's TRUSTS edges
        return EXTERNAL_TRUST if edge["trustZone"] in ("external_account", "public") else None
    if edge["_toEntityKey"] == INTERNET_KEY and edge.get("ingress"):
        return INTERNET_EXPOSURE
    if edge["_class"] == "ALLOWS" and edge.get("admin"):
        return ADMIN_GRANT
    return None


def finding_changes(before: pa.Table | None, after: pa.Table, changed_at: datetime) -> list[Row]:
    """Findings opened (in `after`, not in `before`) and resolved (the other way round)."""
    old = {row["findingId"]: row for row in (before.to_pylist() if before is not None else [])}
    new = {row["findingId"]: row for row in after.to_pylist()}
    opened = [(OPENED, new[i]) for i in new.keys() - old.keys()]
    resolved = [(RESOLVED, old[i]) for i in old.keys() - new.keys()]
    return sorted(
        ({"changeType": change, **{c.name: row.get(c.name) for c in FINDING_CHANGE_COLUMNS[1:-1]},
          "changedAt": changed_at} for change, row in opened + resolved),
        key=lambda row: (row["changeType"], severity_rank(row["severity"]), row["findingId"]),
    )


def severity_rank(severity: str | None) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Changes per type and change: `aws_iam_user added` -> 2."""
    found: dict[str, int] = {}
    for row in rows:
        label = f"{row['_type']} {row['changeType']}"
        found[label] = found.get(label, 0) + 1
    return dict(sorted(found.items()))


def _plain(value: Any) -> Any:
    """A value as it compares: a map column read as pairs compares as a dict."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
        return dict(value)
    return value



# Words in a column name that make a change to it worth reading first: who may do what, what is exposed.
ATTENTION_WORDS = ("polic", "public", "trust", "encrypt", "ingress", "permission", "admin", "status", "active", "mfa")


def importance(row: Mapping[str, Any]) -> tuple[int, str]:
    """Sort key of a change row, the most security-relevant first: opened findings by severity, highlighted edges,
    entities whose access or exposure columns changed, then the rest."""
    if "findingId" in row:
        return (severity_rank(row["severity"]) if row["changeType"] == OPENED else 10, row["findingId"])
    if "highlight" in row:
        return (0 if row["highlight"] else 1 if row["changeType"] == ADDED else 2, row["_key"])
    columns = " ".join(row.get("changedColumns") or []).lower()
    touches = any(word in columns for word in ATTENTION_WORDS)
    return ({MODIFIED: 0 if touches else 3, ADDED: 1, REMOVED: 2}.get(row["changeType"], 4), row["_key"])
