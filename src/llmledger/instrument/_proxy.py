"""Thin per-instance proxies: how a client is instrumented without touching its SDK's classes.

An SDK client exposes its resources as attributes (``client.chat``, ``client.messages``,
``client.models``). Instrumenting sets, *on that client instance only*, an attribute holding a
:class:`ResourceProxy` that forwards everything to the real resource except the methods it meters.
Undoing it puts the instance's attribute back as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._recording import Instrumentation, MeteredCall

__all__ = ["After", "Before", "ResourceProxy", "metered_method", "replace_attribute"]

_MISSING = object()

After = Callable[[MeteredCall, Any], Any]
"""Called with the call and the SDK's result: records it (or wraps a stream), returns what the caller gets."""
Before = Callable[[Instrumentation, dict[str, Any]], tuple[MeteredCall, dict[str, Any], After]]
"""Plans a call from its keyword arguments; returns the call, the arguments to send and the :data:`After`."""


class ResourceProxy:
    """Forwards attribute access to ``wrapped``, except for the attributes given as ``overrides``."""

    def __init__(self, wrapped: Any, overrides: dict[str, Any]) -> None:
        self.__dict__.update(overrides)
        self.__dict__["_llmledger_wrapped"] = wrapped

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_llmledger_wrapped"], name)

    def __repr__(self) -> str:
        return f"<instrumented {self.__dict__['_llmledger_wrapped']!r}>"


def metered_method(
    inst: Instrumentation, original: Callable[..., Any], before: Before, *, is_async: bool
) -> Callable[..., Any]:
    """Wrap an SDK method: plan, send, then record (or wrap the stream); failures are recorded too."""
    if is_async:

        @functools.wraps(original)
        async def ametered(*args: Any, **kwargs: Any) -> Any:
            call, kwargs, after = before(inst, kwargs)
            try:
                result = await original(*args, **kwargs)
            except BaseException as exc:
                call.fail(exc)
                raise
            return after(call, result)

        return ametered

    @functools.wraps(original)
    def metered(*args: Any, **kwargs: Any) -> Any:
        call, kwargs, after = before(inst, kwargs)
        try:
            result = original(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        return after(call, result)

    return metered


def replace_attribute(inst: Instrumentation, owner: Any, name: str, value: Any) -> None:
    """Set ``owner.name`` on the instance (shadowing a cached property) and remember how to undo it."""
    namespace = vars(owner)
    previous = namespace.get(name, _MISSING)
    namespace[name] = value

    def undo() -> None:
        if previous is _MISSING:
            namespace.pop(name, None)
        else:
            namespace[name] = previous

    inst.undo.append(undo)
