"""The batch demo behind ``llmledger demo`` (and ``make demo``).

A batch job compares page layouts against master images with a vision model, one call per
(layout, master) pair in worker processes, or one panel-counting call per layout with a
one-at-a-time fallback for the masters it leaves uncertain. Every call goes through the real
``openai`` SDK to a local OpenAI-compatible server, and each way runs as one tracker session in a
SQLite ledger, so the two can be compared to the cent::

    from llmledger.demo import run_demo

    result = run_demo(layouts=3, masters=41)
    print(result.saving_percent)
"""

from ._result import MODES, DemoResult, Mode, ModeResult, report_path_for, saving_line
from ._run import run_demo
from ._scenario import demo_responder

__all__ = [
    "MODES",
    "DemoResult",
    "Mode",
    "ModeResult",
    "demo_responder",
    "report_path_for",
    "run_demo",
    "saving_line",
]
