"""Offline mode for the examples (not part of the guide).

Without ``OPENAI_API_KEY`` the examples talk to :class:`~llmledger.testing.LocalOpenAIServer`, a
local OpenAI-compatible server with realistic token usage, so they run with no network and no key.
With a real key set, :func:`offline_openai` does nothing and the examples call the real API.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from llmledger.testing import LocalOpenAIServer

_ENV = ("OPENAI_BASE_URL", "OPENAI_API_KEY")


@contextmanager
def offline_openai() -> Iterator[LocalOpenAIServer | None]:
    """Point the OpenAI SDK (and pydantic-ai's OpenAI provider) at a local server, unless a key is set.

    Yields:
        The running server (``server.hits`` counts the model requests it received), or ``None``
        when ``OPENAI_API_KEY`` is set and the real API is used.
    """
    if os.environ.get("OPENAI_API_KEY"):
        yield None
        return
    saved = {name: os.environ.get(name) for name in _ENV}
    with LocalOpenAIServer() as server:
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "offline"
        try:
            yield server
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
