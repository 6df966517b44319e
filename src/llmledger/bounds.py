"""Worst-case bounds of a model call, used to reserve before the call is sent.

The prompt bound rests on one fact about the tokenizers of OpenAI, Anthropic and Google models:
they are byte-level (BPE with byte fallback, or SentencePiece with byte fallback), so a text of
``n`` UTF-8 bytes never becomes more than ``n`` tokens. To that we add, per message, a fixed
allowance for the role and separator tokens (:data:`MESSAGE_OVERHEAD_TOKENS`), and per image a
fixed allowance (:data:`IMAGE_TOKENS_UPPER_BOUND`, which covers OpenAI's high-detail tiling,
Anthropic's ~1.15 megapixel cap and Gemini's 258-token tiles). Tool and output schemas are
counted by their JSON bytes. The ``estimate`` mode replaces the byte count by about four
characters a token: closer to the real count, no longer a bound.

Assumptions, stated so they can be checked: images count at most
:data:`IMAGE_TOKENS_UPPER_BOUND` tokens each (raise it for models that bill images as more
tokens, such as ``gpt-4o-mini``); the provider adds no hidden prompt beyond one system message's
worth of overhead; the output never exceeds the ``max_tokens`` sent with the request (providers
enforce it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

__all__ = [
    "IMAGE_TOKENS_UPPER_BOUND",
    "MESSAGE_OVERHEAD_TOKENS",
    "LimitMode",
    "affordable_output_tokens",
    "messages_prompt_bound",
    "text_tokens",
]

LimitMode = Literal["bound", "estimate"]
"""``bound``: a guaranteed upper bound; ``estimate``: a tokenizer-like estimate."""

MESSAGE_OVERHEAD_TOKENS = 8
"""Tokens allowed per message for its role and separators (OpenAI uses 3 to 4)."""
REQUEST_OVERHEAD_TOKENS = 16
"""Tokens allowed per request for priming and a provider's framing."""
IMAGE_TOKENS_UPPER_BOUND = 1_600
"""Tokens allowed per input image."""


def text_tokens(text: str, mode: LimitMode = "bound") -> int:
    """An upper bound (or, in ``estimate`` mode, an estimate) of the tokens of ``text``."""
    if mode == "estimate":
        return math.ceil(len(text) / 4)
    return len(text.encode("utf-8"))


def json_tokens(value: Any, mode: LimitMode = "bound") -> int:
    """Tokens of a value sent as JSON (tool schemas, structured inputs)."""
    return text_tokens(json.dumps(value, separators=(",", ":"), default=str), mode)


def prompt_tokens_bound(
    texts: Iterable[str],
    *,
    messages: int,
    images: int = 0,
    schemas: Iterable[Any] = (),
    mode: LimitMode = "bound",
) -> int:
    """Bound the prompt of a request made of these texts, messages, images and schemas."""
    total = REQUEST_OVERHEAD_TOKENS + messages * MESSAGE_OVERHEAD_TOKENS + images * IMAGE_TOKENS_UPPER_BOUND
    total += sum(text_tokens(t, mode) for t in texts)
    total += sum(json_tokens(s, mode) for s in schemas)
    return total


def affordable_output_tokens(
    remaining_usd: Decimal | None,
    prompt_cost_usd: Decimal,
    completion_usd_per_token: Decimal | None,
    remaining_tokens: int | None,
    prompt_tokens: int,
) -> int | None:
    """The most output tokens the remaining budget pays for after the prompt; ``None``: no limit applies."""
    caps: list[int] = []
    if remaining_usd is not None and completion_usd_per_token:
        caps.append(int((remaining_usd - prompt_cost_usd) / completion_usd_per_token))
    if remaining_tokens is not None:
        caps.append(remaining_tokens - prompt_tokens)
    return min(caps) if caps else None


def messages_prompt_bound(messages: Any, mode: LimitMode = "bound") -> int:
    """Bound the prompt of chat messages in the OpenAI, Anthropic or plain-text shapes.

    ``messages`` is a string, or a list of ``{"role", "content"}`` dicts whose content is a string
    or a list of parts (``text`` parts counted by bytes, ``image_url``/``image`` parts by
    :data:`IMAGE_TOKENS_UPPER_BOUND`, anything else by its JSON bytes).
    """
    if isinstance(messages, str):
        return prompt_tokens_bound([messages], messages=1, mode=mode)
    texts: list[str] = []
    images = 0
    count = 0
    for message in messages or ():
        count += 1
        content = message.get("content") if isinstance(message, dict) else getattr(message, "content", message)
        for part in content if isinstance(content, list) else [content]:
            if part is None:
                continue
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and part.get("type") in ("image_url", "image", "input_image"):
                images += 1
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                texts.append(json.dumps(part, default=str))
        for key in ("tool_calls", "name"):
            value = message.get(key) if isinstance(message, dict) else None
            if value:
                texts.append(value if isinstance(value, str) else json.dumps(value, default=str))
    return prompt_tokens_bound(texts, messages=count, images=images, mode=mode)
