"""A local, offline, OpenAI-compatible HTTP server for tests, examples and demos.

Point the real `openai` SDK (or pydantic-ai's `OpenAIProvider`) at `LocalOpenAIServer.base_url` and
every call stays on this machine while the responses keep OpenAI's exact wire shapes, including
realistic, deterministic token usage. Standard library only.

Endpoints: `POST /v1/chat/completions` (also streamed), `POST /v1/responses` (not streamed),
`POST /v1/embeddings`, `POST /v1/images/generations`, `GET /v1/models`, `GET /v1/models/{id}`.
Anything else answers 404 with OpenAI's error JSON.

Token accounting (deterministic, close to OpenAI's documented rules):

* text: `ceil(len(text) / 4)` tokens;
* prompt: 3 tokens per message (+ the `name` text and 1 more when a name is set), plus every text
  part, plus 3 tokens priming the reply; an `image_url` / `input_image` part costs 85 tokens at
  `detail="low"`, otherwise `85 + 170 * tiles` where tiles are the 512px tiles of the image after
  fitting it in 2048x2048 and scaling its short side down to 768 (the size is read from PNG data
  URLs; any other image counts as 1024x1024, i.e. 765 tokens); `tools` and a JSON-schema response
  format add the tokens of their compact JSON text; other parts count their compact JSON text;
* cached prompt tokens (when `cache=True`, per model): the prompt is a chain of segments (tools and
  schema, then each message header and each content part) hashed cumulatively; the longest prefix
  already seen by an earlier request counts as cached when it has 1024+ tokens, rounded down to
  1024 + a multiple of 128;
* completion: tokens of the produced text (or of the tool-call argument JSON), capped by
  `max_completion_tokens` / `max_tokens` / `max_output_tokens`; a cut answer is truncated and ends
  with `finish_reason="length"` (Responses API: `status="incomplete"`);
* reasoning models (`o1`, `o3`, `o4`, `gpt-5` families, except `*-chat*` names) first spend
  `2 x` the visible tokens on reasoning; reasoning comes first under the cap and is included in
  the completion tokens.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from ._http import LocalServer, RecordedRequest
from ._http import Reply as _Reply
from ._http import json_reply as _json_reply
from ._http import sse as _sse

__all__ = [
    "LocalOpenAIServer",
    "RecordedRequest",
    "Responder",
    "count_prompt_tokens",
    "count_text_tokens",
    "default_responder",
    "minimal_json",
]

Responder = Callable[[dict[str, Any]], str | dict[str, Any]]
"""Decides what the model answers: `responder(request_body) -> str | dict`.

