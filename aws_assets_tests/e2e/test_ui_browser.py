"""The Dagster UI in a real browser: `dagster-webserver` on the project's definitions, over a DAGSTER_HOME holding
materializations of the simulated organisation, driven by headless Chromium (Debian's `chromium`, which `.ci/run`
installs) through Playwright. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from dagster import DagsterInstance
from playwright.sync_api import expect, sync_playwright

from aws_assets.analysis.findings import SEVERITIES
from aws_assets.defs.definitions import build_definitions
from aws_assets.defs.sync import sync
from aws_assets.inputs.instances import load_instances
from aws_assets.lake.storage import Lake
from aws_assets.model.regions import commercial_regions
from aws_assets_tests.conftest import REPO, seeded_org

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium")
# As the machine's notes prescribe: no sandbox as root, and none of Chromium's own connections to Google, which
# this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_SECONDS = 90

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no `chromium` on PATH: .ci/run installs Debian's chromium package for this test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """The simulated organisation synced as `aws-assets demo` syncs it (every account in its regions, then the graph)
    into a persistent DAGSTER_HOME the webserver then reads."""
    work = tmp_path_factory.mktemp("ui")
    with seeded_org("ui") as (org, endpoint):
        instances_file = org.write_instances_file(work / "instances.json")
        home = work / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
        lake = work / "lake"
        defs = build_definitions(instances_file=str(instances_file), lake_root=str(lake))
        home_variable = mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home)})  # where the storage lives
        with home_variable, DagsterInstance.from_config(str(home)) as instance:
            report = sync(load_instances(instances_file), defs, instance)
        assert report.ok, [r.errors for r in report.failures] + report.run_errors
        yield {
            "defs": defs, "accounts": [account.account_id for account in org.accounts], "regions": org.regions,
            "lake": Lake(str(lake)),
            "environment": {"AWS_ACCESS_KEY_ID": "ui", "AWS_SECRET_ACCESS_KEY": "ui", "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_ENDPOINT_URL": endpoint, "DAGSTER_HOME": str(home),
                            "AWS_ASSETS_INSTANCES": str(instances_file), "AWS_ASSETS_LAKE": str(lake)},
        }


@pytest.fixture(scope="module")
def webserver(estate, tmp_path_factory):
    """`dagster-webserver -w workspace.yaml` as a user starts it; stopped, with its code server, afterwards."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("webserver") / "webserver.log"
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("AWS_", "DAGSTER_"))}
    environment.update(estate["environment"])
    command = [str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml",
               "-h", "127.0.0.1", "-p", str(port)]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"dagster-webserver exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"dagster-webserver did not answer in {STARTUP_SECONDS}s:\n{log_path.read_text()}")
                time.sleep(0.25)
        yield url
    finally:
        # Its own session: the signal reaches the webserver and the code server it started, and nothing else.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path


# Every row of the catalog links to its asset's group; the list renders only the rows in view.
GROUP_LINKS = """() => Array.from(document.querySelectorAll('a[href^="/asset-groups~group"]'),
                                  a => decodeURIComponent(a.getAttribute('href')))"""
SCROLL_LIST = """() => {
  const scrollable = Array.from(document.querySelectorAll('*')).filter(e =>
      e.scrollHeight > e.clientHeight + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowY));
  const list = scrollable.sort((a, b) => b.scrollHeight - a.scrollHeight)[0];
  if (!list) return false;
  const before = list.scrollTop;
  list.scrollTop += list.clientHeight / 2;
  return list.scrollTop > before;
}"""
GROUP_LINK = re.compile(r'^/asset-groups~group:"(?P<group>[^"]+)"/(?P<asset>.+)$')


def test_catalog_lists_every_asset_with_its_group(webserver, estate, page):
    page.goto(f"{webserver}/assets")
    # The account-wide assets' status: every registered account is a partition.
    page.get_by_text(f"{len(estate['accounts'])} partitions").first.wait_for()
    page.wait_for_function("() => !document.body.innerText.includes('Loading')")
    screenshot(page, "catalog.png")
    shown: dict[str, str] = {}
    while True:
        for href in page.evaluate(GROUP_LINKS):
            match = GROUP_LINK.match(href)
            shown[match["asset"]] = match["group"]
        if not page.evaluate(SCROLL_LIST):
            break
        page.wait_for_timeout(50)  # lets the list render the rows scrolled into view

    graph = estate["defs"].resolve_asset_graph()
    expected = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert shown == expected
    assert shown["aws_instance"] == "ec2" and shown["aws_iam_role"] == "iam"
    assert {"account", "ec2", "iam", "s3", "relationships", "analysis"} <= set(shown.values())


