"""The alert sensor against a local HTTP server: what it posts, that a failing webhook keeps the alert and is
retried, that it records what it sent, that its first tick starts after the history already in the lake."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa
import pytest
from dagster import build_sensor_context

from aws_assets.analysis.findings import FINDINGS_SCHEMA, FINDINGS_TABLE
from aws_assets.defs.alerts import ALERTS_SENT_SCHEMA, ALERTS_SENT_TABLE, change_alerts
from aws_assets.defs.resources import LakeResource
from aws_assets.graph.changes import compute_finding_changes, compute_relationship_changes
from aws_assets.lake.storage import Lake

DAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


class Webhook:
    """A local HTTP server answering `statuses` in turn (then 200), keeping every body posted."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict] = []
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                webhook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(webhook.statuses.pop(0) if webhook.statuses else 200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        # shutdown() waits for the loop's next poll: half a second by default, at the end of every test.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def webhook():
    servers = []

    def start(statuses: list[int]) -> Webhook:
        servers.append(Webhook(statuses))
        return servers[-1]

    yield start
    for server in servers:
        server.server.shutdown()


def findings(*specs: tuple[str, str]) -> pa.Table:
    return pa.Table.from_pylist([
        {"findingId": i, "ruleId": "AWS-S3-001", "severity": severity, "title": "Public bucket", "accountId": "1",
         "resourceKey": f"arn:aws:s3:::{i}", "observedAt": DAY} for i, severity in specs], schema=FINDINGS_SCHEMA)


def sync(lake: Lake, table: pa.Table, at: datetime) -> None:
    """What the graph run after a sync leaves: the findings, then the change batches."""
    lake.write_table(FINDINGS_TABLE, table, at)
    compute_finding_changes(lake).write(lake)
    compute_relationship_changes(lake, []).write(lake)


def tick(lake_root: str, cursor: str | None):
    context = build_sensor_context(cursor=cursor, resources={"lake": LakeResource(root=lake_root)})
    result = change_alerts(context)
    return result, context.cursor


def test_opened_findings_at_or_above_the_severity_are_posted_once_and_recorded(tmp_path, monkeypatch, webhook):
    hook = webhook([])
    monkeypatch.setenv("AWS_ASSETS_ALERT_WEBHOOK", hook.url)
    monkeypatch.setenv("AWS_ASSETS_ALERT_SEVERITY", "high")
    lake = Lake(str(tmp_path))
    _, cursor = tick(str(tmp_path), None)  # deployed before the first sync
    sync(lake, findings(("public-a", "critical"), ("weak-b", "low")), DAY)
    _, cursor = tick(str(tmp_path), cursor)
    assert len(hook.bodies) == 1
    assert [f["findingId"] for f in hook.bodies[0]["findings"]] == ["public-a"]  # low is under the threshold
    assert hook.bodies[0]["text"].startswith("aws-assets: 1 new finding(s), 0 new external trust(s)")
    # Nothing new: nothing posted
    tick(str(tmp_path), cursor)
    assert len(hook.bodies) == 1
    sent = lake.read_table(ALERTS_SENT_TABLE, ALERTS_SENT_SCHEMA).to_pylist()
    assert [(row["attempts"], json.loads(row["message"])["findings"][0]["findingId"]) for row in sent] == [
        (1, "public-a")]


def test_a_failing_webhook_keeps_the_alert_and_delivers_it_on_a_later_tick(tmp_path, monkeypatch, webhook):
    hook = webhook([500, 503, 502])
    monkeypatch.setenv("AWS_ASSETS_ALERT_WEBHOOK", hook.url)
    lake = Lake(str(tmp_path))
    _, cursor = tick(str(tmp_path), None)
    sync(lake, findings(("public-a", "high")), DAY)
    result, cursor = tick(str(tmp_path), cursor)
    assert "1 kept to retry" in result.skip_message
    sync(lake, findings(("public-a", "high"), ("public-c", "critical")), DAY + timedelta(days=1))
    result, cursor = tick(str(tmp_path), cursor)  # the webhook fails again: both kept
    assert "2 kept to retry" in result.skip_message
    result, cursor = tick(str(tmp_path), cursor)
    assert result.skip_message == "2 alert(s) sent, 0 kept to retry"
    delivered = [[f["findingId"] for f in body["findings"]] for body in hook.bodies]
    assert delivered == [["public-a"], ["public-a"], ["public-c"], ["public-a"], ["public-c"]]
    sent = lake.read_table(ALERTS_SENT_TABLE, ALERTS_SENT_SCHEMA).to_pylist()
    assert sorted(row["attempts"] for row in sent) == [2, 3]


def test_an_unreachable_webhook_is_logged_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ASSETS_ALERT_WEBHOOK", "http://127.0.0.1:9/nothing-listens")
    lake = Lake(str(tmp_path))
    _, cursor = tick(str(tmp_path), None)
    sync(lake, findings(("public-a", "high")), DAY)
    result, cursor = tick(str(tmp_path), cursor)
    assert "kept to retry" in result.skip_message
    assert json.loads(cursor)["pending"][0]["message"]["findings"][0]["findingId"] == "public-a"


def test_without_a_webhook_the_sensor_skips(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ASSETS_ALERT_WEBHOOK", raising=False)
    result, _ = tick(str(tmp_path), None)
    assert result.skip_message == "AWS_ASSETS_ALERT_WEBHOOK is not set"


def test_the_first_tick_on_a_lake_with_history_posts_nothing_and_alerts_from_the_next_sync_on(tmp_path, monkeypatch,
                                                                                                webhook):
    hook = webhook([])
    monkeypatch.setenv("AWS_ASSETS_ALERT_WEBHOOK", hook.url)
    lake = Lake(str(tmp_path))
    for day, found in enumerate([[("old-a", "critical")], [("old-a", "critical"), ("old-b", "high")]]):
        sync(lake, findings(*found), DAY + timedelta(days=day))
    result, cursor = tick(str(tmp_path), None)
    assert result.skip_message == (
        "first tick: 2 change batch(es) already in the lake (the newest 2026-11-03T02:00:00+00:00) are not posted; "
        "alerting on those written from now on")
    assert hook.bodies == []
    sync(lake, findings(("old-a", "critical"), ("old-b", "high"), ("new-c", "high")), DAY + timedelta(days=2))
    result, cursor = tick(str(tmp_path), cursor)
    assert [[f["findingId"] for f in body["findings"]] for body in hook.bodies] == [["new-c"]]
    assert result.skip_message == "1 alert(s) sent, 0 kept to retry"


def test_the_first_tick_on_a_lake_without_changes_says_it_alerts_on_every_batch_to_come(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ASSETS_ALERT_WEBHOOK", "http://127.0.0.1:9/nothing-listens")
    result, cursor = tick(str(tmp_path), None)
    assert result.skip_message == "first tick: no change batch in the lake yet; alerting on every batch written " \
        "from now on"
    assert json.loads(cursor) == {"through": {"findings": None, "edges": None}, "pending": []}
