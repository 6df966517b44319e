"""The HTML report: self-contained, offline, and rendered by headless Chromium without console errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmledger import SQLiteLedger
from llmledger.cli import app
from llmledger.ledger.record import CallRecord, SessionInfo

pytest.importorskip("plotly")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
NO_CHROMIUM = "chromium is not installed (`make test` runs scripts/ensure-chromium.sh, which needs root and apt-get)"
runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def report_db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    ledger = SQLiteLedger(path)
    ledger.add_session(SessionInfo(id="s1", started_at=1_700_000_000, unit_label="layout_name", name="hybrid"))
    records = [
        CallRecord(
            id=f"c{i}",
            timestamp=1_700_000_000 + 7 * i,
            session_id="s1",
            operation_type=("panel_count", "fallback")[i % 2],
            model=("gpt-4o", "gpt-4o-mini")[i % 3 == 0],
            prompt_tokens=1000 + i,
            completion_tokens=20,
            cost_usd=Decimal("0.001") * (1 + i % 5),
            labels={"layout_name": f"layout_{i % 12:03d}.jpg", "master_id": f"m{i % 7}"},
        )
        for i in range(300)
    ]
    ledger.write(records)
    ledger.close()
    return path


def _render(report_db: Path, out: Path) -> None:
    result = runner.invoke(
        app, ["report", "--db", str(report_db), "--html", str(out), "--by", "master_id", "--by", "day"]
    )
    assert result.exit_code == 0, result.output


def test_html_is_self_contained(report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    _render(report_db, out)
    text = out.read_text(encoding="utf-8")
    assert text.count("<script") >= 7  # plotly.js once, then one per chart
    assert not re.search(r"<script[^>]+src=", text), "no external scripts"
    assert not re.search(r"<link[^>]+href=\"?https?:", text), "no external stylesheets"
    for title in ("Cost over time", "Cost by model", "Cost by operation", "Cost by master_id", "Cost by day"):
        assert title in text
    assert "Cost per layout (12 layouts)" in text
    assert "Most expensive calls" in text and "Most expensive layouts" in text


@pytest.mark.skipif(not HAVE_CHROMIUM, reason=NO_CHROMIUM)
def test_chromium_renders_charts_without_console_errors(report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    _render(report_db, out)
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    url = out.as_uri()
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1400,2400", url], capture_output=True, text=True, timeout=120
    )
    assert shot.exists() and shot.stat().st_size > 10_000, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, "\n".join(console)
    dom = subprocess.run(
        [*flags, "--virtual-time-budget=5000", "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    charts = len(re.findall(r'<svg class="main-svg"', dom.stdout))
    assert charts >= 7, f"{charts} plotly svgs in the DOM\n{dom.stderr[-2000:]}"
    errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not errors, "\n".join(errors)
