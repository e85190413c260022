"""Demo claims, the claims page's view of them, and the retry policy's numbers."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from accountlink_ui.accounting.posting_settings import CATEGORY_KEYS
from accountlink_ui.demo_claims import CLAIM_KINDS, CLAIMANTS, seed_demo_claims
from accountlink_ui.services.sync_retry import RetryPolicy
from tests.support.sync_world import SyncWorld

CATEGORIES = {kind.category for kind in CLAIM_KINDS}


def test_demo_claims_look_like_norwegian_expense_claims_and_seed_once(world: SyncWorld) -> None:
    engine = world.services.engine

    created = seed_demo_claims(engine, world.bf_org, count=30, today=date(2025, 6, 30))
    again = seed_demo_claims(engine, world.bf_org, count=30, today=date(2025, 6, 30))

    assert (created, again) == (30, 0)
    rows = world.claim_rows()
    assert len(rows) == 30
    assert all(re.fullmatch(rf"AL-{world.bf_org}-[0-9a-f]{{16}}", r.idempotency_key) for r in rows)
    assert {r.currency for r in rows} == {"NOK"}
    assert {r.category for r in rows} <= CATEGORIES <= CATEGORY_KEYS
    assert {r.account_code for r in rows} == {""}  # the posting settings decide
    assert all(r.vat_amount is None or Decimal(0) < r.vat_amount < r.amount for r in rows)
    assert any(r.vat_amount for r in rows) and any(r.cost_centre for r in rows)
    assert {r.claimant for r in rows} <= set(CLAIMANTS)
    assert all(Decimal("100") < r.amount < Decimal("10000") for r in rows)
    assert all(date(2025, 5, 19) <= r.claim_date < date(2025, 6, 30) for r in rows)
    assert {r.status for r in rows} == {"approved"}


def test_each_organization_gets_its_own_demo_claims(world: SyncWorld) -> None:
    seed_demo_claims(world.services.engine, world.bf_org)
    seed_demo_claims(world.services.engine, world.hlf_org)
    bf = {r.idempotency_key for r in world.claim_rows(world.bf_org)}
    hlf = {r.idempotency_key for r in world.claim_rows(world.hlf_org)}
    assert bf and hlf and not bf & hlf


def test_the_claims_page_shows_each_claims_export_state(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.claims(3)
    before = world.sync.claims(world.bf_admin, world.bf_org)
    assert [v.export_state for v in before] == ["Waiting"] * 3
    assert [v.claim_date for v in before] == sorted((v.claim_date for v in before), reverse=True)

    world.run(integration_id)

    after = world.sync.claims(world.bf_admin, world.bf_org)
    assert {(v.export_state, v.exported_to) for v in after} == {("Exported", "Xledger")}
    assert all(v.external_reference and v.exported_at for v in after)


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (9, 30.0, 60.0)]
)
def test_backoff_doubles_with_jitter_and_is_capped(attempt: int, low: float, high: float) -> None:
    policy = RetryPolicy()
    assert policy.delay(attempt, None, lambda: 0.0) == low
    assert policy.delay(attempt, None, lambda: 1.0) == high


def test_a_retry_after_is_honoured_and_never_shortened() -> None:
    policy = RetryPolicy()
    assert policy.delay(1, 5.0, lambda: 0.0) == 5.0
    assert 5.0 < policy.delay(1, 5.0, lambda: 1.0) <= 5.5
    assert policy.too_long(policy.delay(1, 3_600.0, lambda: 0.0))
    assert not policy.too_long(policy.delay(5, None, lambda: 1.0))
    assert policy.exhausted(5) and not policy.exhausted(4)
