"""Claims posted for an integration set to send at once start its scheduled job now.

The intake only marks the integration; the scheduler leader fires the job, so the sync
runs on the same one-run-per-integration path as every scheduled one.
"""

from __future__ import annotations

from sqlalchemy import Engine, update

from accountlink_ui import claims_repository
from accountlink_ui.db import session_scope
from accountlink_ui.models import Integration, utcnow
from tests.support.clock import wait_for
from tests.support.scheduler import MakeScheduler
from tests.support.scheduler_targets import read_fires
from tests.support.scripted_world import World, xledger_draft


def test_a_sync_asked_for_by_the_intake_fires_once_and_is_cleared(
    world: World, engine: Engine, fires: Engine, schedulers: MakeScheduler
) -> None:
    eager = world.save_integration(xledger_draft())
    scheduler = schedulers()
    scheduler.start()
    wait_for(lambda: scheduler.is_leader, what="leadership")
    wait_for(lambda: scheduler.reconcile() or True, what="first reconcile")
    with engine.begin() as connection:
        connection.execute(update(Integration).values(send_at_once=True))
    with session_scope(engine) as session:
        assert claims_repository.request_syncs(session, world.bf_org, utcnow()) == 1

    wait_for(lambda: read_fires(fires), timeout=5, what="the asked-for sync")
    with session_scope(engine) as session:
        assert claims_repository.requested_syncs(session) == []
    runs = read_fires(fires)
    assert [fire.integration_id for fire in runs] == [eager]
    scheduler.reconcile()  # nothing asked any more: no second fire
    assert len(read_fires(fires)) == 1
