"""The examples in ``examples/`` run offline and print what the guide says they print."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from llmledger import ExplicitCostReporter, ImageAgent, UsageLimits
from llmledger.reporter import explicit_cost

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SRC = ROOT / "src"
# settings that would make an example leave this machine or read another config
_OUTSIDE_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLMLEDGER_CONFIG", "LLMLEDGER_DB")


def run_example(name: str, cwd: Path) -> str:
    """Run ``examples/<name>.py`` as a user would, offline, with every warning an error."""
    env = {key: value for key, value in os.environ.items() if key not in _OUTSIDE_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / f"{name}.py")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    # unraisable errors (an unclosed socket's ResourceWarning) do not change the exit code
    assert proc.stderr == ""
    assert list(cwd.iterdir()) == [], "an example left files in the working directory"
    return proc.stdout


def usd(text: str, pattern: str) -> Decimal:
    """The dollar amount captured by ``pattern``'s first group."""
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not in:\n{text}"
    return Decimal(match[1].replace(",", ""))


@pytest.fixture
def examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``examples/`` importable and the environment offline."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    for key in _OUTSIDE_ENV:
        monkeypatch.delenv(key, raising=False)


def load(name: str) -> ModuleType:
    return importlib.import_module(name)


# -- each example as a subprocess --------------------------------------------------------------


def test_quick_start(tmp_path: Path) -> None:
    out = run_example("quick_start", tmp_path)
    step = usd(out, r"Step solution: cost_usd=\$(\S+), token_counts=\d+")
    total = usd(out, r"Total: \$(\S+) for \d+ tokens")
    assert Decimal(0) < step == total
    assert "Output: Offline reply" in out


def test_strict_pricing(tmp_path: Path) -> None:
    out = run_example("strict_pricing", tmp_path)
    assert usd(out, r"gpt-4o: cost_usd=\$(\S+) for \d+ tokens \(price from llmledger.toml\)") > 0
    assert "gpt-4o-mini refused: Pricing not configured for provider=openai, model=gpt-4o-mini\n" in out
    assert "0 requests sent for gpt-4o-mini" in out


def test_image_model(tmp_path: Path) -> None:
    out = run_example("image_model", tmp_path)
    assert "Images: 1 x hd 1792x1024" in out
    assert "Step illustrate (dall-e-3): $0.1200" in out
    assert "cost_usd == Decimal('0.120'): True" in out


def test_complex_pipeline(tmp_path: Path) -> None:
    out = run_example("complex_pipeline", tmp_path)
    assert "Review: Review(approved=" in out
    rows = re.findall(r"^(solution|validate|reflect|illustrate) +(\S+) +(\d+) +\$(\S+)$", out, re.M)
    assert [(name, model) for name, model, _, _ in rows] == [
        ("solution", "gpt-4o"),
        ("validate", "gpt-4o-mini"),
        ("reflect", "gpt-4o"),
        ("illustrate", "dall-e-3"),
    ]
    assert rows[3][2:] == ("0", "0.040000")
    total = usd(out, r"(?m)^total +\d+ +\$(\S+)$")
    assert total == sum(Decimal(cost) for *_, cost in rows)
    assert "COST TRACKING SUMMARY" in out
    assert "Total API calls: 4" in out
    assert "Images generated: 1" in out


def test_usage_limits(tmp_path: Path) -> None:
    out = run_example("usage_limits", tmp_path)
    cost_case, token_case = out.split("Token limit 1,000\n")
    assert "refused before sending: Cost limit of $0.0100 would be exceeded" in cost_case
    assert "refused before sending: Token limit of 1,000 would be exceeded" in token_case
    for case in (cost_case, token_case):
        assert re.search(r"step 1 draft \(gpt-4o-mini\): \d+ tokens, \$0\.0000\d\d", case)
        assert "not run: polish" in case
    assert usd(cost_case, r"spent \$(\S+) of the \$0.0100 limit") < Decimal("0.01")
    used = re.search(r"used (\d+) of the 1,000-token limit", token_case)
    assert used is not None
    assert int(used[1]) < 1000
    assert "Requests sent: 2 (one draft per run; no polish request)" in out


def test_explicit_cost_reporter(tmp_path: Path) -> None:
    out = run_example("explicit_cost_reporter", tmp_path)
    assert "Output: [fr] Offline reply" in out
    chat = usd(out, r"solution +\d+ tokens +\$(\S+) +\(priced from the model's rates\)")
    reported = usd(out, r"translate +\d+ tokens +\$(\S+) +\(reported by the agent\)")
    assert reported == Decimal("0.0025")
    assert usd(out, r"Total: \$(\S+)") == chat + reported


# -- pieces in-process ---------------------------------------------------------------------------


@pytest.mark.usefixtures("examples")
def test_offline_openai_sets_and_restores_env(monkeypatch: pytest.MonkeyPatch) -> None:
    offline = load("_offline")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://before.invalid/v1")
    with offline.offline_openai() as server:
        assert server is not None
        assert os.environ["OPENAI_BASE_URL"] == server.base_url
        assert os.environ["OPENAI_API_KEY"] == "offline"
    assert os.environ["OPENAI_BASE_URL"] == "http://before.invalid/v1"
    assert "OPENAI_API_KEY" not in os.environ


@pytest.mark.usefixtures("examples")
def test_offline_openai_does_nothing_with_a_real_key(monkeypatch: pytest.MonkeyPatch) -> None:
    offline = load("_offline")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real")
    with offline.offline_openai() as server:
        assert server is None
        assert "OPENAI_BASE_URL" not in os.environ
    assert os.environ["OPENAI_API_KEY"] == "sk-real"


@pytest.mark.usefixtures("examples")
def test_translator_result_is_an_explicit_cost_reporter() -> None:
    example = load("explicit_cost_reporter")
    result = asyncio.run(example.InHouseTranslator().run("two words"))
    assert isinstance(result, ExplicitCostReporter)
    assert explicit_cost(result) == (Decimal("0.0025"), 4)


@pytest.mark.usefixtures("examples")
def test_pipelines_are_built_as_described() -> None:
    offline = load("_offline")
    complex_pipeline = load("complex_pipeline")
    usage_limits = load("usage_limits")
    with offline.offline_openai():
        four = complex_pipeline.build_pipeline()
        two = usage_limits.build_pipeline()
    assert four.name == "explain-and-illustrate"
    assert [step.name for step in four.steps] == ["solution", "validate", "reflect", "illustrate"]
    assert four.steps[1].agent.output_type is complex_pipeline.Review
    assert isinstance(four.steps[3].agent, ImageAgent)
    assert [step.name for step in two.steps] == ["draft", "polish"]
    assert two.steps[1].agent.model_settings == {"max_tokens": 2000}


@pytest.mark.usefixtures("examples")
def test_usage_limits_run_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    offline = load("_offline")
    usage_limits = load("usage_limits")
    with offline.offline_openai() as server:
        usage_limits.run_with(UsageLimits(total_cost_usd_limit=Decimal("0.01")))
        assert server is not None
        assert server.hits == 1
    assert "not run: polish" in capsys.readouterr().out
