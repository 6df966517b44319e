from collections.abc import Iterator

import pytest

from llmledger import PriceTable
from llmledger.config import parse_config
from llmledger.testing import LocalAnthropicServer, LocalGoogleServer, LocalOpenAIServer

# $ per 1K tokens, chosen so costs are easy to compute by hand
PRICES = PriceTable(
    parse_config(
        """
[cost.providers.openai.gpt-4o]
prompt_tokens_per_1k = 0.005
completion_tokens_per_1k = 0.015
cached_prompt_tokens_per_1k = 0.0025
max_output_tokens = 16384

[cost.providers.openai.text-embedding-3-small]
prompt_tokens_per_1k = 0.00002

[cost.providers.openai.dall-e-3]
price_per_image_standard_1024x1024 = 0.040

[cost.providers.anthropic.claude-test-1]
prompt_tokens_per_1k = 0.003
completion_tokens_per_1k = 0.015
cached_prompt_tokens_per_1k = 0.0003
cache_write_tokens_per_1k = 0.00375

[cost.providers.google.gemini-test-2.5]
prompt_tokens_per_1k = 0.0003
completion_tokens_per_1k = 0.0025
cached_prompt_tokens_per_1k = 0.000075
"""
    ).prices
)


@pytest.fixture(scope="session")
def openai_server() -> Iterator[LocalOpenAIServer]:
    with LocalOpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def anthropic_server() -> Iterator[LocalAnthropicServer]:
    with LocalAnthropicServer() as server:
        yield server


@pytest.fixture(scope="session")
def google_server() -> Iterator[LocalGoogleServer]:
    with LocalGoogleServer() as server:
        yield server
