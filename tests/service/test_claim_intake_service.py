"""The claims intake service on SQLite and PostgreSQL: batches, repeats, status changes.

The API tests prove the HTTP answers; these prove what the database holds, on both
kinds, and that every status change the sync makes moves a claim's ``updated_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from accountlink_ui import claim_queue_repository
from accountlink_ui.db import session_scope
from accountlink_ui.models import ExpenseClaim, as_utc, utcnow
from accountlink_ui.services.api_token_service import ApiActor
from accountlink_ui.services.claim_intake_service import (
    ClaimIntakeService,
    ClaimsConflict,
    ClaimsInvalid,
    ClaimStateConflict,
)
from accountlink_ui.services.errors import NotFound
from tests.support.claims import app_batch, app_claim
from tests.support.scripted_world import World


def _actor(world: World, organization_id: int | None = None) -> ApiActor:
    admin = world.bf_admin if organization_id in (None, world.bf_org) else world.hlf_admin
    return ApiActor(
        user_id=admin.user_id,
        email=admin.email,
        name=admin.name,
        organization_id=organization_id or world.bf_org,
        token_id=1,
    )


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _claim(engine: Engine, external_id: str) -> ExpenseClaim:
    """A claim of the first organization (Blindeforbundet) by its app's id."""
    with session_scope(engine) as session:
        row = session.exec(
            select(ExpenseClaim).where(ExpenseClaim.external_id == external_id)
        ).one()
        session.expunge(row)
        return row


def test_a_batch_of_500_is_a_handful_of_statements_and_a_repeat_stores_nothing(
    world: World,
) -> None:
    service = ClaimIntakeService(engine=world.services.engine)
    actor = _actor(world)
    batch = app_batch("svc", 500)
    with _statements(world.services.engine) as statements:
        result = service.submit(actor, batch)
    assert result.created == 500
    assert len(statements) <= 12, statements[:20]
    again = service.submit(actor, batch)
    assert again.created == 0 and len(again.items) == 500
    batch["claims"][3]["description"] = "Changed"
    batch["claims"][9]["vat_amount"] = "1.00"
    with pytest.raises(ClaimsConflict) as conflict:
        service.submit(actor, batch)
    assert [(c.index, c.external_id, c.fields) for c in conflict.value.conflicts] == [
        (3, "svc-3", ["description"]),
        (9, "svc-9", ["vat_amount"]),
    ]
    with pytest.raises(ClaimsInvalid) as invalid:
        service.submit(actor, {"claims": [app_claim("dup"), app_claim("dup")]})
    assert [(p.index, p.field, p.code) for p in invalid.value.problems] == [
        (1, "external_id", "duplicate")
    ]
    with session_scope(world.services.engine) as session:
        assert claim_queue_repository.waiting_claims_count(session, world.bf_org) == 500


def test_every_status_change_moves_updated_at_and_withdrawn_claims_are_never_taken(
    world: World,
) -> None:
    engine = world.services.engine
    service = ClaimIntakeService(engine=engine)
    actor = _actor(world)
    service.submit(actor, app_batch("chg", 4))
    service.withdraw(actor, "chg-3")

    def stamp(external_id: str) -> object:
        return as_utc(_claim(engine, external_id).updated_at)

    before = {n: stamp(f"chg-{n}") for n in range(4)}
    with session_scope(engine) as session:
        taken = claim_queue_repository.reserve_waiting_claims(session, world.bf_org, 99, limit=10)
    assert {row.claim_id for row in taken} == {_claim(engine, f"chg-{n}").id for n in range(3)}
    reserved = {n: stamp(f"chg-{n}") for n in range(3)}
    assert all(reserved[n] > before[n] for n in range(3))
    assert stamp("chg-3") == before[3]

    ids = {n: _claim(engine, f"chg-{n}").id or 0 for n in range(3)}
    with session_scope(engine) as session:
        claim_queue_repository.mark_claims_exported(session, {ids[0]: "V-1"}, 99, utcnow())
        claim_queue_repository.mark_claims_refused(
            session, {ids[1]: "Account 0000 does not exist."}
        )
        claim_queue_repository.release_claims(session, [ids[2]])
    after = {n: stamp(f"chg-{n}") for n in range(3)}
    assert all(after[n] > reserved[n] for n in range(3))
    statuses = {n: service.get_claim(actor, f"chg-{n}").status for n in range(4)}
    assert statuses == {0: "exported", 1: "refused", 2: "waiting", 3: "withdrawn"}

    changed = service.list_claims(actor, changed_since=after[0] - timedelta(microseconds=1))
    assert "chg-0" in {c.external_id for c in changed.claims}
    refused = service.list_claims(actor, status="refused")
    assert [c.external_id for c in refused.claims] == ["chg-1"]
    assert refused.claims[0].refusal == "Account 0000 does not exist."

    with pytest.raises(ClaimStateConflict):
        service.withdraw(actor, "chg-0")
    with pytest.raises(ClaimStateConflict):
        service.retry(actor, "chg-2")
    assert service.retry(actor, "chg-1").status == "waiting"