Return a `str` for a text answer (for a JSON-schema response format, return the JSON text), or
`{"tool_call": {"name": ..., "arguments": {...}}}` (or `{"tool_calls": [...]}`) to call tools.
"""

MODEL_PATHS = frozenset({"/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/images/generations"})
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
_CACHE_MIN_TOKENS = 1024
_CACHE_STEP_TOKENS = 128
_KNOWN_MODELS = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-5",
    "gpt-5-mini",
    "o3-mini",
    "o4-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "dall-e-3",
    "gpt-image-1",
)
_IMAGE_OUTPUT_TOKENS = {"low": (272, 408), "medium": (1056, 1584), "high": (4160, 6240)}


# ---------------------------------------------------------------------------------------------
# token counting


def count_text_tokens(text: str) -> int:
    """Count the tokens of a text the way the server does: `ceil(len(text) / 4)`.

    Args:
        text: Any text.

    Returns:
        The token count.
    """
    return math.ceil(len(text) / 4)


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _png_size(url: str) -> tuple[int, int] | None:
    prefix = "data:image/png;base64,"
    if not url.startswith(prefix):
        return None
    try:
        head = base64.b64decode(url[len(prefix) : len(prefix) + 44])
    except ValueError:
        return None
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _tile_count(width: int, height: int) -> int:
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    return math.ceil(w * scale / 512) * math.ceil(h * scale / 512)


def _image_tokens(url: str, detail: str) -> int:
    if detail == "low":
        return 85
    width, height = _png_size(url) or (1024, 1024)
    return 85 + 170 * _tile_count(width, height)


def _part_tokens(part: Any) -> int:
    if isinstance(part, str):
        return count_text_tokens(part)
    if not isinstance(part, dict):
        return count_text_tokens(_compact_json(part))
    kind = part.get("type")
    if kind in ("text", "input_text", "output_text"):
        return count_text_tokens(str(part.get("text", "")))
    if kind == "image_url":
        image = part.get("image_url") or {}
        return _image_tokens(str(image.get("url", "")), str(image.get("detail", "auto")))
    if kind == "input_image":
        return _image_tokens(str(part.get("image_url") or ""), str(part.get("detail", "auto")))
    return count_text_tokens(_compact_json(part))


Segment = tuple[str, int]


def _message_segments(message: Any) -> list[Segment]:
    if not isinstance(message, dict):
        return [(_compact_json(message), 3 + _part_tokens(message))]
    name = message.get("name")
    header_tokens = 3 + (count_text_tokens(str(name)) + 1 if name else 0)
    segments: list[Segment] = [(_compact_json([message.get("role"), name]), header_tokens)]
    content = message.get("content")
    parts = content if isinstance(content, list) else ([content] if content else [])
    segments += [(_compact_json(part), _part_tokens(part)) for part in parts]
    for extra in ("tool_calls", "function_call"):
        if message.get(extra):
            segments.append((_compact_json(message[extra]), count_text_tokens(_compact_json(message[extra]))))
    if "role" not in message:  # Responses API items such as function_call / function_call_output
        segments.append((_compact_json(message), count_text_tokens(_compact_json(message))))
    return segments


def _head_segment(body: dict[str, Any]) -> Segment:
    extras = [body.get("tools") or []]
    schema = _json_schema(body)
    if schema is not None:
        extras.append(schema)
    text = _compact_json(extras) if extras != [[]] else ""
    return (text, count_text_tokens(text))


def _input_messages(body: dict[str, Any]) -> list[Any]:
    if "messages" in body:
        return list(body.get("messages") or [])
    messages: list[Any] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    items = body.get("input")
    messages += [{"role": "user", "content": items}] if isinstance(items, str) else list(items or [])
    return messages


def _prompt_segments(body: dict[str, Any]) -> list[Segment]:
    segments = [_head_segment(body)]
    for message in _input_messages(body):
        segments += _message_segments(message)
    return segments


def count_prompt_tokens(body: dict[str, Any]) -> int:
    """Count the prompt tokens the server reports for a chat or Responses request body.

    Args:
        body: The JSON request body (`messages` for chat, `input`/`instructions` for Responses).

    Returns:
        The prompt (input) token count, including the 3 priming tokens.
    """
    return sum(tokens for _, tokens in _prompt_segments(body)) + 3


class _PromptCache:
    """Per-model prefix cache, modelled after OpenAI's automatic prompt caching."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, set[str]] = {}

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def cached_tokens(self, model: str, segments: list[Segment]) -> int:
        chain: list[tuple[str, int]] = []
        digest, total = hashlib.sha256(), 0
        for key, tokens in segments:
            digest.update(key.encode() + b"\x00")
            total += tokens
            chain.append((digest.hexdigest(), total))
        with self._lock:
            seen = self._seen.setdefault(model, set())
            hit = max((total for key, total in chain if key in seen), default=0)
            seen.update(key for key, _ in chain)
        if hit < _CACHE_MIN_TOKENS:
            return 0
        return _CACHE_MIN_TOKENS + (hit - _CACHE_MIN_TOKENS) // _CACHE_STEP_TOKENS * _CACHE_STEP_TOKENS


# ---------------------------------------------------------------------------------------------
# the default responder


def _json_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    chat_format = body.get("response_format") or {}
    if chat_format.get("type") == "json_schema":
        return cast(dict[str, Any], (chat_format.get("json_schema") or {}).get("schema") or {})
    text_format = (body.get("text") or {}).get("format") or {}
    if text_format.get("type") == "json_schema":
        return cast(dict[str, Any], text_format.get("schema") or {})
    return None


def _minimal_instance(schema: Any, defs: dict[str, Any]) -> Any:
    if not isinstance(schema, dict):
        return None
    if "$ref" in schema:
        return _minimal_instance(defs.get(str(schema["$ref"]).rsplit("/", 1)[-1], {}), defs)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _minimal_instance(schema[key][0], defs)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _minimal_instance(properties.get(name, {}), defs) for name in schema.get("required", [])}
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}.get(kind)


