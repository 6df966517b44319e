import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from llmledger import UsageLimitExceededError
from llmledger.budgets import Budget
from llmledger.ledger import open_ledger

WORKER = Path(__file__).with_name("worker.py")
PG_DSN = os.environ.get("LLMLEDGER_TEST_PG_DSN")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "budget.db")
        return
    if not PG_DSN:
        pytest.skip("LLMLEDGER_TEST_PG_DSN is not set: PostgreSQL tests need a server")
    import psycopg

    schema = f"t_{os.getpid()}_{os.urandom(3).hex()}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_DSN else "?"
    yield f"{PG_DSN}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_limit_spent_reserved_remaining(db: str) -> None:
    # one reservation per lease: the budget's numbers follow each reservation exactly
    with Budget(db, "b", limit_usd="1.00", limit_tokens=1000, reservations_per_lease=1) as budget:
        first = budget.reserve(Decimal("0.60"), tokens=100)
        assert (budget.spent, budget.reserved, budget.remaining) == (Decimal(0), Decimal("0.6"), Decimal("0.4"))
        with pytest.raises(UsageLimitExceededError, match=re.escape("Budget 'b': $0.6000 spent or held of $1.0000")):
            budget.reserve(Decimal("0.41"))
        first.settle(Decimal("0.25"), 80)
        first.settle(Decimal("0.25"), 80)  # settling twice counts once
        assert (budget.spent, budget.reserved, budget.spent_tokens) == (Decimal("0.25"), Decimal(0), 80)
        second = budget.reserve(Decimal("0.75"))
        second.release()
        assert budget.remaining == Decimal("0.75")
        with pytest.raises(UsageLimitExceededError):
            budget.reserve(Decimal(0), tokens=921)
    # a second handle without a limit uses the stored one
    with Budget(db, "b") as again:
        assert again.limit_usd == Decimal(1)
        assert again.limit_tokens == 1000
        again.reset()
        assert again.spent == 0 and again.limit_usd == Decimal(1)


def test_exact_pico_dollars(db: str) -> None:
    with Budget(db, "exact", limit_usd="0.000003") as budget:
        for _ in range(3):
            budget.reserve(Decimal("0.000001")).settle(Decimal("0.000001"), 1)
        assert budget.spent == Decimal("0.000003")
        with pytest.raises(UsageLimitExceededError):
            budget.reserve(Decimal("0.000000000001"))


def test_lease_expires_and_frees_its_amount(db: str) -> None:
    clock = Clock()
    with Budget(db, "lease", limit_usd=1, lease_seconds=10, clock=clock) as budget:
        stale = budget.reserve(Decimal("0.9"))
        with pytest.raises(UsageLimitExceededError):
            budget.reserve(Decimal("0.5"))
        clock.now += 11
        fresh = budget.reserve(Decimal("0.5"))  # the refused reserve frees expired leases and retries
        assert budget.reserved == Decimal("0.5")
        stale.settle(Decimal("0.3"), 10)  # a late settle still counts its spend, once
        assert budget.spent == Decimal("0.3")
        assert budget.reserved == Decimal("0.5")
        fresh.settle(Decimal("0.1"), 1)
        assert budget.spent == Decimal("0.4")


def run_workers(
    db: str, count: int, cycles: int, *extra: str, env: dict[str, str] | None = None
) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [sys.executable, str(WORKER), db, "shared", str(cycles), str(seed), *extra],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        for seed in range(count)
    ]


def test_sixteen_processes_never_pass_the_limit(db: str) -> None:
    limit = Decimal("20.00")
    Budget(db, "shared", limit_usd=limit).close()
    procs = run_workers(db, 16, 500)
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    settled = sum(r["settled"] for r in results)
    refused = sum(r["refused"] for r in results)
    with Budget(db, "shared") as budget:
        assert budget.spent <= limit
        assert budget.reserved == 0
        assert budget.spent == sum(Decimal(r["spent"]) for r in results)
    assert refused > 0, "the limit must refuse some reservations"
    assert settled + refused == 16 * 500
    ledger = open_ledger(db)
    stats = ledger.stats()
    ledger.close()
    assert stats.totals.calls == settled, "every settled call is in the ledger once"
    assert stats.totals.cost_usd == sum(Decimal(r["spent"]) for r in results)


def test_killed_workers_leases_expire_and_the_budget_recovers(db: str) -> None:
    Budget(db, "shared", limit_usd="0.100").close()
    procs = run_workers(db, 4, 0, "--die-holding", "2", env={"LEASE": "1.5"})
    for proc in procs:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["holding"] is True
    with Budget(db, "shared") as budget:
        held = budget.reserved
        assert held >= Decimal("0.080")  # each process leased a little more than its two reservations
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert proc.stdout is not None
            proc.stdout.close()
        with pytest.raises(UsageLimitExceededError):
            budget.reserve(Decimal("0.050"))
        time.sleep(1.6)
        budget.reserve(Decimal("0.050")).settle(Decimal("0.050"), 1)
        assert budget.reserved == 0
        assert budget.spent == Decimal("0.05")
