import re
from decimal import Decimal

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from llmledger import CostTracker, UsageLimitExceededError, UsageLimits
from llmledger.bounds import messages_prompt_bound
from llmledger.testing import LocalAnthropicServer, LocalGoogleServer, LocalOpenAIServer

from .conftest import PRICES

MESSAGES = [{"role": "user", "content": "Count the panels in this layout."}]


def limited(usd: str) -> CostTracker:
    return CostTracker(PRICES, usage_limits=UsageLimits(total_cost_usd_limit=Decimal(usd)))


def test_capped_max_tokens_reaches_the_server(openai_server: LocalOpenAIServer) -> None:
    openai_server.reset()
    tracker = limited("0.003")
    with openai.OpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0) as client:
        tracker.instrument(client)
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    bound = messages_prompt_bound(MESSAGES)
    expected = int((Decimal("0.003") - Decimal("0.005") * bound / 1000) / (Decimal("0.015") / 1000))
    assert openai_server.requests[-1].body["max_completion_tokens"] == expected
    assert tracker.limits is not None and tracker.limits.reserved_usd == 0  # settled
    assert tracker.limits.spent_usd == tracker.total_cost > 0


def test_model_limit_caps_the_output(openai_server: LocalOpenAIServer) -> None:
    tracker = limited("1000")
    with openai.OpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0) as client:
        tracker.instrument(client)
        client.responses.create(model="gpt-4o", input="hello")
    assert openai_server.requests[-1].body["max_output_tokens"] == 16384  # gpt-4o's own limit


def test_callers_cap_is_kept(openai_server: LocalOpenAIServer) -> None:
    tracker = limited("1")
    with openai.OpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0) as client:
        tracker.instrument(client)
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=5)
    body = openai_server.requests[-1].body
    assert body["max_tokens"] == 5 and "max_completion_tokens" not in body


def test_unaffordable_openai_call_is_not_sent(openai_server: LocalOpenAIServer) -> None:
    openai_server.reset()
    tracker = limited("0.0000001")
    with openai.OpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0) as client:
        tracker.instrument(client)
        with pytest.raises(UsageLimitExceededError, match=re.escape("Not even the prompt fits")):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    assert openai_server.hits == 0
    assert tracker.calls == 0


def test_unaffordable_anthropic_and_google_calls_are_not_sent(
    anthropic_server: LocalAnthropicServer, google_server: LocalGoogleServer
) -> None:
    anthropic_server.reset()
    google_server.reset()
    tracker = limited("0.0000001")
    with anthropic.Anthropic(base_url=anthropic_server.base_url, api_key="test", max_retries=0) as client:
        tracker.instrument(client)
        with pytest.raises(UsageLimitExceededError):
            client.messages.create(model="claude-test-1", max_tokens=10, messages=MESSAGES)
    with genai.Client(api_key="test", http_options=types.HttpOptions(base_url=google_server.base_url)) as g:
        tracker.instrument(g)
        with pytest.raises(UsageLimitExceededError):
            g.models.generate_content(model="gemini-test-2.5", contents="hello")
    assert anthropic_server.hits == google_server.hits == 0


def test_google_cap_goes_into_config(google_server: LocalGoogleServer) -> None:
    tracker = limited("0.001")
    with genai.Client(api_key="test", http_options=types.HttpOptions(base_url=google_server.base_url)) as g:
        tracker.instrument(g)
        g.models.generate_content(model="gemini-test-2.5", contents="hello")
    cap = google_server.requests[-1].body["generationConfig"]["maxOutputTokens"]
    bound = messages_prompt_bound("hello")
    assert cap == int((Decimal("0.001") - Decimal("0.0003") * bound / 1000) / (Decimal("0.0025") / 1000))
