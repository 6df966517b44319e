"""Metered streams: read each item's usage on the way through, record the call once at the end.

A stream is recorded when it ends: at its last item, when the caller closes it or leaves its
``with`` block early, when it is dropped, or when the connection breaks. Streams whose final
usage never arrived are recorded with the usage counted so far (a warning says so) or, when none
arrived at all, as unpriced with a warning: never as a silent $0.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Self

from ..exceptions import UsageMissingWarning
from ..usage import Usage
from ._recording import MeteredCall

__all__ = ["MeteredAsyncStream", "MeteredStream", "StreamState", "metered_aiter", "metered_iter"]


class StreamState:
    """The usage seen so far in one stream; a provider module's ``observe`` updates it per item.

    ``observe(state, item)`` returns whether the caller gets the item (an injected usage chunk is
    hidden) and sets ``usage`` (cumulative), ``final`` (the final usage arrived), ``model`` and
    ``request_id`` as they appear.
    """

    __slots__ = ("call", "extra", "final", "model", "observe", "request_id", "usage")

    def __init__(self, call: MeteredCall, observe: Callable[[StreamState, Any], bool]) -> None:
        self.call = call
        self.observe = observe
        self.usage: Usage | None = None
        self.final = False
        self.model: str | None = None
        self.request_id: str | None = None
        self.extra: Any = None
        """Whatever a provider's ``observe`` keeps between items."""

    def finish(self, error: BaseException | None = None) -> None:
        """Record the stream (once): its final usage, else what was counted so far, else unpriced."""
        if self.call.done:
            return
        if self.final or self.usage is None:
            how = "abandoned" if isinstance(error, GeneratorExit) or error is None else f"cut off ({error!r})"
            missing = f"the stream was {how} before its usage arrived"
            self.call.record(self.usage, model=self.model, request_id=self.request_id, missing=missing)
            return
        warnings.warn(
            f"{self.call.operation}: the stream ended before its final usage; recorded with the usage counted so far",
            UsageMissingWarning,
            stacklevel=3,
        )
        self.call.record(self.usage, model=self.model, request_id=self.request_id)


def metered_iter(source: Iterator[Any], state: StreamState) -> Generator[Any, None, None]:
    """Yield ``source``'s items (minus hidden ones); record the stream however it ends."""
    observe = state.observe
    try:
        for item in source:
            if observe(state, item):
                yield item
    except BaseException as exc:
        state.finish(exc)
        raise
    state.finish()


async def metered_aiter(source: AsyncIterator[Any], state: StreamState) -> AsyncGenerator[Any, None]:
    """The async form of :func:`metered_iter`."""
    observe = state.observe
    try:
        async for item in source:
            if observe(state, item):
                yield item
    except BaseException as exc:
        state.finish(exc)
        raise
    state.finish()


class MeteredStream:
    """Stands in for an SDK ``Stream``: iterate it, or use it as a context manager, as the original.

    Everything else (``response``, ...) is forwarded to the SDK's stream.
    """

    def __init__(self, stream: Any, state: StreamState) -> None:
        self._stream = stream
        self._state = state
        self._iterator = metered_iter(iter(stream), state)

    def __iter__(self) -> Iterator[Any]:
        return self._iterator

    def __next__(self) -> Any:
        return next(self._iterator)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the stream; one closed before its end is recorded as promised (see the module)."""
        self._iterator.close()
        self._state.finish(GeneratorExit())
        self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class MeteredAsyncStream:
    """Stands in for an SDK ``AsyncStream`` (``async for``, ``async with``)."""

    def __init__(self, stream: Any, state: StreamState) -> None:
        self._stream = stream
        self._state = state
        self._iterator = metered_aiter(stream.__aiter__(), state)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterator

    async def __anext__(self) -> Any:
        return await self._iterator.__anext__()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the stream; one closed before its end is recorded as promised (see the module)."""
        await self._iterator.aclose()
        self._state.finish(GeneratorExit())
        await self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
