import random
import re
import threading
from decimal import Decimal

import pytest

from llmledger import LimitGuard, UsageLimitExceededError, UsageLimits
from llmledger.bounds import IMAGE_TOKENS_UPPER_BOUND, prompt_tokens_bound, text_tokens
from llmledger.budget import CombinedReserver


def test_reserve_settle_release() -> None:
    guard = LimitGuard(UsageLimits(total_cost_usd_limit=Decimal("1.00"), total_tokens_limit=1000))
    first = guard.reserve(Decimal("0.60"), tokens=500)
    assert guard.remaining_usd == Decimal("0.40")
    with pytest.raises(UsageLimitExceededError, match=re.escape("Cost limit of $1.0000 would be exceeded")) as info:
        guard.reserve(Decimal("0.50"), tokens=10)
    assert info.value.spent == Decimal("0.60") and info.value.requested == Decimal("0.50")
    first.settle(Decimal("0.10"), 120)
    assert (guard.spent_usd, guard.reserved_usd, guard.spent_tokens) == (Decimal("0.10"), 0, 120)
    second = guard.reserve(Decimal("0.50"), tokens=800)
    with pytest.raises(UsageLimitExceededError, match="Token limit of 1,000"):
        guard.reserve(Decimal("0"), tokens=100)
    second.release()
    assert guard.remaining_tokens == 880
    with pytest.raises(RuntimeError, match="already settled"):
        second.settle(Decimal("0.5"), 1)


def test_unknown_actual_cost_keeps_the_estimate() -> None:
    guard = LimitGuard(UsageLimits(total_cost_usd_limit=Decimal("1")))
    guard.reserve(Decimal("0.3")).settle(None, 0)
    assert guard.spent_usd == Decimal("0.3")


def test_limits_validate() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        UsageLimits(total_cost_usd_limit=-1)
    with pytest.raises(ValueError, match="non-negative integer"):
        UsageLimits(total_tokens_limit=1.5)  # type: ignore[arg-type]
    assert UsageLimits(total_cost_usd_limit=0.1).cost_limit == Decimal("0.1")


def test_threads_never_overshoot() -> None:
    limit = Decimal("5.00")
    guard = LimitGuard(UsageLimits(total_cost_usd_limit=limit))
    refused = 0
    lock = threading.Lock()

    def work(seed: int) -> None:
        nonlocal refused
        rng = random.Random(seed)
        for _ in range(500):
            worst = Decimal(rng.randint(1, 100)) / 1000
            try:
                reservation = guard.reserve(worst)
            except UsageLimitExceededError:
                with lock:
                    refused += 1
                continue
            reservation.settle(worst * Decimal(rng.randint(50, 100)) / 100, 1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert guard.spent_usd <= limit
    assert guard.reserved_usd == 0
    assert refused > 0


def test_combined_reserver_releases_when_one_refuses() -> None:
    roomy = LimitGuard(UsageLimits(total_cost_usd_limit=Decimal("10")))
    tight = LimitGuard(UsageLimits(total_cost_usd_limit=Decimal("1")))
    both = CombinedReserver(roomy, tight)
    assert both.remaining_usd == Decimal("1")
    with pytest.raises(UsageLimitExceededError):
        both.reserve(Decimal("2"))
    assert roomy.reserved_usd == 0
    both.reserve(Decimal("0.5")).settle(Decimal("0.25"), 3)
    assert roomy.spent_usd == tight.spent_usd == Decimal("0.25")


def test_prompt_bound_covers_bytes_messages_images_and_schemas() -> None:
    assert text_tokens("héllo") == 6  # UTF-8 bytes: no tokenizer makes more tokens than bytes
    assert text_tokens("héllo", "estimate") == 2
    base = prompt_tokens_bound(["abc"], messages=1)
    assert prompt_tokens_bound(["abc"], messages=1, images=2) == base + 2 * IMAGE_TOKENS_UPPER_BOUND
    assert prompt_tokens_bound(["abc"], messages=2) > base
    assert prompt_tokens_bound(["abc"], messages=1, schemas=[{"type": "object"}]) > base
