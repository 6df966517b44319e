"""Run a batch of worker calls with live progress: tracked through ``tracked_map``, or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ..ledger.record import LabelValue
from ..progress import CostProgress
from ..tracker import CostTracker
from ..workers import tracked_map
from ._worker import result_only

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["Batch"]

T = TypeVar("T")
R = TypeVar("R")

EVERY = 10
"""Plain progress prints every this many completions."""


@dataclass(slots=True, kw_only=True)
class Batch:
    """Runs worker calls in processes and counts them; records them when there is a tracker."""

    tracker: CostTracker | None
    """Where calls are recorded; ``None``: cost tracking is off."""
    workers: int
    """Worker processes."""
    plain: bool | None
    """Force plain progress lines (``True``) or the bar (``False``); ``None``: auto."""
    out: IO[str]
    """Where progress goes."""
    calls: int = 0
    """Calls made so far."""
    errors: list[str] = field(default_factory=list)
    """Every failed call, as ``Type: message``."""
    _pool: Executor | None = None

    def pool(self) -> Executor:
        """The worker processes, started once for the whole batch (spawn: safe with threads)."""
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(
        self,
        fn: Callable[[T], tuple[R, Any]],
        tasks: Sequence[T],
        *,
        operation_type: str,
        labels: Callable[[T], Mapping[str, LabelValue]],
        unit_word: str,
        description: str,
    ) -> list[R | None]:
        """Call ``fn`` on every task; return the results in order (``None``: the call failed)."""
        self.calls += len(tasks)
        if self.tracker is None:
            return self._run_untracked(fn, tasks, unit_word)
        progress = CostProgress(
            self.tracker,
            len(tasks),
            unit_word=unit_word,
            every=EVERY,
            plain=self.plain,
            stream=self.out,
            description=description,
        )
        with progress:
            outcomes = tracked_map(
                fn,
                tasks,
                tracker=self.tracker,
                operation_type=operation_type,
                workers=self.workers,
                labels=labels,
                executor=self.pool(),
            )
        self.errors += [o.error for o in outcomes if o.error is not None]
        return [o.result for o in outcomes]

    def _run_untracked(self, fn: Callable[[T], tuple[R, Any]], tasks: Sequence[T], unit_word: str) -> list[R | None]:
        from concurrent.futures import as_completed

        results: list[R | None] = [None] * len(tasks)
        pool = self.pool()
        futures = {pool.submit(result_only, fn, task): i for i, task in enumerate(tasks)}
        for done, future in enumerate(as_completed(futures), start=1):
            try:
                results[futures[future]] = future.result()
            except Exception as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            if done % EVERY == 0 or done == len(tasks):
                self.out.write(f"Processing {done}/{len(tasks)} {unit_word}...\n")
                self.out.flush()
        return results
