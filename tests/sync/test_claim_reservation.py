"""How a run takes its batches: the oldest waiting claims, each taken by one run only."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from accountlink_ui import claim_queue_repository
from accountlink_ui.accounting.vouchers import ExportRecord
from accountlink_ui.db import engine_for, migrate, session_scope
from accountlink_ui.models import ExpenseClaim
from tests.support.sync_world import SyncWorld


def reserved(
    world: SyncWorld, integration_id: int, limit: int
) -> list[claim_queue_repository.WaitingClaim]:
    with session_scope(world.services.engine) as session:
        return claim_queue_repository.reserve_waiting_claims(
            session, world.bf_org, integration_id, limit=limit
        )


def reserve(world: SyncWorld, integration_id: int, limit: int) -> list[str]:
    return [row.idempotency_key for row in reserved(world, integration_id, limit)]


def waiting(world: SyncWorld) -> int:
    with session_scope(world.services.engine) as session:
        return claim_queue_repository.waiting_claims_count(session, world.bf_org)


def test_batches_are_the_oldest_waiting_claims_each_taken_once(world: SyncWorld) -> None:
    integration_id = world.connect("generic_rest")
    later = world.claims(30, first_date=date(2025, 6, 2), seed=1)
    earlier = world.claims(20, first_date=date(2025, 1, 2), seed=2)  # newer ids, older dates
    assert waiting(world) == 50

    first = reserve(world, integration_id, 25)
    second = reserve(world, integration_id, 25)

    assert first == earlier + later[:5], "oldest claim date first, whatever the insert order"
    assert second == later[5:]
    assert reserve(world, integration_id, 25) == []
    rows = world.claim_rows()
    assert {(row.status, row.exported_integration_id) for row in rows} == {
        ("sending", integration_id)
    }
    assert waiting(world) == 0


def test_a_batch_leaves_claims_the_target_refused(world: SyncWorld) -> None:
    integration_id = world.connect("generic_rest")
    keys = world.claims(4)
    with session_scope(world.services.engine) as session:
        session.execute(
            update(ExpenseClaim)
            .where(col(ExpenseClaim.idempotency_key) == keys[0])
            .values(last_error="Account 9999 does not exist.")
        )

    assert waiting(world) == 3
    assert reserve(world, integration_id, 100) == keys[1:]


@pytest.mark.postgres
def test_two_runs_reserving_at_once_never_take_the_same_claim(world: SyncWorld) -> None:
    if world.services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes one writer at a time: the second reservation waits instead")
    rest = world.connect("generic_rest")
    xledger = world.connect("xledger")
    world.claims(10)

    with session_scope(world.services.engine) as first:  # still open: its rows stay locked
        taken = claim_queue_repository.reserve_waiting_claims(first, world.bf_org, rest, limit=6)
        other = reserve(world, xledger, 10)

    assert len(taken) == 6 and len(other) == 4
    assert not {row.idempotency_key for row in taken} & set(other)


def test_export_rows_unpack_into_export_records_in_field_order() -> None:
    names = [column.name for column in claim_queue_repository._export_columns()]
    fields = [
        {"posted_date": "claim_date", "claim_id": "id"}.get(name, name)
        for name in ExportRecord._fields
    ]
    assert names == fields


def test_a_run_finds_its_claims_through_the_partial_indexes(tmp_path: Path) -> None:
    """At scale an organization holds years of exported claims: a run must reach the few
    waiting or unconfirmed ones through their indexes, never by reading its whole history."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    migrate(url)
    claim = ExpenseClaim.__table__.c  # type: ignore[attr-defined]
    queries = {
        "ix_expense_claims_waiting": select(claim.id)
        .where(claim.organization_id == 1, claim_queue_repository._waiting())
        .order_by(claim.claim_date, claim.id)
        .limit(500),
        "ix_expense_claims_unconfirmed": select(claim.id).where(
            claim.organization_id == 1, claim_queue_repository._unconfirmed_by(1)
        ),
    }
    with engine_for(url).connect() as connection:
        for index, query in queries.items():
            # Parameters bound as the app binds them, so this is the plan the app gets.
            compiled = query.compile(connection.engine)
            values = compiled.construct_params()
            parameters = tuple(values[name] for name in compiled.positiontup or ())
            explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", parameters)
            plan = " | ".join(row[-1] for row in explained)
            assert f"USING INDEX {index}" in plan, plan
            assert "TEMP B-TREE" not in plan, f"sorts instead of reading in order: {plan}"


def test_reserved_claims_carry_the_values_the_orm_reads(world: SyncWorld) -> None:
    """The batch query bypasses SQLAlchemy's row handling; the values must not change."""
    integration_id = world.connect("generic_rest")
    world.claims(40, seed=5)
    before = {row.id: row for row in world.claim_rows()}

    rows = [*reserved(world, integration_id, 25), *reserved(world, integration_id, 25)]

    assert len(rows) == 40
    for row in rows:
        claim = before[row.claim_id]
        columns = claim_queue_repository._export_columns()
        assert tuple(row) == tuple(getattr(claim, column.name) for column in columns)
        assert str(row.amount) == str(claim.amount), "two decimals, as the adapters send them"
        if row.vat_amount is not None:
            assert str(row.vat_amount) == str(claim.vat_amount)
