import re
import warnings
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmledger import (
    CostUnknownWarning,
    ImageUsage,
    ModelPrice,
    PriceTable,
    PricingNotConfiguredError,
    Usage,
)
from llmledger.config import parse_config

CONFIG = """
[cost]
strict = true
[cost.providers.openai.gpt-4o]
prompt_tokens_per_1k = 0.005
completion_tokens_per_1k = 0.015
cached_prompt_tokens_per_1k = 0.0025
[cost.providers.anthropic.claude-3-5-sonnet]
prompt_tokens_per_million = 3
completion_tokens_per_million = 15
cached_prompt_tokens_per_million = 0.3
cache_write_tokens_per_million = 3.75
[cost.providers.openai."dall-e-3"]
prompt_tokens_per_1k = 0.0
completion_tokens_per_1k = 0.0
price_per_image_standard_1024x1024 = 0.040
price_per_image_hd_1792x1024 = 0.120
[cost.providers.openai.text-embedding-3-small]
prompt_tokens_per_million = 0.02
"""


@pytest.fixture
def strict_table() -> PriceTable:
    config = parse_config(CONFIG)
    return PriceTable(config.prices, strict=config.strict)


@pytest.fixture
def open_table() -> PriceTable:
    return PriceTable(parse_config(CONFIG).prices, strict=False)


def test_chat_cost_by_hand(strict_table: PriceTable) -> None:
    cost = strict_table.cost("openai:gpt-4o", Usage(prompt_tokens=1200, completion_tokens=150))
    # 1200/1000 * 0.005 + 150/1000 * 0.015 = 0.006 + 0.00225
    assert cost.total_usd == Decimal("0.00825")
    assert cost.prompt_usd == Decimal("0.006")
    assert cost.completion_usd == Decimal("0.00225")
    assert cost.source == "config"
    assert "[cost.providers.openai.gpt-4o]" in cost.source_detail


def test_cached_tokens_priced_at_cached_rate(strict_table: PriceTable) -> None:
    cost = strict_table.cost("openai:gpt-4o", Usage(prompt_tokens=2000, cached_tokens=1536, completion_tokens=10))
    # 464 * 0.005/1k + 1536 * 0.0025/1k + 10 * 0.015/1k
    assert cost.prompt_usd == Decimal("0.00232")
    assert cost.cached_usd == Decimal("0.00384")
    assert cost.total_usd == Decimal("0.00232") + Decimal("0.00384") + Decimal("0.00015")


def test_cache_reads_and_writes_anthropic(strict_table: PriceTable) -> None:
    usage = Usage(prompt_tokens=10_000, cached_tokens=6_000, cache_write_tokens=3_000, completion_tokens=500)
    cost = strict_table.cost("claude-3-5-sonnet", usage, provider="anthropic")
    # 1000*3 + 6000*0.3 + 3000*3.75 + 500*15 per million
    assert cost.total_usd == Decimal("0.003") + Decimal("0.0018") + Decimal("0.01125") + Decimal("0.0075")


def test_cached_rate_falls_back_to_prompt_rate() -> None:
    table = PriceTable(parse_config("[cost.providers.x.m]\nprompt_tokens_per_1k = 0.01\n").prices)
    assert table.cost("x:m", Usage(prompt_tokens=100, cached_tokens=100)).total_usd == Decimal("0.001")


def test_image_cost_by_quality_and_size(strict_table: PriceTable) -> None:
    usage = Usage(images=(ImageUsage(count=3, quality="hd", size="1792x1024"), ImageUsage(count=1, size="1024x1024")))
    cost = strict_table.cost("openai:dall-e-3", usage)
    assert cost.images_usd == Decimal("0.400")
    assert cost.total_usd == Decimal("0.400")


def test_missing_image_combination_strict_raises(strict_table: PriceTable) -> None:
    usage = Usage(images=(ImageUsage(count=1, quality="hd", size="1024x1024"),))
    with pytest.raises(PricingNotConfiguredError, match=re.escape("provider=openai, model=dall-e-3")):
        strict_table.cost("openai:dall-e-3", usage)


def test_missing_image_combination_not_strict_is_unknown(open_table: PriceTable) -> None:
    usage = Usage(images=(ImageUsage(count=1, quality="hd", size="1024x1024"),))
    with pytest.warns(CostUnknownWarning, match="no price for hd 1024x1024 images"):
        cost = open_table.cost("openai:dall-e-3", usage)
    assert cost.total_usd is None


def test_embedding_cost(strict_table: PriceTable) -> None:
    cost = strict_table.cost("openai:text-embedding-3-small", Usage(prompt_tokens=123_456))
    assert cost.total_usd == Decimal("0.00246912")


def test_strict_failure_message_and_no_catalog(strict_table: PriceTable) -> None:
    with pytest.raises(PricingNotConfiguredError) as info:
        strict_table.cost("openai:gpt-4o-mini", Usage(prompt_tokens=1))
    assert str(info.value) == "Pricing not configured for provider=openai, model=gpt-4o-mini"
    assert isinstance(info.value, LookupError)


def test_strict_dall_e_3_message_exact() -> None:
    table = PriceTable(strict=True)
    with pytest.raises(
        PricingNotConfiguredError, match=r"^Pricing not configured for provider=openai, model=dall-e-3$"
    ):
        table.cost("openai:dall-e-3", Usage(images=(ImageUsage(count=1),)))


