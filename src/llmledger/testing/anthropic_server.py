"""A local, offline server speaking Anthropic's Messages API, for tests, examples and demos.

Point the real `anthropic` SDK at it with `anthropic.Anthropic(base_url=server.base_url, api_key="test")`.
Endpoint: `POST /v1/messages`, as JSON or (with `"stream": true`) as server-sent events
(`message_start`, `content_block_start`, `content_block_delta`..., `content_block_stop`,
`message_delta`, `message_stop`). Standard library only.

Token accounting (deterministic): `ceil(len(text) / 4)` per text, 3 per message, plus the system
prompt and the compact JSON of tools. A content block (or system block) marked with
`cache_control` ends a cacheable prefix: the first request that sends it pays the prefix as
`cache_creation_input_tokens`, later ones read it as `cache_read_input_tokens`; `input_tokens`
is the rest, as Anthropic reports it. The answer is `default_responder`'s text, cut at
`max_tokens` (`stop_reason="max_tokens"`). In a stream, `message_start` carries the input usage
and `output_tokens: 1`; `message_delta` carries the final usage. Headers `x-llmledger-fail` and
`x-llmledger-drop` inject failures as in :class:`~llmledger.testing.LocalOpenAIServer`.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import uuid
from typing import Any

from ._http import LocalServer, RecordedRequest, Reply, json_reply, sse
from .openai_server import count_text_tokens, default_responder

__all__ = ["LocalAnthropicServer"]


def _blocks(content: Any) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content or [])


def _block_tokens(block: Any) -> int:
    if isinstance(block, dict) and block.get("type") == "text":
        return count_text_tokens(str(block.get("text", "")))
    if isinstance(block, dict) and block.get("type") == "image":
        return 1_000
    return count_text_tokens(json.dumps(block, separators=(",", ":")))


class _FakeAnthropic:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits = 0
        self.requests: list[RecordedRequest] = []
        self.base_url = ""
        self._cached: set[str] = set()

    def reset(self) -> None:
        with self.lock:
            self.hits = 0
            self.requests.clear()
            self._cached.clear()

    def invalid_body(self) -> Reply:
        return _error(400, "invalid_request_error", "The request body is not a JSON object.")

    def handle(self, request: RecordedRequest) -> Reply:
        with self.lock:
            self.requests.append(request)
            self.hits += request.method == "POST" and request.path == "/v1/messages"
        failure = request.headers.get("x-llmledger-fail")
        if failure:
            status = int(failure) if failure.isdigit() else 500
            kind = "rate_limit_error" if status == 429 else "api_error" if status >= 500 else "invalid_request_error"
            return _error(status, kind, "Injected failure.")
        if (request.method, request.path) != ("POST", "/v1/messages"):
            return _error(404, "not_found_error", f"Not found: {request.method} {request.path}")
        return self.messages(request.body)

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Input usage with Anthropic's cache split: prefixes ending at a `cache_control` block."""
        digest = hashlib.sha256()
        total, prefix_key, prefix_tokens = 0, None, 0
        segments: list[tuple[Any, int]] = []
        if body.get("tools"):
            segments.append((body["tools"], count_text_tokens(json.dumps(body["tools"], separators=(",", ":")))))
        segments += [(block, _block_tokens(block)) for block in _blocks(body.get("system"))]
        for message in body.get("messages") or []:
            segments.append((message.get("role"), 3))
            segments += [(block, _block_tokens(block)) for block in _blocks(message.get("content"))]
        for item, tokens in segments:
            digest.update(json.dumps(item, sort_keys=True).encode())
            total += tokens
            if isinstance(item, dict) and item.get("cache_control"):
                prefix_key, prefix_tokens = digest.hexdigest(), total
        read = write = 0
        if prefix_key is not None:
            with self.lock:
                if prefix_key in self._cached:
                    read = prefix_tokens
                else:
                    self._cached.add(prefix_key)
                    write = prefix_tokens
        return {
            "input_tokens": total - read - write,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }

    def messages(self, body: dict[str, Any]) -> Reply:
        model = str(body.get("model", ""))
        text = str(default_responder({"messages": body.get("messages") or []}))
        cap = body.get("max_tokens")
        tokens = count_text_tokens(text)
        stop_reason = "end_turn"
        if isinstance(cap, int) and tokens > cap:
            text, tokens, stop_reason = text[: cap * 4], cap, "max_tokens"
        usage = {**self._usage(body), "output_tokens": tokens}
        message = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            return json_reply(message)
        start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
        size = max(1, math.ceil(len(text) / 3))
        parts = [
            sse({"type": "message_start", "message": start}, "message_start"),
            sse(
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                "content_block_start",
            ),
        ]
        for i in range(0, len(text), size):
            delta = {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": text[i : i + size]},
            }
            parts.append(sse(delta, "content_block_delta"))
        parts += [
            sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            sse(
                {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None}, "usage": usage},
                "message_delta",
            ),
            sse({"type": "message_stop"}, "message_stop"),
        ]
        return Reply(parts=parts, content_type="text/event-stream")


def _error(status: int, kind: str, message: str) -> Reply:
    return json_reply({"type": "error", "error": {"type": kind, "message": message}}, status)


class LocalAnthropicServer(LocalServer):
    """An Anthropic Messages API server on localhost (see the module docstring).

    ```python
    with LocalAnthropicServer() as server, anthropic.Anthropic(base_url=server.base_url, api_key="test") as client:
        client.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=[...])
    ```

    Args:
        host: Interface to bind.
        port: Port to bind; 0 picks a free port.
    """

    thread_name = "llmledger-anthropic"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_FakeAnthropic(), host=host, port=port)