def minimal_json(schema: dict[str, Any]) -> Any:
    """Build the smallest value that satisfies a simple JSON schema (required fields only).

    Args:
        schema: A JSON schema, `$defs`/`definitions` references allowed.

    Returns:
        A JSON-compatible value: `{}` for an object schema without required properties.
    """
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}
    return _minimal_instance(schema, defs)


def _tool_spec(tool: Any) -> dict[str, Any] | None:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        return None
    spec = tool.get("function") or tool  # chat nests the function, Responses does not
    return {"name": spec.get("name"), "parameters": spec.get("parameters") or {}}


def _forced_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    tools = [spec for spec in map(_tool_spec, body.get("tools") or []) if spec]
    choice = body.get("tool_choice")
    if choice == "required":
        return tools[0] if tools else None
    if isinstance(choice, dict):
        name = choice.get("name") or (choice.get("function") or {}).get("name")
        return next((tool for tool in tools if tool["name"] == name), None)
    return None


def _last_user_text(body: dict[str, Any]) -> str:
    users = [m for m in _input_messages(body) if isinstance(m, dict) and m.get("role") == "user"]
    return _compact_json(users[-1].get("content")) if users else ""


def default_responder(request: dict[str, Any]) -> str | dict[str, Any]:
    """Answer deterministically when no responder is given.

    * A forced tool (`tool_choice="required"` or a named function, as pydantic-ai sends for
      structured output) is called with the minimal arguments its schema accepts.
    * A JSON-schema response format gets the minimal JSON its schema accepts (`{}` at least).
    * Otherwise: `"Offline reply <10 hex digits>."`, the digits hashing the last user message
      (25 characters, so 7 completion tokens).

    Args:
        request: The JSON request body.

    Returns:
        The answer text, or a `{"tool_call": ...}` dict.
    """
    tool = _forced_tool(request)
    if tool is not None:
        return {"tool_call": {"name": tool["name"], "arguments": minimal_json(tool["parameters"])}}
    schema = _json_schema(request)
    if schema is not None:
        return _compact_json(minimal_json(schema))
    digest = hashlib.sha256(_last_user_text(request).encode()).hexdigest()
    return f"Offline reply {digest[:10]}."


# ---------------------------------------------------------------------------------------------
# completions


@dataclass(slots=True, kw_only=True)
class _Completion:
    text: str | None
    tool_calls: list[dict[str, str]]
    finish_reason: str
    visible_tokens: int
    reasoning_tokens: int

    @property
    def completion_tokens(self) -> int:
        return self.visible_tokens + self.reasoning_tokens


def _is_reasoning_model(model: str) -> bool:
    name = model.rsplit("/", 1)[-1]
    return name.startswith(_REASONING_PREFIXES) and "-chat" not in name


