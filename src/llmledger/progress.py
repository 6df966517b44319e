"""Live progress of a tracked batch: a rich bar on a terminal, plain lines otherwise.

On a terminal: a bar with done/total, the running cost and the last call's cost. Elsewhere (a log
file, CI), every ``every`` completions, two plain lines::

    Processing 10/41 masters...
      -> API call cost: $0.0234 (Running total: $0.2340)
"""

from __future__ import annotations

import sys
import threading
from decimal import Decimal
from types import TracebackType
from typing import IO, TYPE_CHECKING, Self

from .money import format_usd

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from .ledger.record import CallRecord
    from .tracker import CostTracker

__all__ = ["CostProgress"]


class CostProgress:
    """Show a batch's progress and running cost while it runs.

    Use it as a context manager around the batch; it listens to the tracker, so every call the
    tracker records advances it.

    Args:
        tracker: the tracker whose calls are counted.
        total: how many calls (or units) the batch has.
        unit_word: what is counted, plural (``masters``, ``layouts``).
        every: plain mode prints every this many completions (and at the last one).
        plain: force plain lines (``True``) or the bar (``False``); default: the bar on a terminal.
        stream: where plain lines go (default ``sys.stdout``).
    """

    def __init__(
        self,
        tracker: CostTracker,
        total: int,
        *,
        unit_word: str = "calls",
        every: int = 10,
        plain: bool | None = None,
        stream: IO[str] | None = None,
        description: str | None = None,
    ) -> None:
        self.tracker = tracker
        self.total = total
        self.unit_word = unit_word
        self.every = max(1, every)
        self.stream = stream or sys.stdout
        self.plain = plain if plain is not None else not self.stream.isatty()
        self.description = description or f"Processing {unit_word}"
        self.done = 0
        """Completions so far."""
        self.last_cost: Decimal | None = None
        """The cost of the last call (``None``: unknown)."""
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        if not self.plain:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("total [green]{task.fields[total_cost]}"),
                TextColumn("last {task.fields[last_cost]}"),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self.description, total=self.total, total_cost=format_usd(Decimal(0)), last_cost="-"
            )
        self.tracker.add_listener(self._on_record)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.tracker.remove_listener(self._on_record)
        if self._progress is not None:
            self._progress.stop()

    def _on_record(self, record: CallRecord) -> None:
        self.advance(record.cost_usd)

    def advance(self, cost: Decimal | None) -> None:
        """Count one completion that cost ``cost``."""
        with self._lock:
            self.done += 1
            self.last_cost = cost
            done = self.done
        running = self.tracker.total_cost
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task, completed=done, total_cost=format_usd(running), last_cost=format_usd(cost)
            )
        elif done % self.every == 0 or done == self.total:
            self.stream.write(
                f"Processing {done}/{self.total} {self.unit_word}...\n"
                f"  -> API call cost: {format_usd(cost)} (Running total: {format_usd(running)})\n"
            )
            self.stream.flush()
