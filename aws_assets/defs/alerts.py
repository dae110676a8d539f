"""The alert sensor: after each sync's change batches, posts what is worth alerting on (aws_assets.analysis.alerts)
to the webhook of AWS_ASSETS_ALERT_WEBHOOK as JSON with a Slack-compatible `text`.

Its cursor keeps, per change table, the last batch it read, and the messages not yet delivered: a webhook that
fails (refuses, times out, answers an error) is logged and tried again at the next tick, until it takes the
message, so no alert is lost. Each message delivered is recorded in the lake's `alerts_sent` table (one batch per
message: when, the text and the whole message). The sensor runs apart from the sync and never raises into it.

Its first tick (no cursor: a new deployment, or a cursor reset in the UI) posts nothing and starts after the newest
batches already in the lake, saying so in its log: on a lake with months of history it would otherwise post every
finding ever opened. What is open now is `aws-assets findings`.
"""

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from aws_assets.analysis.alerts import AlertSeverityError, alert_message, alerting, check_severity
from aws_assets.analysis.changes import FINDING_CHANGES_TABLE, RELATIONSHIP_CHANGES_TABLE
from aws_assets.defs.resources import LakeResource
from aws_assets.lake.history import parse_stamp, stamp
from aws_assets.lake.storage import PARTITION_FILE, Lake
from aws_assets.model.settings import ALERT_SEVERITY, ALERT_WEBHOOK, settings

ALERTS_SENT_TABLE = "alerts_sent"
ALERTS_SENT_SCHEMA = pa.schema([
    pa.field("sentAt", pa.timestamp("us", tz="UTC")),
    pa.field("attempts", pa.int64()),
    pa.field("text", pa.string()),
    pa.field("message", pa.string()),
])
WEBHOOK_TIMEOUT_SECONDS = 10


def new_changes(lake: Lake, table: str, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """The rows of the table's batches after the stamp `after`, and the stamp of the last batch."""
    batches = [(through, folder) for through, folder in lake.batches(table) if after is None or
               through > parse_stamp(after)]
    rows = [row for _, folder in batches
            for row in pq.read_table(f"{folder}/{PARTITION_FILE}", filesystem=lake.filesystem).to_pylist()]
    return rows, stamp(batches[-1][0]) if batches else after


def newest_batch(lake: Lake, table: str) -> str | None:
    batches = lake.batches(table)
    return stamp(batches[-1][0]) if batches else None


def first_cursor(lake: Lake) -> tuple[dict[str, Any], str]:
    """The cursor of a first tick, after the newest batches in the lake, and what it says about them."""
    through = {"findings": newest_batch(lake, FINDING_CHANGES_TABLE),
               "edges": newest_batch(lake, RELATIONSHIP_CHANGES_TABLE)}
    earlier = len(lake.batches(FINDING_CHANGES_TABLE)) + len(lake.batches(RELATIONSHIP_CHANGES_TABLE))
    newest = max((t for t in through.values() if t), default=None)
    said = (f"first tick: {earlier} change batch(es) already in the lake (the newest "
            f"{parse_stamp(newest).isoformat()}) are not posted; alerting on those written from now on" if newest else
            "first tick: no change batch in the lake yet; alerting on every batch written from now on")
    return {"through": through, "pending": []}, said


def post(url: str, message: dict[str, Any]) -> None:
    request = urllib.request.Request(url, data=json.dumps(message).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        response.read()


def record_sent(lake: Lake, message: dict[str, Any], attempts: int) -> None:
    now = datetime.now(UTC)
    row = {"sentAt": now, "attempts": attempts, "text": message["text"], "message": json.dumps(message)}
    lake.write_batch(ALERTS_SENT_TABLE, now, pa.Table.from_pylist([row], schema=ALERTS_SENT_SCHEMA))


@sensor(
    name="change_alerts",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Posts to AWS_ASSETS_ALERT_WEBHOOK the findings a sync opened at or above AWS_ASSETS_ALERT_SEVERITY "
    "and the external trusts it added; retries a failing webhook at each tick and records what it sent.",
)
def change_alerts(context: SensorEvaluationContext, lake: LakeResource) -> SkipReason:
    config = settings()
    if not config.alert_webhook:
        return SkipReason(f"{ALERT_WEBHOOK.name} is not set")
    try:
        threshold = check_severity(config.alert_severity)
    except AlertSeverityError as error:
        return SkipReason(f"{ALERT_SEVERITY.name}: {error}")
    target = lake.lake()
    if not context.cursor:
        cursor, said = first_cursor(target)
        context.log.info(said)
        context.update_cursor(json.dumps(cursor))
        return SkipReason(said)
    cursor = json.loads(context.cursor)
    findings, findings_through = new_changes(target, FINDING_CHANGES_TABLE, cursor["through"].get("findings"))
    edges, edges_through = new_changes(target, RELATIONSHIP_CHANGES_TABLE, cursor["through"].get("edges"))
    message = alert_message(*alerting(findings, edges, threshold))
    pending = cursor["pending"] + ([{"message": message, "attempts": 0}] if message else [])
    undelivered = []
    for alert in pending:
        alert["attempts"] += 1
        try:
            post(config.alert_webhook, alert["message"])
        except (urllib.error.URLError, OSError, ValueError) as error:
            context.log.warning(f"alert webhook failed (attempt {alert['attempts']}, kept for the next tick): "
                                f"{error}")
            undelivered.append(alert)
            continue
        record_sent(target, alert["message"], alert["attempts"])
        context.log.info(f"alert sent: {alert['message']['text'].splitlines()[0]}")
    context.update_cursor(json.dumps({"through": {"findings": findings_through, "edges": edges_through},
                                      "pending": undelivered}))
    sent = len(pending) - len(undelivered)
    return SkipReason(f"{sent} alert(s) sent, {len(undelivered)} kept to retry" if pending else "nothing to alert")
