"""Record every call made through an SDK client, without changing the code that makes them.

``tracker.instrument(client)`` meters an ``openai.OpenAI`` / ``AsyncOpenAI``, an
``anthropic.Anthropic`` / ``AsyncAnthropic``, a ``google.genai.Client`` (``client.aio`` too) or a
pydantic-ai ``Agent``, in place, and returns it. Nothing in the SDKs' modules or classes is
changed: the client *instance* gets metering proxies for its resources (``client.chat``,
``client.messages``, ``client.models``), so other clients of the same class stay untouched, and
``tracker.uninstrument(client)`` puts the originals back. An agent gets its ``model`` wrapped in a
metering pydantic-ai ``WrapperModel``.

Each call is recorded once with its usage, model, cost and latency, failures included; streams
when they end (see :mod:`llmledger.instrument._streams`). With ``budget=`` or ``usage_limits=``
on the tracker, each call first reserves its worst case (prompt bound plus output cap) and, when
the caller set no output cap, is sent with the cap the remaining budget affords; a call that
cannot fit raises :class:`~llmledger.UsageLimitExceededError` and is not sent.

The SDKs are imported here only when a client of theirs is instrumented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..ledger.record import LabelValue
from ._recording import Instrumentation

if TYPE_CHECKING:
    from ..tracker import CostTracker

__all__ = ["instrument", "instrumentation_of", "uninstrument"]

_T = TypeVar("_T")
_STATE = "_llmledger_instrumentation"


def instrumentation_of(target: Any) -> Instrumentation | None:
    """The instrumentation of a client or agent, or ``None`` when it is not instrumented."""
    state = vars(target).get(_STATE) if hasattr(target, "__dict__") else None
    return state if isinstance(state, Instrumentation) else None


def instrument(
    tracker: CostTracker,
    target: _T,
    *,
    operation_type: str | None = None,
    labels: dict[str, LabelValue] | None = None,
) -> _T:
    """Meter ``target`` (a client or agent) into ``tracker``, in place; return it.

    Raises:
        TypeError: not a supported client or agent.
        ValueError: already instrumented by another tracker.
    """
    current = instrumentation_of(target)
    if current is not None:
        if current.tracker is tracker:
            return target
        raise ValueError(
            f"{type(target).__name__} is already instrumented by {current.tracker!r}: uninstrument it first"
        )
    module = type(target).__module__.split(".", 1)[0]
    if module == "google":
        module = type(target).__module__
    installers = {
        "openai": ("openai", "._openai"),
        "anthropic": ("anthropic", "._anthropic"),
        "google.genai.client": ("google", "._google"),
        "pydantic_ai": (None, "._pydantic_ai"),
    }
    found = installers.get(module)
    if found is None:
        raise TypeError(
            f"cannot instrument {type(target).__qualname__}: expected an OpenAI, Anthropic or google-genai client, "
            "or a pydantic-ai Agent"
        )
    provider, module_name = found
    import importlib

    installer = importlib.import_module(module_name, __name__)
    inst = Instrumentation(
        tracker=tracker, provider=provider or "", operation_type=operation_type, labels=dict(labels or {})
    )
    try:
        installer.install(inst, target)
    except BaseException:
        _undo(inst)
        raise
    vars(target)[_STATE] = inst
    return target


def uninstrument(target: _T) -> _T:
    """Undo :func:`instrument` on ``target`` (nothing happens if it is not instrumented); return it."""
    inst = instrumentation_of(target)
    if inst is not None:
        _undo(inst)
        vars(target).pop(_STATE, None)
    return target


def _undo(inst: Instrumentation) -> None:
    while inst.undo:
        inst.undo.pop()()
