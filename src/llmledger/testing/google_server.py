"""A local, offline server speaking the Gemini API's generateContent, for tests, examples and demos.

Point the real `google-genai` SDK at it with
`genai.Client(api_key="test", http_options=types.HttpOptions(base_url=server.base_url))`.
Endpoints: `POST /v1beta/models/{model}:generateContent` and
`POST /v1beta/models/{model}:streamGenerateContent?alt=sse` (any `/v1...` API version). Standard library only.

Token accounting (deterministic): `ceil(len(text) / 4)` per text part, 258 per inline image, 3
per content, plus the system instruction. A request naming `cachedContent` reads 1024 more
prompt tokens from that cache (`cachedContentTokenCount`, included in `promptTokenCount`, as
Google reports it). "Thinking" models (names with `2.5` or `thinking`) spend twice the answer's
tokens on thoughts (`thoughtsTokenCount`, apart from `candidatesTokenCount`); thoughts come first
under `generationConfig.maxOutputTokens` (`finishReason="MAX_TOKENS"` when cut). In a stream each
chunk carries the usage so far; the last one has the final usage and the finish reason. Headers
`x-llmledger-fail` and `x-llmledger-drop` inject failures as in the other local servers.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from typing import Any

from ._http import LocalServer, RecordedRequest, Reply, json_reply, sse
from .openai_server import count_text_tokens, default_responder

__all__ = ["LocalGoogleServer"]

_MODEL_PATH = re.compile(r"^/v1[a-z0-9]*/models/([^/:]+):(\w+)$")
CACHED_CONTENT_TOKENS = 1024
"""Prompt tokens a request naming `cachedContent` reads from the cache."""


def _content_tokens(content: Any) -> int:
    if not isinstance(content, dict):
        return count_text_tokens(str(content))
    total = 3
    for part in content.get("parts") or []:
        if "text" in part:
            total += count_text_tokens(str(part["text"]))
        elif "inlineData" in part or "fileData" in part:
            total += 258
        else:
            total += count_text_tokens(str(part))
    return total


def _user_text(body: dict[str, Any]) -> str:
    contents = body.get("contents") or []
    texts = [p.get("text", "") for c in contents if isinstance(c, dict) for p in c.get("parts") or []]
    return " ".join(str(t) for t in texts)


class _FakeGoogle:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits = 0
        self.requests: list[RecordedRequest] = []
        self.base_url = ""

    def reset(self) -> None:
        with self.lock:
            self.hits = 0
            self.requests.clear()

    def invalid_body(self) -> Reply:
        return _error(400, "INVALID_ARGUMENT", "The request body is not a JSON object.")

    def handle(self, request: RecordedRequest) -> Reply:
        match = _MODEL_PATH.match(request.path)
        is_model_call = request.method == "POST" and match is not None
        with self.lock:
            self.requests.append(request)
            self.hits += is_model_call
        failure = request.headers.get("x-llmledger-fail")
        if failure:
            status = int(failure) if failure.isdigit() else 500
            return _error(status, "RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL", "Injected failure.")
        model, method = match.groups() if match is not None else ("", "")
        if not is_model_call or method not in ("generateContent", "streamGenerateContent"):
            return _error(404, "NOT_FOUND", f"Not found: {request.method} {request.path}")
        return self.generate(model, request.body, stream=method == "streamGenerateContent")

    def generate(self, model: str, body: dict[str, Any], *, stream: bool) -> Reply:
        prompt = sum(_content_tokens(c) for c in body.get("contents") or [])
        if body.get("systemInstruction"):
            prompt += _content_tokens(body["systemInstruction"])
        cached = CACHED_CONTENT_TOKENS if body.get("cachedContent") else 0
        prompt += cached
        text = str(default_responder({"messages": [{"role": "user", "content": _user_text(body)}]}))
        visible = count_text_tokens(text)
        thoughts = 2 * visible if ("2.5" in model or "thinking" in model) else 0
        cap = (body.get("generationConfig") or {}).get("maxOutputTokens")
        finish = "STOP"
        if isinstance(cap, int) and visible + thoughts > cap:
            thoughts = min(thoughts, cap)
            visible = cap - thoughts
            text, finish = text[: visible * 4], "MAX_TOKENS"
        response_id = uuid.uuid4().hex[:20]

        def usage(candidates: int, thought_count: int) -> dict[str, Any]:
            metadata: dict[str, Any] = {
                "promptTokenCount": prompt,
                "candidatesTokenCount": candidates,
                "totalTokenCount": prompt + candidates + thought_count,
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
            }
            if cached:
                metadata["cachedContentTokenCount"] = cached
            if thought_count:
                metadata["thoughtsTokenCount"] = thought_count
            return metadata

        def chunk(piece: str, finish_reason: str | None, candidates: int, thought_count: int) -> dict[str, Any]:
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": piece}]}, "index": 0}
            if finish_reason:
                candidate["finishReason"] = finish_reason
            return {
                "candidates": [candidate],
                "usageMetadata": usage(candidates, thought_count),
                "modelVersion": model,
                "responseId": response_id,
            }

        if not stream:
            return json_reply(chunk(text, finish, visible, thoughts))
        size = max(1, math.ceil(len(text) / 3))
        pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        parts = []
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            so_far = visible if last else count_text_tokens(text[: (index + 1) * size])
            parts.append(sse(chunk(piece, finish if last else None, so_far, thoughts)))
        return Reply(parts=parts, content_type="text/event-stream")


def _error(status: int, kind: str, message: str) -> Reply:
    return json_reply({"error": {"code": status, "message": message, "status": kind}}, status)


class LocalGoogleServer(LocalServer):
    """A Gemini API (generateContent) server on localhost (see the module docstring).

    ```python
    with LocalGoogleServer() as server:
        client = genai.Client(api_key="test", http_options=types.HttpOptions(base_url=server.base_url))
    ```

    Args:
        host: Interface to bind.
        port: Port to bind; 0 picks a free port.
    """

    thread_name = "llmledger-google"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_FakeGoogle(), host=host, port=port)
