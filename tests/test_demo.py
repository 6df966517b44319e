"""The batch demo, end to end: real openai SDK, worker processes, local server, SQLite ledger."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmledger import SQLiteLedger
from llmledger.cli import app
from llmledger.demo import DemoResult, demo_responder, report_path_for, run_demo
from llmledger.demo._scenario import layout_names, master_ids, pair_request, panel_request
from llmledger.testing import count_prompt_tokens

LAYOUTS, MASTERS, WORKERS = 2, 5, 2


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str, Path]:
    root = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    result = run_demo(
        layouts=LAYOUTS,
        masters=MASTERS,
        workers=WORKERS,
        db=root / "ledger.db",
        cost_report=root / "cost_report.json",
        plain=True,
        out=out,
    )
    return result, out.getvalue(), root


def test_calls_per_mode(demo_run: tuple[DemoResult, str, Path]) -> None:
    result, _, _ = demo_run
    one, hybrid = result.modes["one_at_a_time"], result.modes["hybrid"]
    assert one.calls == LAYOUTS * MASTERS
    assert one.failed_calls == hybrid.failed_calls == 0
    assert hybrid.fallback_layouts == 1  # layout_001.jpg's panel count is ambiguous
    assert hybrid.fallback_calls > 0
    assert hybrid.calls == LAYOUTS + hybrid.fallback_calls


def test_hybrid_is_cheaper_and_prompt_cache_hits(demo_run: tuple[DemoResult, str, Path]) -> None:
    result, output, _ = demo_run
    one, hybrid = result.modes["one_at_a_time"], result.modes["hybrid"]
    assert one.total_cost is not None and hybrid.total_cost is not None
    assert Decimal(0) < hybrid.total_cost < one.total_cost
    assert one.cached_tokens > 0
    assert result.saving_percent is not None and result.saving_percent > 0
    assert f"Hybrid saves {result.saving_percent}% against one-at-a-time" in output
    assert output.count("COST TRACKING SUMMARY") == 2
    assert "Prices: gpt-4o from " in output


def test_ledger_sessions_and_labels(demo_run: tuple[DemoResult, str, Path]) -> None:
    result, _, root = demo_run
    ledger = SQLiteLedger(root / "ledger.db")
    try:
        names = {info.name: info.id for info in ledger.sessions()}
        assert names == {mode: r.session_id for mode, r in result.modes.items()}
        one = ledger.stats(names["one_at_a_time"], unit_label="layout_name")
        assert one.units == LAYOUTS
        assert set(one.by_operation) == {"one_at_a_time_detection"}
        assert len(ledger.breakdown("master_id", names["one_at_a_time"])) == MASTERS
        hybrid = ledger.stats(names["hybrid"])
        assert set(hybrid.by_operation) == {"hybrid_panel_count", "fallback_one_at_a_time_detection"}
        assert hybrid.by_operation["hybrid_panel_count"].calls == LAYOUTS
    finally:
        ledger.close()


def test_reports_match_the_ledger_exactly(demo_run: tuple[DemoResult, str, Path]) -> None:
    result, _, root = demo_run
    ledger = SQLiteLedger(root / "ledger.db")
    try:
        for mode, outcome in result.modes.items():
            path = root / f"cost_report.{mode}.json"
            assert outcome.report_path == path
            report = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
            total = ledger.stats(outcome.session_id).totals.cost_usd
            assert report["session_summary"]["total_cost"] == total == outcome.total_cost
            assert len(report["detailed_api_calls"]) == outcome.calls
    finally:
        ledger.close()


def test_one_mode_without_tracking(tmp_path: Path) -> None:
    out = io.StringIO()
    result = run_demo(["hybrid"], layouts=1, masters=3, workers=1, track_costs=False, db=tmp_path / "l.db", out=out)
    assert result.db_path is None and list(result.modes) == ["hybrid"]
    assert result.modes["hybrid"].calls == 1  # fallback is off when only hybrid runs
    assert result.modes["hybrid"].total_cost is None
    assert "costs were not tracked" in out.getvalue()
    assert not (tmp_path / "l.db").exists()


def test_cli_demo(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    args = ["demo", "--layouts", "1", "--masters", "3", "--concurrent-workers", "2", "--db", str(db)]
    outcome = CliRunner().invoke(app, args)
    assert outcome.exit_code == 0, outcome.output
    assert "COST TRACKING SUMMARY" in outcome.output
    assert re.search(r"Hybrid (saves|costs) [0-9.]+% ", outcome.output)
    assert f"llmledger summary --db {db} --session " in outcome.output
    assert db.exists()


def test_cli_live_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    outcome = CliRunner().invoke(app, ["demo", "--live"])
    assert outcome.exit_code == 1
    assert "OPENAI_API_KEY" in outcome.output


def test_shared_prefix_is_long_enough_to_cache() -> None:
    layout, masters = "layout_001.jpg", master_ids(3)
    one = pair_request("gpt-4o", layout, masters[0])
    prefix = {
        **one,
        "messages": [one["messages"][0], {"role": "user", "content": one["messages"][1]["content"][:2]}],
    }
    assert count_prompt_tokens(prefix) > 1024
    assert count_prompt_tokens(panel_request("gpt-4o", layout, tuple(master_ids(41)))) > count_prompt_tokens(one)


def test_responder_is_deterministic_and_consistent() -> None:
    masters = tuple(master_ids(41))
    for layout in layout_names(10):
        panels = json.loads(demo_responder(panel_request("gpt-4o", layout, masters)))
        assert set(panels["matches"]).isdisjoint(panels["uncertain"])
        for master in panels["matches"]:
            assert json.loads(demo_responder(pair_request("gpt-4o", layout, master)))["match"] is True
    answers = [demo_responder(panel_request("gpt-4o", name, masters)) for name in layout_names(10)]
    assert sum(bool(json.loads(a)["uncertain"]) for a in answers) in range(1, 5)


def test_report_path_for() -> None:
    assert report_path_for(Path("out/cost_report.json"), "hybrid", several=True) == Path("out/cost_report.hybrid.json")
    assert report_path_for(Path("r.json"), "hybrid", several=False) == Path("r.json")
