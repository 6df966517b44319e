from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion
from pydantic_ai.usage import RunUsage

import llmledger.usage
from llmledger.usage import Usage, _extract, extract_model, extract_provider, extract_request_id, extract_usage

RESPONSES = Path(__file__).parents[1] / "fixtures" / "responses"


def load(provider: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESPONSES / provider / f"{name}.json").read_text())
    return data


def test_all_matches_public_names() -> None:
    public = {name for name in dir(llmledger.usage) if not name.startswith("_")}
    modules = {"anthropic", "annotations", "google", "openai", "pydantic_ai"}
    assert set(llmledger.usage.__all__) == public - modules
    assert set(llmledger.usage.__all__) == {
        "ImageUsage",
        "Usage",
        "extract_model",
        "extract_provider",
        "extract_request_id",
        "extract_usage",
    }


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"id": "chatcmpl-1", "object": "chat.completion"}, "chatcmpl-1"),
        (SimpleNamespace(id="msg_01"), "msg_01"),
        (SimpleNamespace(id=None, response_id="google-7"), "google-7"),
        ({"responseId": "google-8"}, "google-8"),
        (SimpleNamespace(provider_response_id="resp_9"), "resp_9"),
        ({"id": ""}, None),
        ({"id": 12}, None),
        (None, None),
    ],
)
def test_extract_request_id(obj: object, expected: str | None) -> None:
    assert extract_request_id(obj) == expected


def test_import_loads_no_sdk() -> None:
    code = (
        "import sys, llmledger.usage; "
        "print(sorted(m for m in ('openai', 'anthropic', 'google.genai', 'pydantic_ai') if m in sys.modules))"
    )
    src = Path(__file__).parents[2] / "src"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env={"PYTHONPATH": str(src)}
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "obj",
    [
        None,
        0,
        1.5,
        "chat.completion",
        b"",
        [],
        (),
        {},
        object(),
        SimpleNamespace(),
        {"usage": None},
        {"id": "x", "foo": 1},
        {"object": "chat.completion", "usage": None},
        {"type": "message", "usage": {}},
        {"object": "response", "usage": None},
        {"usageMetadata": None},
        {"usage": {"total_tokens": 10}},
        SimpleNamespace(usage=SimpleNamespace(prompt_tokens=None, completion_tokens=None)),
    ],
    ids=repr,
)
def test_no_usage_is_none(obj: Any) -> None:
    assert extract_usage(obj) is None


@pytest.mark.parametrize("obj", [None, 0, "gpt-4o", {}, object(), {"model": 4}])
def test_no_model_or_provider_is_none(obj: Any) -> None:
    assert extract_model(obj) is None
    assert extract_provider(obj) is None


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": "12", "completion_tokens": 3},
        {"prompt_tokens": 12.0, "completion_tokens": 3},
        {"prompt_tokens": True, "completion_tokens": 3},
        {"prompt_tokens": -1, "completion_tokens": 3},
        {"prompt_tokens": 12, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 13}},
        {"prompt_tokens": 12, "completion_tokens": 3, "completion_tokens_details": {"reasoning_tokens": 4}},
        {"prompt_tokens": 12, "completion_tokens": 3, "prompt_tokens_details": ["cached_tokens"]},
    ],
    ids=repr,
)
def test_malformed_or_inconsistent_is_none_and_logged(usage: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="llmledger.usage"):
        assert extract_usage({"object": "chat.completion", "model": "gpt-4o", "usage": usage}) is None
    assert [record.name for record in caplog.records] == ["llmledger.usage"]
    assert caplog.records[0].levelno == logging.WARNING


class Exploding:
    @property
    def usage(self) -> Any:
        raise RuntimeError("boom")

    @property
    def model(self) -> Any:
        raise RuntimeError("boom")


def test_raising_properties_never_escape(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="llmledger.usage"):
        assert extract_usage(Exploding()) is None
        assert extract_model(Exploding()) is None
        assert extract_provider(Exploding()) is None


@pytest.mark.parametrize(
    ("obj", "provider"),
    [
        (load("openai", "chat_completion"), "openai"),
        (load("openai", "response"), "openai"),
        (load("openai", "embedding"), "openai"),
        (load("openai", "image_gpt_image_1"), "openai"),
        (load("anthropic", "message"), "anthropic"),
        (load("anthropic", "message_delta_event"), "anthropic"),
        (load("google", "gemini_flash"), "google"),
        ({"input_tokens": 10, "output_tokens": 2}, None),
        (RunUsage(requests=1, input_tokens=10, output_tokens=2), None),
    ],
)
def test_provider(obj: Any, provider: str | None) -> None:
    assert extract_provider(obj) == provider


def test_shared_input_output_shape() -> None:
    # with no cache counts, OpenAI Responses, Anthropic and pydantic-ai read input/output alike
    assert extract_usage({"input_tokens": 10, "output_tokens": 2}) == Usage(prompt_tokens=10, completion_tokens=2)
    assert extract_usage({"id": "x", "usage": {"input_tokens": 10, "output_tokens": 2}}) == Usage(
        prompt_tokens=10, completion_tokens=2
    )


def test_openai_compatible_without_object_field() -> None:
    body = load("openai", "chat_completion")
    del body["object"]
    assert extract_usage(body) == Usage(prompt_tokens=19, completion_tokens=10)
    assert extract_model(body) == "gpt-4o-2024-08-06"
    assert extract_provider(body) == "openai"


def test_handler_cached_by_class() -> None:
    _extract._handlers.pop(ChatCompletion, None)
    completion = ChatCompletion.model_validate(load("openai", "chat_completion"))
    assert extract_usage(completion) == Usage(prompt_tokens=19, completion_tokens=10)
    assert _extract._handlers[ChatCompletion] is _extract._OPENAI_CHAT
    assert extract_usage(completion) == Usage(prompt_tokens=19, completion_tokens=10)


def test_generic_containers_not_cached() -> None:
    openai_like = SimpleNamespace(object="chat.completion", usage={"prompt_tokens": 5, "completion_tokens": 1})
    anthropic_like = SimpleNamespace(type="message", usage={"input_tokens": 5, "cache_read_input_tokens": 7})
    assert extract_usage(openai_like) == Usage(prompt_tokens=5, completion_tokens=1)
    assert extract_usage(anthropic_like) == Usage(prompt_tokens=12, cached_tokens=7)
    assert dict not in _extract._handlers
    assert SimpleNamespace not in _extract._handlers


KEYS = [
    "usage",
    "usageMetadata",
    "usage_metadata",
    "type",
    "object",
    "model",
    "data",
    "created",
    "kind",
    "parts",
    "prompt_tokens",
    "completion_tokens",
    "input_tokens",
    "output_tokens",
    "details",
    "cache_read_input_tokens",
    "promptTokenCount",
    "response",
    "message",
    "requests",
    "cache_read_tokens",
]
MARKERS = [
    "message",
    "message_start",
    "message_delta",
    "response.completed",
    "response",
    "chat.completion",
    "list",
]
keys = st.sampled_from(KEYS)
markers = st.sampled_from(MARKERS)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | markers,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, json_values, max_size=6))
def test_any_json_never_raises(body: dict[str, Any]) -> None:
    logging.getLogger("llmledger.usage").disabled = True
    try:
        usage = extract_usage(body)
        model = extract_model(body)
        provider = extract_provider(body)
    finally:
        logging.getLogger("llmledger.usage").disabled = False
    assert usage is None or isinstance(usage, Usage)
    assert model is None or isinstance(model, str)
    assert provider in (None, "openai", "anthropic", "google")
