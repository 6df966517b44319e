import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmledger import CostTracker, PriceTable, SQLiteLedger
from llmledger.cli import app
from llmledger.config import parse_config

runner = CliRunner(env={"COLUMNS": "200"})

CONFIG = """
[cost]
strict = true
[cost.providers.openai.o3]
prompt_tokens_per_1k = 0.002
completion_tokens_per_1k = 0.008
"""


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LLMLEDGER_CONFIG", raising=False)
    monkeypatch.delenv("LLMLEDGER_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def test_price_from_config_names_file_and_table(tmp_path: Path) -> None:
    (tmp_path / "llmledger.toml").write_text(CONFIG)
    result = runner.invoke(app, ["price", "openai:o3", "--prompt", "1200", "--completion", "150"])
    assert result.exit_code == 0, result.output
    assert "$0.003600" in result.output
    assert "llmledger.toml [cost.providers.openai.o3]" in result.output


def test_price_json_from_catalog() -> None:
    result = runner.invoke(app, ["price", "openai:gpt-4o-mini", "--prompt", "1000000", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert Decimal(data["total_usd"]) == Decimal("0.15")
    assert data["source"] == "catalog"


def test_price_strict_failure_exits_nonzero(tmp_path: Path) -> None:
    (tmp_path / "llmledger.toml").write_text(CONFIG)
    result = runner.invoke(app, ["price", "openai:gpt-4o", "--prompt", "1"])
    assert result.exit_code == 1
    assert "Pricing not configured for provider=openai, model=gpt-4o" in result.output


def test_config_check_lists_prices_and_reports_typos(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(CONFIG + '[cost.providers.openai."dall-e-3"]\nprice_per_image_hd_1792x1024 = 0.12\n')
    result = runner.invoke(app, ["config", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "strict=true" in result.output
    assert "o3" in result.output and "dall-e-3" in result.output and "hd 1792x1024 $0.12" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[cost.providers.openai.o3]\nprompt_tokens_per_1K = 0.1\n")
    result = runner.invoke(app, ["config", "check", str(bad)])
    assert result.exit_code == 1
    assert "[cost.providers.openai.o3] key 'prompt_tokens_per_1K'" in result.output


def make_ledger(path: Path) -> str:
    prices = PriceTable(parse_config(CONFIG).prices)
    with CostTracker(prices, ledger=SQLiteLedger(path), unit_label="layout_name", name="one_at_a_time") as t:
        for i in range(4):
            t.track_api_call(
                "detect",
                model="o3",
                prompt_tokens=1200,
                completion_tokens=150,
                layout_name=f"l{i % 2}",
                master_id=f"m{i}",
            )
    return t.session_id


def test_sessions_summary_and_report(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    session = make_ledger(db)
    result = runner.invoke(app, ["sessions", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert session in result.output and "one_at_a_time" in result.output and "$0.0144" in result.output

    result = runner.invoke(app, ["summary", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "COST TRACKING SUMMARY" in result.output
    assert "Total cost: $0.0144" in result.output
    assert "Layouts processed: 2" in result.output

    result = runner.invoke(app, ["summary", "--db", str(db), "--by", "layout_name", "--json"])
    data = json.loads(result.output, parse_float=Decimal)
    assert data == {
        "l0": {"calls": 2, "total_tokens": 2700, "total_cost": Decimal("0.0072")},
        "l1": {"calls": 2, "total_tokens": 2700, "total_cost": Decimal("0.0072")},
    }

    out = tmp_path / "report.json"
    result = runner.invoke(app, ["report", "--db", str(db), "--session", session[:12], "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(), parse_float=Decimal)
    assert report["session_summary"]["total_cost"] == Decimal("0.0144")
    assert len(report["detailed_api_calls"]) == 4


def test_missing_ledger_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["summary", "--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 1
    assert "no ledger at" in result.output


def test_budget_set_show_reset(tmp_path: Path) -> None:
    db = str(tmp_path / "b.db")
    result = runner.invoke(app, ["budget", "set", "nightly", "--usd", "100", "--tokens", "5000", "--db", db])
    assert result.exit_code == 0, result.output
    assert "$100.0000" in result.output
    from llmledger.budgets import Budget

    with Budget(db, "nightly", reservations_per_lease=1) as budget:
        budget.reserve(Decimal("1.5")).settle(Decimal("1.25"), 100)
        budget.reserve(Decimal("2"))
    result = runner.invoke(app, ["budget", "show", "nightly", "--db", db, "--json"])
    (row,) = json.loads(result.output, parse_float=Decimal)
    assert (row["settled_usd"], row["reserved_usd"], row["left_usd"]) == (
        Decimal("1.25"),
        Decimal(2),
        Decimal("96.75"),
    )
    assert row["settled_tokens"] == 100
    result = runner.invoke(app, ["budget", "reset", "nightly", "--db", db])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(runner.invoke(app, ["budget", "show", "--db", db, "--json"]).output, parse_float=Decimal)
    assert (row["settled_usd"], row["reserved_usd"], row["limit_usd"]) == (0, 0, Decimal(100))
    assert runner.invoke(app, ["budget", "reset", "nope", "--db", db]).exit_code == 1
    assert runner.invoke(app, ["budget", "set", "x", "--db", db]).exit_code == 1


def test_spill_and_import(tmp_path: Path) -> None:
    from llmledger import LedgerError, MemoryLedger

    class Down(MemoryLedger):
        def write(self, records):  # type: ignore[no-untyped-def]
            raise ConnectionError("server closed the connection")

    spill = tmp_path / "spill.jsonl"
    tracker = CostTracker(PriceTable(parse_config(CONFIG).prices), ledger=Down(), spill_path=spill)
    for i in range(3):
        tracker.track_api_call("op", model="o3", prompt_tokens=1000, completion_tokens=0, request_id=f"r{i}")
    with pytest.raises(LedgerError, match=r"3 records were written to .*spill\.jsonl"):
        tracker.close()
    assert tracker.pending == 0
    db = tmp_path / "l.db"
    result = runner.invoke(app, ["import", str(spill), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "imported 3 records" in result.output
    result = runner.invoke(app, ["import", str(spill), "--db", str(db)])  # again: nothing doubles
    assert SQLiteLedger(db).stats().totals.calls == 3
    assert SQLiteLedger(db).stats().totals.cost_usd == Decimal("0.006")
    assert [s.id for s in SQLiteLedger(db).sessions()] == [tracker.session_id]