def test_partitioned_asset_shows_accounts_regions_and_a_materialized_partition(webserver, estate, page):
    accounts, regions = estate["accounts"], estate["regions"]
    account = accounts[0]
    page.goto(f"{webserver}/assets/aws_instance?view=partitions")
    # The region dimension holds the regions the accounts collect: every partition is materialized, none missing.
    all_partitions = len(accounts) * len(regions)
    page.get_by_text(f"{all_partitions} Partitions Selected").wait_for()
    expect(page.get_by_text(f"Materialized ({all_partitions})")).to_be_visible()
    expect(page.get_by_text("Missing (0)")).to_be_visible()
    expect(page.get_by_text("Failed (0)")).to_be_visible()
    for account_id in accounts:
        expect(page.get_by_text(account_id, exact=True).first).to_be_visible()
    for region in regions:
        expect(page.get_by_text(region, exact=True).first).to_be_visible()
    assert not [r for r in commercial_regions() if r not in regions and page.get_by_text(r, exact=True).count()]

    page.get_by_text(account, exact=True).first.click()
    page.get_by_text(regions[1], exact=True).first.click()
    page.get_by_text(f"{account}|{regions[1]}").first.wait_for()
    page.get_by_text("dagster/row_count").wait_for()

    instances = estate["lake"].read_table("aws_instance").to_pylist()
    in_partition = [row for row in instances if row["accountId"] == account and row["region"] == regions[1]]
    assert in_partition, "the simulated organisation has instances in every synced region"
    # The UI renders Markdown metadata after the rest of the panel: wait for the preview's first row.
    page.get_by_text(in_partition[0]["displayName"], exact=True).first.wait_for()
    screenshot(page, "aws_instance-partition.png")
    details = page.inner_text("body")
    assert re.search(r"dagster/row_count\s+(\d+)", details)[1] == str(len(in_partition))
    preview = page.locator("tr", has_text="preview").first
    # The columns that matter first: the display name, then the key, both in view.
    header = preview.locator("th").all_inner_texts()
    assert header == ["displayName", "_key"]
    for cell in (in_partition[0]["displayName"], in_partition[0]["_key"]):
        expect(preview.get_by_text(cell, exact=True).first).to_be_in_viewport()
    for row in in_partition[:5]:  # the preview's rows
        assert row["displayName"] in details
    assert "sync" in details


# Each collapsed group of the lineage, with the fill colour of each status tag it shows.
GROUP_STATUSES = """() => Array.from(document.querySelectorAll('[class*=collapsedGroupNodeBox]'), box => ({
  group: box.querySelector('[data-tooltip]')?.getAttribute('data-tooltip'),
  fetching: box.innerText.includes('fetching statuses'),
  tags: Array.from(box.querySelectorAll('.BaseTag'), tag => tag.style.getPropertyValue('--tag-fill-color'))}))"""
HEALTHY = "var(--color-background-green)"  # materialized; yellow is missing, red failed


def test_the_lineage_of_a_healthy_estate_colours_no_group_as_missing_or_failed(webserver, estate, page):
    expected = {estate["defs"].resolve_asset_graph().get(key).group_name
                for key in estate["defs"].resolve_asset_graph().get_all_asset_keys()}
    # Every group in view (the UI fetches what is shown), and at a zoom where a group shows its status tags: the
    # graph is fitted to the window, which must be as wide as its columns of groups and as tall as its rows.
    page.set_viewport_size({"width": 1800, "height": 200 * len(expected)})
    page.goto(f"{webserver}/asset-groups")
    page.wait_for_function(f"""() => {{ const groups = ({GROUP_STATUSES})();
        return groups.length === {len(expected)} && groups.every(g => !g.fetching); }}""", timeout=240_000)
    screenshot(page, "lineage.png")
    groups = page.evaluate(GROUP_STATUSES)
    assert {group["group"] for group in groups} == expected
    coloured = {group["group"]: sorted(set(group["tags"])) for group in groups}
    assert coloured == {group: [HEALTHY] for group in expected}


def test_the_findings_overview_shows_the_counts_per_severity_and_the_top_rules(webserver, estate, page):
    findings = estate["lake"].read_table("findings").to_pylist()
    by_severity = Counter(row["severity"] for row in findings)
    by_rule = Counter(row["ruleId"] for row in findings)
    assert by_severity["critical"] and by_severity["high"], "the simulated organisation has critical and high findings"
    page.goto(f"{webserver}/assets/findings")
    summary = page.locator("tr", has_text="summary").first
    summary.get_by_text("Top rules:").wait_for()
    summary.scroll_into_view_if_needed()
    screenshot(page, "findings-overview.png")
    counts = " · ".join(f"{by_severity[severity]} {severity}" for severity in SEVERITIES)
    assert counts in summary.inner_text()
    # The rule that found the most comes first (of rules that found as many, the more severe).
    first = summary.locator("li").first.inner_text().split()
    assert int(first[0]) == max(by_rule.values()) == by_rule[first[1]]


def test_the_pictures_asset_shows_who_trusts_whom_and_what_the_internet_reaches(webserver, estate, page):
    page.goto(f"{webserver}/assets/graph_pictures")
    for name, title in [("trust_picture", "Who may assume the roles"), ("internet_picture", "What the internet")]:
        row = page.locator("tr", has_text=name).first
        row.get_by_text("[Show Markdown]").click()
        image = page.locator(f'img[alt^="{title}"]')
        image.wait_for()
        assert image.get_attribute("src").startswith("data:image/png;base64,")
        width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert width > 500 and height > 300, f"{name} did not render: {width}x{height}"
        screenshot(page, f"{name.replace('_', '-')}.png")
        page.keyboard.press("Escape")
        image.wait_for(state="detached")
