"""Labels from context: ``with tracker.labels(...)`` attaches labels to every call recorded inside.

The labels live in a :class:`contextvars.ContextVar`, so they follow the code that runs inside the
block: asyncio tasks created inside it (tasks copy the context when they are created), and
``asyncio.to_thread`` calls. A plain :class:`threading.Thread` does *not* copy the context on
Python 3.11 (threads start with an empty one): start the thread with
``threading.Thread(target=run_in_context(work))``, or submit work through
:class:`ContextThreadPoolExecutor`, and the labels come along.

Labels given to a call explicitly win over labels from the context; an inner block's labels win
over an outer block's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from typing import Any, ParamSpec, TypeVar

from .ledger.record import LabelValue

__all__ = ["ContextThreadPoolExecutor", "context_labels", "current_labels", "run_in_context"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

_NO_LABELS: Mapping[str, LabelValue] = {}
CONTEXT_LABELS: ContextVar[Mapping[str, LabelValue]] = ContextVar("llmledger_labels", default=_NO_LABELS)
"""The labels of the current context (read by the tracker's recording path)."""


@contextmanager
def context_labels(**labels: LabelValue) -> Iterator[Mapping[str, LabelValue]]:
    """Attach ``labels`` to every call recorded inside the block (by any tracker).

    Yields:
        The labels now in effect (the outer blocks' merged with these).
    """
    merged = {**CONTEXT_LABELS.get(), **labels}
    token = CONTEXT_LABELS.set(merged)
    try:
        yield merged
    finally:
        CONTEXT_LABELS.reset(token)


def current_labels() -> Mapping[str, LabelValue]:
    """The labels the current context attaches to calls (empty outside any block)."""
    return CONTEXT_LABELS.get()


def run_in_context(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """Bind ``fn`` to a copy of the current context, for a thread that would start without it.

    ``threading.Thread(target=run_in_context(work)).start()`` runs ``work`` with the labels that
    were in effect when ``run_in_context`` was called.
    """
    context = copy_context()

    def run(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return context.run(fn, *args, **kwargs)

    return run


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A :class:`~concurrent.futures.ThreadPoolExecutor` whose tasks run in the submitter's context.

    Each :meth:`submit` (and so :meth:`map`) copies the context at submission, as
    ``asyncio.to_thread`` does, so labels set around the submission reach the task.
    """

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        """Schedule ``fn(*args, **kwargs)`` in a copy of the current context."""
        return super().submit(copy_context().run, fn, *args, **kwargs)
