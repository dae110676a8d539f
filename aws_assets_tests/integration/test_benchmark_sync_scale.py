"""The organisation-scale benchmark (benchmarks/sync_scale.py) on the smallest estate, so that it cannot rot: its
figures add up, both rows are there, and the sync's lake holds what it seeded."""

import json
import subprocess
import sys

import pytest

from aws_assets.lake.storage import Lake
from aws_assets_tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_the_scale_benchmark_measures_the_sync_and_the_baseline(tmp_path):
    figures_file = tmp_path / "figures.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "sync_scale.py"), "--accounts", "2", "--regions", "1",
         "--latency-ms", "0", "--estate", "light", "--baseline-accounts", "1", "--work-dir", str(tmp_path / "work"),
         "--json", str(figures_file)],
        capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    figures = json.loads(figures_file.read_text())
    rows = {row["label"]: row for row in figures["rows"]}
    assert set(rows) == {"sync (parallel)", "baseline (a run per partition)",
                         "baseline (a run per partition), extrapolated"}
    assert "sync (parallel)" in completed.stdout and "baseline (a run per partition)" in completed.stdout

    synced, baseline = rows["sync (parallel)"], rows["baseline (a run per partition)"]
    assert (synced["accounts"], synced["regions"], baseline["accounts"]) == (2, 1, 1)
    assert rows["baseline (a run per partition), extrapolated"]["accounts"] == 2
    for row in (synced, baseline):
        assert row["ok"], row["failures"]
        assert row["requests"] > 0 and 0 < row["api_calls"] <= row["requests"]
        assert 0 < row["busiest_serial"] <= row["serial"]
        assert row["wall"] > row["graph"] > 0
        assert row["cpu"] > 0 and row["peak_rss_mib"] > 0 and row["storage_mib"] > 0 and row["events"] > 0
    # Both accounts make the same calls; the baseline, one of them, about half as many.
    assert baseline["requests"] * 2 == pytest.approx(synced["requests"], rel=0.1)

    accounts = Lake(synced["lake"]).read_table("aws_account")
    assert accounts.num_rows == 2