def _output_cap(body: dict[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        if isinstance(body.get(key), int):
            return int(body[key])
    return None


def _reply_tool_calls(reply: dict[str, Any]) -> list[dict[str, str]]:
    calls = reply.get("tool_calls") or ([reply["tool_call"]] if "tool_call" in reply else None)
    if not calls:
        raise ValueError(f"responder returned an unsupported dict: {sorted(reply)}")
    result = []
    for call in calls:
        arguments = call.get("arguments", {})
        text = arguments if isinstance(arguments, str) else _compact_json(arguments)
        result.append({"id": f"call_{uuid.uuid4().hex[:24]}", "name": str(call["name"]), "arguments": text})
    return result


def _cut(text: str, tokens: int) -> str:
    return text[: max(tokens, 0) * 4]


def _cut_calls(calls: list[dict[str, str]], tokens: int) -> list[dict[str, str]]:
    kept = []
    for call in calls:
        if tokens <= 0:
            break
        kept.append({**call, "arguments": _cut(call["arguments"], tokens)})
        tokens -= count_text_tokens(call["arguments"])
    return kept


def _complete(body: dict[str, Any], reply: str | dict[str, Any]) -> _Completion:
    calls = _reply_tool_calls(reply) if isinstance(reply, dict) else []
    text = None if calls else str(reply)
    full = sum(count_text_tokens(c["arguments"]) for c in calls) if calls else count_text_tokens(text or "")
    reasoning = 2 * full if _is_reasoning_model(str(body.get("model", ""))) else 0
    cap = _output_cap(body)
    if cap is None or full + reasoning <= cap:
        finish = "tool_calls" if calls else "stop"
        return _Completion(
            text=text, tool_calls=calls, finish_reason=finish, visible_tokens=full, reasoning_tokens=reasoning
        )
    reasoning = min(reasoning, cap)
    visible = cap - reasoning
    return _Completion(
        text=None if calls else _cut(text or "", visible),
        tool_calls=_cut_calls(calls, visible),
        finish_reason="length",
        visible_tokens=visible,
        reasoning_tokens=reasoning,
    )


# ---------------------------------------------------------------------------------------------
# replies


def _error_reply(status: int, message: str, *, type_: str, code: str | None = None) -> _Reply:
    payload = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    headers = {"retry-after-ms": "10"} if status == 429 else {}
    return _json_reply(payload, status, headers)


def _injected_failure(status: int) -> _Reply:
    if status == 429:
        return _error_reply(429, "Rate limit reached (injected).", type_="requests", code="rate_limit_exceeded")
    if status == 401:
        return _error_reply(
            401,
            "Incorrect API key provided (injected).",
            type_="invalid_request_error",
            code="invalid_api_key",
        )
    if status < 500:
        return _error_reply(status, "Invalid request (injected).", type_="invalid_request_error")
    message = "The server had an error while processing your request. Sorry about that! (injected)"
    return _error_reply(status, message, type_="server_error")


def _chat_usage(prompt: int, cached: int, completion: _Completion) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion.completion_tokens,
        "total_tokens": prompt + completion.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": completion.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_message(completion: _Completion) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": completion.text,
        "refusal": None,
        "annotations": [],
    }
    if completion.tool_calls:
        message["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in completion.tool_calls
        ]
    return message


def _split(text: str, pieces: int = 3) -> list[str]:
    size = max(1, math.ceil(len(text) / pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _chunk_deltas(completion: _Completion) -> list[dict[str, Any]]:
    deltas: list[dict[str, Any]] = [
        {"role": "assistant", "content": "" if completion.text is not None else None, "refusal": None}
    ]
    deltas += [{"content": piece} for piece in _split(completion.text or "")]
    for index, call in enumerate(completion.tool_calls):
        head = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": ""},
        }
        deltas.append({"tool_calls": [head]})
        deltas += [{"tool_calls": [{"index": index, "function": {"arguments": p}}]} for p in _split(call["arguments"])]
    return deltas


def _stream_reply(
    envelope: dict[str, Any], completion: _Completion, usage: dict[str, Any], body: dict[str, Any]
) -> _Reply:
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    extra: dict[str, Any] = {"usage": None} if include_usage else {}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _sse({**envelope, "object": "chat.completion.chunk", "choices": [choice], **extra})

    parts = [chunk(delta) for delta in _chunk_deltas(completion)]
    parts.append(chunk({}, completion.finish_reason))
    if include_usage:
        parts.append(_sse({**envelope, "object": "chat.completion.chunk", "choices": [], "usage": usage}))
    parts.append(b"data: [DONE]\n\n")
    return _Reply(parts=parts, content_type="text/event-stream")


def _embedding_vector(text: str, dimensions: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    raw = [(digest[i % len(digest)] - 127.5) / 127.5 for i in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def _embedding_inputs(value: Any) -> list[tuple[str, int]]:
    items = value if isinstance(value, list) and value and not isinstance(value[0], int) else [value]
    result = []
    for item in items:
        if isinstance(item, list):
            result.append((_compact_json(item), len(item)))
        else:
            result.append((str(item), count_text_tokens(str(item))))
    return result


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _tiny_png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


PIXEL_PNG = _tiny_png()
"""The 1x1 white PNG every image request returns."""


def _image_usage(prompt: str, size: str, quality: str, n: int) -> dict[str, Any]:
    tall = 1 if size in ("1024x1536", "1536x1024") else 0
    output = _IMAGE_OUTPUT_TOKENS.get(quality, _IMAGE_OUTPUT_TOKENS["medium"])[tall] * n
    text = count_text_tokens(prompt)
    return {
        "input_tokens": text,
        "input_tokens_details": {"text_tokens": text, "image_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"text_tokens": 0, "image_tokens": output},
        "total_tokens": text + output,
    }


# ---------------------------------------------------------------------------------------------
# the application (transport-independent)


class _FakeOpenAI:
    """Routes parsed requests to replies; shared by all handler threads."""

    def __init__(self, responder: Responder | None, *, latency_s: float, cache: bool) -> None:
        self.responder: Responder = responder or default_responder
        self.latency_s = latency_s
        self.cache_enabled = cache
        self.base_url = ""
        self.prompt_cache = _PromptCache()
        self.lock = threading.Lock()
        self.hits = 0
        self.requests: list[RecordedRequest] = []
        self.routes: dict[tuple[str, str], Callable[[dict[str, Any]], _Reply]] = {
            ("POST", "/v1/chat/completions"): self.chat_completions,
            ("POST", "/v1/responses"): self.responses,
            ("POST", "/v1/embeddings"): self.embeddings,
            ("POST", "/v1/images/generations"): self.images,
            ("GET", "/v1/models"): self.models,
            ("GET", "/v1/files/pixel.png"): lambda _: _Reply(parts=[PIXEL_PNG], content_type="image/png"),
        }

    def reset(self) -> None:
        with self.lock:
            self.hits = 0
            self.requests.clear()
        self.prompt_cache.clear()

    def invalid_body(self) -> _Reply:
        return _error_reply(400, "The request body is not a JSON object.", type_="invalid_request_error")

    def handle(self, request: RecordedRequest) -> _Reply:
        with self.lock:
            self.requests.append(request)
            self.hits += request.method == "POST" and request.path in MODEL_PATHS
        if request.path in MODEL_PATHS and self.latency_s > 0:
            time.sleep(self.latency_s)
        failure = request.headers.get("x-llmledger-fail")
        if failure:
            return _injected_failure(int(failure) if failure.isdigit() else 500)
        route = self.routes.get((request.method, request.path)) or self._model_route(request)
        if route is None:
            message = f"Unknown request URL: {request.method} {request.path}. Please check the URL for typos."
            return _error_reply(404, message, type_="invalid_request_error", code="unknown_url")
        try:
            return route(request.body)
        except Exception as exc:  # responder errors become OpenAI-style 500s
            return _error_reply(500, f"{type(exc).__name__}: {exc}", type_="server_error")

    def _model_route(self, request: RecordedRequest) -> Callable[[dict[str, Any]], _Reply] | None:
        prefix = "/v1/models/"
        if request.method == "GET" and request.path.startswith(prefix):
            return lambda _: _json_reply(_model_object(request.path[len(prefix) :]))
        return None

    def _prompt(self, body: dict[str, Any]) -> tuple[int, int]:
        segments = _prompt_segments(body)
        prompt = sum(tokens for _, tokens in segments) + 3
        if not self.cache_enabled:
            return prompt, 0
        return prompt, self.prompt_cache.cached_tokens(str(body.get("model", "")), segments)

    def chat_completions(self, body: dict[str, Any]) -> _Reply:
        prompt, cached = self._prompt(body)
        completion = _complete(body, self.responder(body))
        usage = _chat_usage(prompt, cached, completion)
        envelope = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "system_fingerprint": "fp_llmledger",
            "service_tier": "default",
        }
        if body.get("stream"):
            return _stream_reply(envelope, completion, usage, body)
        choice = {
            "index": 0,
            "message": _chat_message(completion),
            "logprobs": None,
            "finish_reason": completion.finish_reason,
        }
        return _json_reply({**envelope, "object": "chat.completion", "choices": [choice], "usage": usage})

    def responses(self, body: dict[str, Any]) -> _Reply:
        if body.get("stream"):
            return _error_reply(400, "LocalOpenAIServer does not stream /v1/responses.", type_="invalid_request_error")
        prompt, cached = self._prompt(body)
        completion = _complete(body, self.responder(body))
        return _json_reply(_response_object(body, completion, prompt, cached))

    def embeddings(self, body: dict[str, Any]) -> _Reply:
        dimensions = int(body.get("dimensions") or 8)
        inputs = _embedding_inputs(body.get("input", ""))
        data = []
        for index, (text, _) in enumerate(inputs):
            vector = _embedding_vector(text, dimensions)
            encoded: Any = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(count for _, count in inputs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return _json_reply({"object": "list", "data": data, "model": body.get("model", ""), "usage": usage})

    def images(self, body: dict[str, Any]) -> _Reply:
        model = str(body.get("model") or "dall-e-2")
        size = str(body.get("size") or "1024x1024")
        if size == "auto":
            size = "1024x1024"
        n = int(body.get("n") or 1)
        item: dict[str, Any] = {"b64_json": base64.b64encode(PIXEL_PNG).decode()}
        if body.get("response_format") == "url" and model.startswith("dall-e"):
            item = {"url": f"{self.base_url}/files/pixel.png"}
        payload: dict[str, Any] = {
            "created": int(time.time()),
            "data": [dict(item) for _ in range(n)],
            "size": size,
        }
        quality = str(body.get("quality") or "auto")
        if model.startswith("gpt-image"):
            quality = "medium" if quality == "auto" else quality
            payload.update(quality=quality, output_format="png", background="opaque")
            payload["usage"] = _image_usage(str(body.get("prompt", "")), size, quality, n)
        elif quality in ("low", "medium", "high"):
            payload["quality"] = quality
        return _json_reply(payload)

    def models(self, body: dict[str, Any]) -> _Reply:
        return _json_reply({"object": "list", "data": [_model_object(name) for name in _KNOWN_MODELS]})


def _model_object(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "llmledger"}


def _response_output(completion: _Completion, model: str) -> list[dict[str, Any]]:
    output: list[dict[str, Any]] = []
    if _is_reasoning_model(model):
        output.append({"id": f"rs_{uuid.uuid4().hex}", "type": "reasoning", "summary": []})
    for call in completion.tool_calls:
        output.append(
            {
                "id": f"fc_{uuid.uuid4().hex}",
                "type": "function_call",
                "call_id": call["id"],
                "name": call["name"],
                "arguments": call["arguments"],
                "status": "completed",
            }
        )
    if completion.text is not None:
        content = {"type": "output_text", "text": completion.text, "annotations": [], "logprobs": []}
        message = {
            "id": f"msg_{uuid.uuid4().hex}",
            "type": "message",
            "role": "assistant",
            "status": "completed",
        }
        output.append({**message, "content": [content]})
    return output


def _response_object(body: dict[str, Any], completion: _Completion, prompt: int, cached: int) -> dict[str, Any]:
    model = str(body.get("model", ""))
    cut = completion.finish_reason == "length"
    now = int(time.time())
    return {
        "id": f"resp_{uuid.uuid4().hex}",
        "object": "response",
        "created_at": now,
        "completed_at": None if cut else now,
        "status": "incomplete" if cut else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if cut else None,
        "error": None,
        "model": model,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "output": _response_output(completion, model),
        "parallel_tool_calls": bool(body.get("parallel_tool_calls", True)),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "metadata": body.get("metadata") or {},
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
            "output_tokens": completion.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": completion.reasoning_tokens},
            "total_tokens": prompt + completion.completion_tokens,
        },
    }


# ---------------------------------------------------------------------------------------------
# public server


class LocalOpenAIServer(LocalServer):
    """An OpenAI-compatible HTTP server on localhost, served from a daemon thread.

    Use it as a context manager, or call `start()` and `stop()`:

    ```python
    with LocalOpenAIServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
    ```

    Request headers drive failure injection: `x-llmledger-fail: 500` (or 429, 401, 400, ...)
    answers that status with OpenAI's error JSON; `x-llmledger-drop: 1` closes the connection after
    two server-sent events (after half the body for a non-streamed reply).

    Args:
        responder: Decides each answer from the request body; see `Responder`. Defaults to
            `default_responder`. Exceptions it raises become HTTP 500 error replies.
        host: Interface to bind.
        port: Port to bind; 0 picks a free port.
        latency_s: Seconds to sleep before answering each model request.
        cache: Whether to model OpenAI's automatic prompt caching (per model).
    """

    url_suffix = "/v1"
    thread_name = "llmledger-openai"

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        cache: bool = True,
    ) -> None:
        super().__init__(_FakeOpenAI(responder, latency_s=latency_s, cache=cache), host=host, port=port)

    @property
    def base_url(self) -> str:
        """The URL to pass as `base_url` to the OpenAI SDK, e.g. `http://127.0.0.1:PORT/v1`."""
        return super().base_url

    @property
    def hits(self) -> int:
        """How many model requests (chat, responses, embeddings, images) arrived, failures included."""
        return super().hits
