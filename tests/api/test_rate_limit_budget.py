"""The per-token budget lives in the database, so every backend worker spends from it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from accountlink_ui.db import engine_for
from accountlink_ui.models import Role, utcnow
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.rate_limits import RateLimit, RateLimiter
from accountlink_ui.services.wiring import build_services
from accountlink_ui.settings import Settings


@dataclass
class Budget:
    url: str
    engine: Engine
    token_id: int
    now: list[datetime]

    def limiter(self, calls: int, per_seconds: float = 60) -> RateLimiter:
        return RateLimiter(RateLimit(calls=calls, per_seconds=per_seconds), clock=self.clock)

    def clock(self) -> datetime:
        return self.now[0]

    def later(self, seconds: float) -> None:
        self.now[0] += timedelta(seconds=seconds)

    def other_process(self) -> Engine:
        """An engine of its own (its own connection pool), as another worker would have."""
        return engine_for.__wrapped__(self.url)  # type: ignore[attr-defined]


@pytest.fixture
def budget(database_url: str, tmp_path: Path) -> Budget:
    url = database_url
    services = build_services(
        Settings(database_url=url, data_dir=tmp_path, master_key_file=tmp_path / "keys.json")
    )
    org = services.auth.create_organization(name="Limits", slug="limits")
    admin = services.auth.create_user(email="limits@example.org", name="Lim", password="pw-limits")
    services.auth.add_membership(organization_id=org, user_id=admin.user_id, role=Role.ADMIN)
    issued = ApiTokenService(engine=services.engine).create_token(admin, org, "limits")
    assert issued.view.id is not None
    return Budget(url, services.engine, issued.view.id, [utcnow()])


def test_the_window_slides(budget: Budget) -> None:
    limiter = budget.limiter(calls=2)
    assert limiter.take(budget.engine, budget.token_id, "test") is None
    budget.later(30)
    assert limiter.take(budget.engine, budget.token_id, "test") is None
    refusal = limiter.take(budget.engine, budget.token_id, "test")
    assert refusal is not None and refusal.retry_after == 30
    budget.later(30.5)
    assert limiter.take(budget.engine, budget.token_id, "test") is None


def test_a_refused_call_is_not_counted_and_actions_have_their_own_budgets(
    budget: Budget,
) -> None:
    limiter = budget.limiter(calls=1, per_seconds=10)
    assert limiter.take(budget.engine, budget.token_id, "test") is None
    for _ in range(5):
        assert limiter.take(budget.engine, budget.token_id, "test") is not None
    assert limiter.take(budget.engine, budget.token_id, "sync") is None
    budget.later(10.1)
    assert limiter.take(budget.engine, budget.token_id, "test") is None


def test_two_workers_spend_from_one_budget(budget: Budget) -> None:
    first, second = budget.limiter(calls=3), budget.limiter(calls=3)
    other = budget.other_process()
    try:
        for _ in range(3):
            assert first.take(budget.engine, budget.token_id, "sync") is None
        refusal = second.take(other, budget.token_id, "sync")
        assert refusal is not None, "another worker's calls count too"
    finally:
        other.dispose()


def test_callers_at_the_same_moment_never_get_more_than_the_budget(budget: Budget) -> None:
    engines = [budget.other_process() for _ in range(4)]
    allowed: list[bool] = []
    lock = threading.Lock()

    def caller(engine: Engine) -> Callable[[], None]:
        def call() -> None:
            limiter = budget.limiter(calls=5)
            for _ in range(3):
                ok = limiter.take(engine, budget.token_id, "test") is None
                with lock:
                    allowed.append(ok)

        return call

    threads = [threading.Thread(target=caller(engine)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            engine.dispose()
    assert len(allowed) == 12 and allowed.count(True) == 5