def test_config_beats_catalog(open_table: PriceTable) -> None:
    cost = open_table.cost("openai:gpt-4o", Usage(prompt_tokens=1000))
    assert cost.source == "config"
    assert cost.total_usd == Decimal("0.005")  # the catalog says $2.50/M; the config wins


def test_catalog_prices_unconfigured_model(open_table: PriceTable) -> None:
    cost = open_table.cost("openai:gpt-4o-mini", Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000))
    assert cost.source == "catalog"
    assert cost.source_detail.startswith("genai-prices ")
    assert cost.total_usd == Decimal("0.15") + Decimal("0.6")


def test_catalog_image_prices_from_llmledger_data_file() -> None:
    table = PriceTable()
    cost = table.cost("openai:dall-e-3", Usage(images=(ImageUsage(count=2, quality="hd", size="1792x1024"),)))
    assert cost.total_usd == Decimal("0.240")
    assert cost.source == "catalog"
    assert "llmledger catalog" in cost.source_detail
    # gpt-image-1: token prices from genai-prices, per-image prices from the data file
    cost = table.cost(
        "openai:gpt-image-1",
        Usage(prompt_tokens=100, images=(ImageUsage(count=1, quality="high", size="1024x1536"),)),
    )
    assert cost.total_usd == Decimal("0.0005") + Decimal("0.25")


def test_catalog_long_context_tier() -> None:
    table = PriceTable()
    small = table.cost("anthropic:claude-sonnet-4-5", Usage(prompt_tokens=200_000))
    large = table.cost("anthropic:claude-sonnet-4-5", Usage(prompt_tokens=200_001))
    assert small.total_usd == Decimal("0.6")
    assert large.total_usd == Decimal(200_001 * 6) / 1_000_000


def test_unknown_model_is_none_and_warns_once() -> None:
    table = PriceTable()
    with pytest.warns(CostUnknownWarning, match="model=no-such-model"):
        first = table.cost("acme:no-such-model", Usage(prompt_tokens=10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = table.cost("acme:no-such-model", Usage(prompt_tokens=10))
    assert first.total_usd is None and second.total_usd is None
    assert first.reason == "no price in config or catalog"


def test_provider_aliases(open_table: PriceTable) -> None:
    config = parse_config("[cost.providers.google.gemini-1.5-pro]\nprompt_tokens_per_1k = 0.001\n")
    table = PriceTable(config.prices, strict=True)
    for ref in ("google:gemini-1.5-pro", "google-gla:gemini-1.5-pro", "google-vertex:gemini-1.5-pro"):
        assert table.cost(ref, Usage(prompt_tokens=1000)).total_usd == Decimal("0.001")
    assert table.cost("gemini-1.5-pro", Usage(prompt_tokens=1000), provider="google-vertex").total_usd


def test_one_million_one_token_calls_sum_exactly() -> None:
    table = PriceTable(parse_config("[cost.providers.openai.m]\nprompt_tokens_per_1k = 0.0015\n").prices)
    one = Usage(prompt_tokens=1)
    total = Decimal(0)
    for _ in range(1_000_000):
        cost = table.cost("openai:m", one).total_usd
        assert cost is not None
        total += cost
    assert total == Decimal("1.5")


def test_model_price_missing_rate_is_unknown_not_zero() -> None:
    table = PriceTable([ModelPrice(provider="x", model="m", prompt_per_million=Decimal(1))])
    with pytest.warns(CostUnknownWarning, match="no price for completion tokens"):
        assert table.cost("x:m", Usage(prompt_tokens=1, completion_tokens=1)).total_usd is None


counts = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    prompt = draw(counts)
    cached = draw(st.integers(min_value=0, max_value=prompt))
    written = draw(st.integers(min_value=0, max_value=prompt - cached))
    completion = draw(counts)
    images = draw(st.integers(min_value=0, max_value=5))
    return Usage(
        prompt_tokens=prompt,
        cached_tokens=cached,
        cache_write_tokens=written,
        completion_tokens=completion,
        reasoning_tokens=draw(st.integers(min_value=0, max_value=completion)),
        images=(ImageUsage(count=images),) if images else (),
    )


PROPERTY_TABLE = PriceTable(
    [
        ModelPrice(
            provider="p",
            model="m",
            prompt_per_million=Decimal("2.5"),
            completion_per_million=Decimal("10"),
            cached_prompt_per_million=Decimal("1.25"),
            cache_write_per_million=Decimal("3.125"),
            image_prices={("standard", "1024x1024"): Decimal("0.04")},
        )
    ],
    strict=True,
)


@given(usages(), usages())
def test_cost_is_additive(a: Usage, b: Usage) -> None:
    cost = PROPERTY_TABLE.cost("p:m", a + b).total_usd
    assert cost == PROPERTY_TABLE.cost("p:m", a).total_usd + PROPERTY_TABLE.cost("p:m", b).total_usd  # type: ignore[operator]


@given(usages(), st.sampled_from(["prompt", "completion", "images"]), st.integers(min_value=1, max_value=10_000))
def test_cost_is_monotone(usage: Usage, what: str, extra: int) -> None:
    more = {
        "prompt": Usage(prompt_tokens=extra),
        "completion": Usage(completion_tokens=extra),
        "images": Usage(images=(ImageUsage(count=extra),)),
    }[what]
    before = PROPERTY_TABLE.cost("p:m", usage).total_usd
    after = PROPERTY_TABLE.cost("p:m", usage + more).total_usd
    assert before is not None and after is not None
    assert after > before
