"""What a sync's changes are worth alerting on, and the message: findings opened at or above a severity, and
external trusts added (a role that now trusts an account outside the lake, or anyone). Pure: the sensor that
reads the change tables and posts the message is aws_assets.defs.alerts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_assets.analysis.changes import EXTERNAL_TRUST, OPENED, severity_rank
from aws_assets.analysis.findings import SEVERITIES

Row = Mapping[str, Any]
LISTED = 10  # of each kind, in the message's text; the rest are counted


class AlertSeverityError(ValueError):
    """The alert severity setting is not a severity."""


def check_severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise AlertSeverityError(f"alert severity {severity!r}: expected one of {', '.join(SEVERITIES)}")
    return severity


def alerting(finding_changes: Sequence[Row], relationship_changes: Sequence[Row],
             threshold: str) -> tuple[list[Row], list[Row]]:
    """The opened findings at or above `threshold` and the added external trusts, most severe first."""
    findings = sorted((f for f in finding_changes if f["changeType"] == OPENED
                       and severity_rank(f["severity"]) <= severity_rank(threshold)),
                      key=lambda f: (severity_rank(f["severity"]), f["findingId"]))
    trusts = sorted((e for e in relationship_changes if e["changeType"] == "added" and e["highlight"] ==
                     EXTERNAL_TRUST), key=lambda e: e["_key"])
    return findings, trusts


def alert_message(findings: Sequence[Row], trusts: Sequence[Row]) -> dict[str, Any] | None:
    """A Slack-compatible message (its `text`), with the changes as fields for other receivers; None: nothing."""
    if not findings and not trusts:
        return None
    lines = [f"aws-assets: {len(findings)} new finding(s), {len(trusts)} new external trust(s)"]
    lines += [f"• [{f['severity']}] {f['ruleId']} {f['title'] or ''}: {f['resourceKey']} ({f['accountId']})"
              for f in findings[:LISTED]]
    if len(findings) > LISTED:
        lines.append(f"… and {len(findings) - LISTED} more finding(s)")
    lines += [f"• {t['_fromEntityKey']} now trusts {t['_toEntityKey']}" for t in trusts[:LISTED]]
    if len(trusts) > LISTED:
        lines.append(f"… and {len(trusts) - LISTED} more trust(s)")
    return {
        "text": "\n".join(lines),
        "findings": [{k: f[k] for k in ("findingId", "ruleId", "severity", "resourceKey", "accountId")}
                     for f in findings],
        "trusts": [{k: t[k] for k in ("_key", "_fromEntityKey", "_toEntityKey", "accountId")} for t in trusts],
    }
