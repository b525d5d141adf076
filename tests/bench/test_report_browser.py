"""The HTML report opened in a real headless Chromium: it loads nothing from the network, its
charts render with data, and `--compare` draws the old run and a table of changes. A
screenshot is kept in build/test-artifacts/ to look at."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.bench.helpers import bench_json
from tests.conftest import ROOT, StartServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "build" / "test-artifacts"


def test_report_opens_in_chromium_with_its_charts_drawn(
    start_server: StartServer, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (scripts/test installs it)")
    server = start_server("echo_stream", "--concurrency", "4")
    load = ("--url", server.url, "--text", "a b c d e f", "-i", "DELAY=5", "-c", "1,2,4", "-n", "6")
    old, _ = bench_json(*load)
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(old))
    report = tmp_path / "report.html"
    new, stderr = bench_json(
        *load, "--slo", "ttft=1s", "--compare", str(old_path), "--report", str(report)
    )
    assert f"report written to {report}" in stderr
    assert "compared with the run of" in stderr
    assert [row["label"] for row in new["compare"]["levels"]] == ["c=1", "c=2", "c=4"]
    html = report.read_text()
    assert "<script" not in html and "http://" not in html.replace(server.url, "")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(report.as_uri())
            charts = page.locator("svg.chart")
            assert charts.count() == 6
            titles = [charts.nth(i).get_attribute("aria-label") for i in range(6)]
            assert titles == [
                "Time to first token",
                "Throughput",
                "End-to-end latency CDF",
                "Inter-event gap histogram",
                "Goodput",
                "Change against the old run",
            ]
            for index in range(6):
                box = charts.nth(index).bounding_box()
                assert box is not None and box["width"] >= 500 and box["height"] >= 300
                lines = charts.nth(index).locator("polyline")
                assert lines.count() >= 2
                # Every line has points, drawn inside the chart.
                for points in lines.evaluate_all("els => els.map(e => e.points.numberOfItems)"):
                    assert points >= 2
            assert "old p50" in (charts.nth(0).text_content() or "")
            assert page.locator("table").count() == 2  # the levels and the comparison
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "bench-report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert requested == [report.as_uri()]
    assert shot.stat().st_size > 20_000
    shutil.copy(report, ARTIFACTS / "bench-report.html")
