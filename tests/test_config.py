import re
from decimal import Decimal
from pathlib import Path

import pytest

from llmledger import ConfigError, PricingNotConfiguredError, Usage, load_prices
from llmledger.config import find_config, parse_config, read_config

ISSUE_EXAMPLE = """\
[cost]
strict = true
[cost.providers.openai.gpt-4o]
prompt_tokens_per_1k = 0.005
completion_tokens_per_1k = 0.015
[cost.providers.openai."dall-e-3"]
prompt_tokens_per_1k = 0.0
completion_tokens_per_1k = 0.0
price_per_image_standard_1024x1024 = 0.040
price_per_image_hd_1792x1024 = 0.120
"""

DOTTED_NAMES = """\
[cost.providers.openai.gpt-3.5-turbo]
prompt_tokens_per_1k = 0.0015
completion_tokens_per_1k = 0.002
[cost.providers.google.gemini-1.5-pro]
prompt_tokens_per_1k = 0.00125
completion_tokens_per_1k = 0.005
[cost.providers.openai.gpt-4]
prompt_tokens_per_1k = 0.03
completion_tokens_per_1k = 0.06
[cost.providers.openai.gpt-4.5-preview]
prompt_tokens_per_1k = 0.075
completion_tokens_per_1k = 0.15
"""


def write(tmp_path: Path, text: str, name: str = "llmledger.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_issue_example_parses_verbatim(tmp_path: Path) -> None:
    config = read_config(write(tmp_path, ISSUE_EXAMPLE))
    assert config.strict is True
    gpt4o = config.prices["openai", "gpt-4o"]
    assert gpt4o.prompt_per_1k == Decimal("0.005")
    assert gpt4o.completion_per_1k == Decimal("0.015")
    dalle = config.prices["openai", "dall-e-3"]
    assert dalle.image_prices == {
        ("standard", "1024x1024"): Decimal("0.040"),
        ("hd", "1792x1024"): Decimal("0.120"),
    }
    assert dalle.source == "config"
    assert dalle.source_detail.endswith("[cost.providers.openai.dall-e-3]")


def test_unquoted_dotted_model_names_mean_the_dotted_model() -> None:
    config = parse_config(DOTTED_NAMES)
    assert set(config.prices) == {
        ("openai", "gpt-3.5-turbo"),
        ("google", "gemini-1.5-pro"),
        ("openai", "gpt-4"),
        ("openai", "gpt-4.5-preview"),
    }
    assert config.prices["openai", "gpt-4.5-preview"].prompt_per_1k == Decimal("0.075")
    table = load_prices_from_text(DOTTED_NAMES)
    cost = table.cost("google-gla:gemini-1.5-pro", Usage(prompt_tokens=1000, completion_tokens=1000))
    assert cost.total_usd == Decimal("0.00625")
    assert cost.source == "config"


def load_prices_from_text(text: str):  # type: ignore[no-untyped-def]
    from llmledger import PriceTable

    config = parse_config(text)
    return PriceTable(config.prices, strict=config.strict)


def test_per_million_spellings_and_cache_keys() -> None:
    config = parse_config(
        """
        [cost.providers.anthropic.claude-x]
        prompt_tokens_per_million = 3
        completion_tokens_per_million = 15
        cached_prompt_tokens_per_million = 0.30
        cache_write_tokens_per_1k = 0.00375
        """
    )
    price = config.prices["anthropic", "claude-x"]
    assert price.prompt_per_million == Decimal(3)
    assert price.cached_prompt_per_million == Decimal("0.30")
    assert price.cache_write_per_million == Decimal("3.75000")


@pytest.mark.parametrize(
    ("key", "value"),
    [("prompt_token_per_1k", "0.005"), ("completion_tokens_per_1K", "0.1"), ("price_per_image_hd", "0.1")],
)
def test_unknown_key_names_file_table_and_key(tmp_path: Path, key: str, value: str) -> None:
    path = write(tmp_path, f"[cost.providers.openai.gpt-4o]\n{key} = {value}\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path} [cost.providers.openai.gpt-4o] key {key!r}")) as info:
        read_config(path)
    assert info.value.key == key
    assert info.value.table == "cost.providers.openai.gpt-4o"
    assert info.value.path == path


def test_unknown_key_in_cost_section(tmp_path: Path) -> None:
    path = write(tmp_path, "[cost]\nstrcit = true\n")
    with pytest.raises(ConfigError, match=re.escape("[cost] key 'strcit'")):
        read_config(path)


def test_malformed_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[cost]\nstrict = true\n[cost.providers.openai.gpt-4o\nprompt_tokens_per_1k = 1\n")
    with pytest.raises(ConfigError, match=re.escape(f"{path}, line 3")) as info:
        read_config(path)
    assert info.value.line == 3


@pytest.mark.parametrize("value", ["-0.001", "nan", "inf", "-inf", "true", '"abc"'])
def test_bad_price_values(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"[cost.providers.openai.gpt-4o]\nprompt_tokens_per_1k = {value}\n")
    with pytest.raises(ConfigError, match=re.escape("key 'prompt_tokens_per_1k'")):
        read_config(path)


def test_same_price_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="given twice"):
        parse_config("[cost.providers.openai.m]\nprompt_tokens_per_1k = 1\nprompt_tokens_per_million = 1000\n")


def test_strict_must_be_boolean() -> None:
    with pytest.raises(ConfigError, match=re.escape("[cost] key 'strict'")):
        parse_config('[cost]\nstrict = "yes"\n')


def test_empty_model_table_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no prices"):
        parse_config("[cost.providers.openai.gpt-4o]\n")


def test_other_tables_are_ignored_as_in_flujo_toml() -> None:
    config = parse_config('[settings]\nfoo = 1\n[agents]\nmodel = "x"\n')
    assert config.prices == {}
    assert config.strict is False


def test_find_config_prefers_env_then_llmledger_then_flujo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.delenv("LLMLEDGER_CONFIG", raising=False)
    assert find_config(nested) is None
    flujo = write(tmp_path, "[cost]\n", "flujo.toml")
    assert find_config(nested) == flujo
    ours = write(tmp_path / "a", "[cost]\n")
    assert find_config(nested) == ours
    other = write(tmp_path, "[cost]\n", "elsewhere.toml")
    monkeypatch.setenv("LLMLEDGER_CONFIG", str(other))
    assert find_config(nested) == other
    monkeypatch.setenv("LLMLEDGER_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        find_config(nested)


def test_load_prices_finds_config_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMLEDGER_CONFIG", raising=False)
    write(tmp_path, ISSUE_EXAMPLE)
    monkeypatch.chdir(tmp_path)
    table = load_prices()
    assert table.strict
    with pytest.raises(PricingNotConfiguredError):
        table.cost("openai:gpt-4o-mini", Usage(prompt_tokens=1))
