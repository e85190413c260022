"""The dashboard's data comes from a fixed number of queries, however much history exists."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from accountlink_ui.models import SyncRun, utcnow
from accountlink_ui.services.errors import NotFound, PermissionDenied
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


def test_the_dashboard_page_reads_in_one_transaction_whose_queries_do_not_grow(
    world: World,
) -> None:
    """The page's whole read (access, cards, incidents, next runs) is one service call; the
    statements it sends stay the same in number however many runs the history holds."""
    dashboard = world.services.dashboard
    xledger_id = world.save_xledger()
    with counted(world.services.engine) as before:
        first = dashboard.read(world.bf_admin, world.bf_org)
    add_failed_runs(world, xledger_id, 40)
    with counted(world.services.engine) as after:
        read = dashboard.read(world.bf_admin, world.bf_org)
    assert len(after) == len(before)
    assert [v.type_key for v in read.integrations] == [v.type_key for v in first.integrations]
    assert set(read.next_syncs) == {xledger_id}
    assert read.incidents == []
    assert [v.id for v in read.integrations] == [
        v.id for v in world.services.integrations.list_integrations(world.bf_admin, world.bf_org)
    ]


def test_the_dashboard_read_refuses_as_the_integrations_list_does(world: World) -> None:
    dashboard = world.services.dashboard
    with pytest.raises(PermissionDenied):
        dashboard.read(world.bf_member, world.bf_org)  # a member: the admins' page
    with pytest.raises(NotFound):
        dashboard.read(world.hlf_admin, world.bf_org)  # another organization's admin
