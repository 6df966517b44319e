import pytest

from llmledger import ImageUsage, Usage


def test_total_and_sum() -> None:
    a = Usage(prompt_tokens=10, completion_tokens=5, cached_tokens=4, images=(ImageUsage(count=1),))
    b = Usage(prompt_tokens=1, completion_tokens=2, reasoning_tokens=1, images=(ImageUsage(count=2),))
    total = a + b
    assert total.total_tokens == 18
    assert total.cached_tokens == 4
    assert total.reasoning_tokens == 1
    assert total.requests == 2
    assert total.images == (ImageUsage(count=3),)
    assert sum([a, b]) == total


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prompt_tokens": -1},
        {"completion_tokens": 1.5},
        {"prompt_tokens": True},
        {"prompt_tokens": "10"},
        {"prompt_tokens": 5, "cached_tokens": 6},
        {"completion_tokens": 1, "reasoning_tokens": 2},
        {"requests": -1},
    ],
)
def test_bad_counts_raise_value_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Usage(**kwargs)  # type: ignore[arg-type]


def test_frozen() -> None:
    usage = Usage(prompt_tokens=1)
    with pytest.raises(AttributeError):
        usage.prompt_tokens = 2  # type: ignore[misc]
