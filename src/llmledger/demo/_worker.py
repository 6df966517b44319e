"""What runs in the demo's worker processes: one model call per task.

Module-level functions and frozen dataclasses only, so the spawn context can pickle them. Each
process opens one ``openai.OpenAI`` client per base URL, on first use, and keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ._scenario import MatchVerdict, PanelCount, pair_request, panel_request, parse_match, parse_panels

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion

__all__ = ["PairTask", "PanelTask", "count_panels", "detect_pair", "result_only"]

DEMO_API_KEY = "llmledger-demo"
"""The API key sent to the local server (which ignores it)."""

R = TypeVar("R")

_clients: dict[str | None, openai.OpenAI] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class PairTask:
    """Compare one layout with one master."""

    base_url: str | None
    """The local server's URL; ``None``: the real OpenAI API (key from ``OPENAI_API_KEY``)."""
    model: str
    """The model to ask."""
    layout_name: str
    """The layout file name."""
    master_id: str
    """The master id."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelTask:
    """Count one layout's panels against every master."""

    base_url: str | None
    """The local server's URL; ``None``: the real OpenAI API."""
    model: str
    """The model to ask."""
    layout_name: str
    """The layout file name."""
    master_ids: tuple[str, ...]
    """Every master, in the order they are shown."""


def _client(base_url: str | None) -> openai.OpenAI:
    client = _clients.get(base_url)
    if client is None:
        import openai

        if base_url is None:  # live: the key comes from OPENAI_API_KEY
            client = openai.OpenAI(max_retries=2)
        else:
            client = openai.OpenAI(base_url=base_url, api_key=DEMO_API_KEY, max_retries=0)
        _clients[base_url] = client
    return client


def _create(base_url: str | None, request: dict[str, Any]) -> ChatCompletion:
    response: ChatCompletion = _client(base_url).chat.completions.create(**request)
    return response


def detect_pair(task: PairTask) -> tuple[MatchVerdict | None, ChatCompletion]:
    """Ask whether the master appears on the layout; ``None`` verdict: the answer was not JSON."""
    response = _create(task.base_url, pair_request(task.model, task.layout_name, task.master_id))
    return parse_match(response.choices[0].message.content), response


def count_panels(task: PanelTask) -> tuple[PanelCount | None, ChatCompletion]:
    """Count the layout's panels against every master in one call."""
    response = _create(task.base_url, panel_request(task.model, task.layout_name, task.master_ids))
    return parse_panels(response.choices[0].message.content, task.master_ids), response


def result_only(fn: Callable[[Any], tuple[R, Any]], task: Any) -> R:
    """Run ``fn`` and keep only its parsed result (for runs without cost tracking)."""
    return fn(task)[0]
