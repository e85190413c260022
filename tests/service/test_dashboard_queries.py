"""The dashboard's data comes from a fixed number of queries, however much history exists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlmodel import Session

from accountlink_ui.models import SyncRun, utcnow
from tests.support.scripted_world import World, dynamics_draft


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_failed_runs(world: World, integration_id: int, count: int) -> None:
    with Session(world.services.engine) as session:
        for n in range(count):
            session.add(
                SyncRun(
                    integration_id=integration_id,
                    organization_id=world.bf_org,
                    trigger="schedule",
                    outcome="failed",
                    finished_at=utcnow(),
                    error_summary=f"failure {n}",
                )
            )
        session.commit()


def test_dashboard_query_count_does_not_grow_with_integrations_or_runs(world: World) -> None:
    service = world.services.integrations
    with counted(world.services.engine) as empty:
        service.list_integrations(world.bf_admin, world.bf_org)
    xledger_id = world.save_xledger()
    with counted(world.services.engine) as one:
        service.list_integrations(world.bf_admin, world.bf_org)
    outcome = service.test_connection(world.bf_admin, world.bf_org, dynamics_draft())
    dynamics_id = service.create_integration(
        world.bf_admin, world.bf_org, dynamics_draft(), outcome.proof
    ).id
    assert dynamics_id is not None
    add_failed_runs(world, xledger_id, 40)
    add_failed_runs(world, dynamics_id, 40)
    with counted(world.services.engine) as two_with_history:
        views = service.list_integrations(world.bf_admin, world.bf_org)
    assert len(one) == len(two_with_history)
    assert len(empty) <= len(one)
    xledger = next(v for v in views if v.type_key == "xledger")
    assert [e.message for e in xledger.recent_errors[:3]] == [
        "Sync: failure 39",
        "Sync: failure 38",
        "Sync: failure 37",
    ]
