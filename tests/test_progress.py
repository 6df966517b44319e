import io
from decimal import Decimal

from llmledger import CostProgress, CostTracker, PriceTable
from llmledger.config import parse_config

PRICES = PriceTable(parse_config("[cost.providers.openai.m]\nprompt_tokens_per_1k = 0.01\n").prices)


def test_plain_lines_every_n_and_at_the_end() -> None:
    out = io.StringIO()
    tracker = CostTracker(PRICES)
    with CostProgress(tracker, total=25, unit_word="masters", every=10, stream=out):
        for i in range(25):
            tracker.track_api_call("op", model="openai:m", prompt_tokens=100 * (i + 1), completion_tokens=0)
    lines = out.getvalue().splitlines()
    assert lines == [
        "Processing 10/25 masters...",
        "  -> API call cost: $0.0100 (Running total: $0.0550)",
        "Processing 20/25 masters...",
        "  -> API call cost: $0.0200 (Running total: $0.2100)",
        "Processing 25/25 masters...",
        "  -> API call cost: $0.0250 (Running total: $0.3250)",
    ]
    assert tracker.total_cost == Decimal("0.325")


def test_stops_listening_after_the_block() -> None:
    out = io.StringIO()
    tracker = CostTracker(PRICES)
    progress = CostProgress(tracker, total=2, every=1, stream=out)
    with progress:
        tracker.track_api_call("op", model="openai:m", prompt_tokens=1, completion_tokens=0)
    tracker.track_api_call("op", model="openai:m", prompt_tokens=1, completion_tokens=0)
    assert progress.done == 1


def test_rich_bar_shows_running_cost() -> None:
    out = io.StringIO()
    tracker = CostTracker(PRICES)
    with CostProgress(tracker, total=3, unit_word="layouts", plain=False, stream=out):
        for _ in range(3):
            tracker.track_api_call("op", model="openai:m", prompt_tokens=1000, completion_tokens=0)
    text = out.getvalue()
    assert "3/3" in text
    assert "$0.0300" in text
    assert "Processing 3/3" not in text  # no plain lines when the bar is shown
