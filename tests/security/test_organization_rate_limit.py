"""The API budget is per organization as well as per token: a new token brings no new budget."""

from __future__ import annotations

import threading
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
from accountlink_ui.views import Actor


@dataclass
class Org:
    url: str
    engine: Engine
    admin: Actor
    organization_id: int
    other_token: int
    """A token of another organization, which has a budget of its own."""
    now: list[datetime]

    def new_token(self) -> int:
        issued = ApiTokenService(engine=self.engine).create_token(
            self.admin, self.organization_id, f"script {utcnow().timestamp()}"
        )
        assert issued.view.id is not None
        return issued.view.id

    def limiter(self, *, per_token: int, per_organization: int) -> RateLimiter:
        limit = RateLimit(calls=per_token, per_seconds=60, organization_calls=per_organization)
        return RateLimiter(limit, clock=lambda: self.now[0])


@pytest.fixture
def org(database_url: str, tmp_path: Path) -> Org:
    services = build_services(
        Settings(database_url=database_url, data_dir=tmp_path, master_key_file=tmp_path / "k")
    )
    auth = services.auth
    first = auth.create_organization(name="Budget", slug="budget")
    second = auth.create_organization(name="Other", slug="other")
    admin = auth.create_user(email="budget@example.org", name="Bud", password="pw-budget")
    auth.add_membership(organization_id=first, user_id=admin.user_id, role=Role.ADMIN)
    auth.add_membership(organization_id=second, user_id=admin.user_id, role=Role.ADMIN)
    other = ApiTokenService(engine=services.engine).create_token(admin, second, "other org")
    assert other.view.id is not None
    return Org(database_url, services.engine, admin, first, other.view.id, [utcnow()])


def test_creating_new_tokens_does_not_reset_the_organization_budget(org: Org) -> None:
    limiter = org.limiter(per_token=2, per_organization=5)
    allowed = 0
    for _ in range(6):  # an attacker's loop: spend a token, create the next one
        token = org.new_token()
        while limiter.take(org.engine, token, "test") is None:
            allowed += 1
    assert allowed == 5
    refusal = limiter.take(org.engine, org.new_token(), "test")
    assert refusal is not None and refusal.scope == "organization"
    assert refusal.retry_after == 60
    # Other actions and other organizations keep their own budgets.
    assert limiter.take(org.engine, org.new_token(), "sync") is None
    assert limiter.take(org.engine, org.other_token, "test") is None
    # The window slides for the organization too.
    org.now[0] += timedelta(seconds=60.5)
    assert limiter.take(org.engine, org.new_token(), "test") is None


def test_a_spent_token_is_refused_as_a_token(org: Org) -> None:
    limiter = org.limiter(per_token=2, per_organization=5)
    token = org.new_token()
    assert limiter.take(org.engine, token, "test") is None
    assert limiter.take(org.engine, token, "test") is None
    refusal = limiter.take(org.engine, token, "test")
    assert refusal is not None and refusal.scope == "token"


def test_workers_on_many_tokens_never_exceed_the_organization_budget(org: Org) -> None:
    """Four workers (engines of their own), each with fresh tokens, calling at once."""
    tokens = [[org.new_token() for _ in range(3)] for _ in range(4)]
    engines = [engine_for.__wrapped__(org.url) for _ in range(4)]  # type: ignore[attr-defined]
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker(engine: Engine, own_tokens: list[int]) -> None:
        limiter = org.limiter(per_token=10, per_organization=7)
        for token in own_tokens:
            for _ in range(2):
                ok = limiter.take(engine, token, "test") is None
                with lock:
                    allowed.append(ok)

    threads = [
        threading.Thread(target=worker, args=(engine, own))
        for engine, own in zip(engines, tokens, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            engine.dispose()
    assert len(allowed) == 24 and allowed.count(True) == 7


def test_the_organization_budget_is_an_operator_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from accountlink_ui.services.wiring import api_rate_limiter
    from accountlink_ui.settings import get_settings

    monkeypatch.setenv("ACCOUNTLINK_API_ORGANIZATION_BUDGET", "12")
    get_settings.cache_clear()
    try:
        limiter = api_rate_limiter(get_settings())
    finally:
        get_settings.cache_clear()
    assert limiter.limit.organization_calls == 12