def test_pages_walk_every_claim_once_and_other_organizations_see_nothing(world: World) -> None:
    service = ClaimIntakeService(engine=world.services.engine)
    actor = _actor(world)
    service.submit(actor, app_batch("pg", 23))
    seen: list[str] = []
    cursor = None
    while True:
        page = service.list_claims(actor, cursor=cursor, limit=5)
        seen += [c.external_id for c in page.claims]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"pg-{n}" for n in range(23)]

    other = _actor(world, world.hlf_org)
    assert service.list_claims(other).claims == []
    for call in (service.get_claim, service.retry, service.withdraw):
        with pytest.raises(NotFound):
            call(other, "pg-1")


def test_the_intake_reads_claims_through_its_partial_indexes(tmp_path: Path) -> None:
    """The API's indexes are partial; its queries must still be planned onto them (and the
    sync's onto its own: tests/sync/test_claim_reservation.py)."""
    from accountlink_ui import claims_repository
    from accountlink_ui.db import engine_for, migrate

    url = f"sqlite:///{tmp_path / 'plan.db'}"
    migrate(url)
    engine = engine_for(url)
    plans: list[str] = []

    def explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" | ".join(row[-1] for row in rows))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        with session_scope(engine) as session:
            claims_repository.claims_by_external_id(session, 1, ["a", "b"])
            claims_repository.claim_by_external_id(session, 1, "a")
            claims_repository.list_claims(
                session, 1, status=None, changed_since=utcnow(), after_id=0, limit=10
            )
    finally:
        event.remove(engine, "before_cursor_execute", explain)
        engine.dispose()
    # Probes by both columns, not a range over the organization's API claims.
    assert "ux_expense_claims_external_id (organization_id=? AND external_id=?)" in plans[0], plans
    assert "ux_expense_claims_external_id (organization_id=? AND external_id=?)" in plans[1], plans
    # Pages read in id order from the cursor on (organization_id, rowid > ?): no sort.
    assert "rowid>?" in plans[2] and "TEMP B-TREE" not in plans[2], plans


def test_on_postgresql_the_id_lookup_probes_the_unique_index_even_with_stale_statistics() -> None:
    """Statistics taken while the table was empty (a new deployment, then a busy first day)
    must not turn the batch's id lookup into a scan of every claim of the organization:
    that made each 500-claim POST slower as the table grew (48 ms → 120 ms by the 24th)."""
    from accountlink_ui import claims_repository
    from accountlink_ui.db import engine_for
    from accountlink_ui.services.claim_intake import check_claims
    from accountlink_ui.services.claim_intake_service import claim_rows
    from tests.support.databases import postgres_database

    url = postgres_database()
    engine = engine_for(url)
    organization_id = 1
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE expense_claims")  # empty: the stale statistics
        connection.commit()
    with session_scope(engine) as session:
        from accountlink_ui.models import Organization

        session.add(Organization(id=organization_id, name="Stale", slug="stale"))
    now = utcnow()
    claims, problems = check_claims(app_batch("stale", 3000)["claims"], now.date())
    assert not problems
    with session_scope(engine) as session:
        claims_repository.insert_claims(session, claim_rows(organization_id, claims, now))
    plans: list[str] = []

    def explain(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            rows = cursor.connection.execute(f"EXPLAIN {statement}", parameters).fetchall()
            plans.append(" | ".join(row[0] for row in rows))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        with session_scope(engine) as session:
            found = claims_repository.claims_by_external_id(
                session, organization_id, [claim.external_id for claim in claims[-500:]]
            )
    finally:
        event.remove(engine, "before_cursor_execute", explain)
        engine.dispose()
    assert len(found) == 500
    assert "Index Scan using ux_expense_claims_external_id" in plans[0], plans
    assert "ix_expense_claims_changed" not in plans[0], plans
