"""compare, estimate, summary filters and CSV, report --json with --html, on a SQLite ledger."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmledger import SQLiteLedger
from llmledger.cli import app
from llmledger.ledger.record import CallRecord, SessionInfo

runner = CliRunner(env={"COLUMNS": "200"})
T0 = 1_740_823_200.0  # 2025-03-01T10:00:00Z


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("LLMLEDGER_DB", raising=False)
    path = tmp_path / "l.db"
    ledger = SQLiteLedger(path)
    ledger.add_session(SessionInfo(id="20250301-a1", started_at=T0, unit_label="layout_name", name="one_at_a_time"))
    ledger.add_session(SessionInfo(id="20250301-b2", started_at=T0 + 1, unit_label="layout_name", name="hybrid"))
    records = []
    for u in range(3):
        for k in range(4):  # A: 4 calls of $0.025 per layout = $0.10
            records.append(
                CallRecord(
                    id=f"a{u}{k}",
                    timestamp=T0 + 86400 * (u == 2) + k,
                    session_id="20250301-a1",
                    operation_type="pair",
                    model="gpt-4o",
                    prompt_tokens=900,
                    completion_tokens=100,
                    cost_usd=Decimal("0.025"),
                    labels={"layout_name": f"l{u}", "master_id": f"m{k}"},
                )
            )
        records.append(  # B: 1 call of $0.004 per layout
            CallRecord(
                id=f"b{u}",
                timestamp=T0 + 10 + u,
                session_id="20250301-b2",
                operation_type="panel",
                model="gpt-4o",
                prompt_tokens=1800,
                completion_tokens=200,
                cost_usd=Decimal("0.004"),
                labels={"layout_name": f"l{u}"},
            )
        )
    ledger.write(records)
    ledger.close()
    return str(path)


def test_compare_table_and_json(db: str) -> None:
    result = runner.invoke(app, ["compare", "one_at_a_time", "hybrid", "--db", db])
    assert result.exit_code == 0, result.output
    assert "hybrid saves 96.0% against one_at_a_time ($0.0120 vs $0.3000)" in result.output
    assert "$0.1000" in result.output and "$0.0040" in result.output
    data = json.loads(runner.invoke(app, ["compare", "20250301-a", "20250301-b", "--db", db, "--json"]).output)
    assert data["saving_percent"] == 96.0
    assert data["totals"]["a"]["total_cost"] == 0.3 and data["totals"]["b"]["calls"] == 3
    assert [u["unit"] for u in data["units"]] == ["l0", "l1", "l2"]
    assert data["units"][0]["a"]["cost_per_1k_tokens"] == 0.025


def test_compare_where_and_since(db: str) -> None:
    data = json.loads(
        runner.invoke(
            app, ["compare", "one_at_a_time", "hybrid", "--db", db, "--json", "--where", "layout_name=l1"]
        ).output
    )
    assert data["totals"]["a"]["total_cost"] == 0.1 and data["units_b"] == 1
    day2 = json.loads(
        runner.invoke(app, ["compare", "one_at_a_time", "hybrid", "--db", db, "--json", "--since", "2025-03-02"]).output
    )
    assert day2["totals"]["a"]["calls"] == 4 and day2["totals"]["b"]["calls"] == 0
    assert day2["saving_percent"] == 100.0


def test_estimate_degenerate_sample(db: str) -> None:
    result = runner.invoke(app, ["estimate", "--from", "hybrid", "--units", "10000", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["projected_cost"] == data["interval"]["low"] == data["interval"]["high"] == 40
    assert data["budget"] == 40 and data["expected_calls"] == 10_000 and data["expected_tokens"] == 20_000_000
    assert "only 3 units" in data["warnings"][0]
    table = runner.invoke(app, ["estimate", "--from", "hybrid", "--units", "10000", "--db", db])
    assert "$40.00 - $40.00" in table.output and "warning: only 3 units" in table.output


def test_estimate_without_units_fails(db: str) -> None:
    result = runner.invoke(app, ["estimate", "--from", "hybrid", "--units", "10", "--unit", "nope", "--db", db])
    assert result.exit_code == 1 and "no calls labelled 'nope'" in result.output


def test_summary_by_day_csv_and_filters(db: str, tmp_path: Path) -> None:
    out = tmp_path / "days.csv"
    result = runner.invoke(app, ["summary", "--db", db, "-s", "one_at_a_time", "--by", "day", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "2025-03-01" in result.output and "2025-03-02" in result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert {r["day"]: (r["calls"], r["cost_usd"]) for r in rows} == {
        "2025-03-01": ("8", "0.2"),
        "2025-03-02": ("4", "0.1"),
    }
    calls = tmp_path / "calls.csv"
    result = runner.invoke(
        app, ["summary", "--db", db, "-s", "one_at_a_time", "--until", "2025-03-01", "--csv", str(calls), "--json"]
    )
    assert json.loads(result.stdout)["total_api_calls"] == 8
    assert len(list(csv.DictReader(calls.read_text().splitlines()))) == 8
    bad = runner.invoke(app, ["summary", "--db", db, "--where", "nolabel"])
    assert bad.exit_code == 1 and "expected label=value" in bad.output


def test_report_json_and_html_together(db: str, tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    result = runner.invoke(
        app,
        ["report", "--db", db, "-s", "hybrid", "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["session_summary"]["total_api_calls"] == 3
    assert "Plotly" in (tmp_path / "r.html").read_text()
    none = runner.invoke(app, ["report", "--db", db])
    assert none.exit_code == 1 and "give --json" in none.output


def test_unknown_session(db: str) -> None:
    result = runner.invoke(app, ["compare", "nope", "hybrid", "--db", db])
    assert result.exit_code == 1 and "no session 'nope'" in result.output
