"""What the app does once when the backend starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from accountlink_ui.db import migrate
from accountlink_ui.settings import get_settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def prepare_database() -> AsyncIterator[None]:
    """Apply migrations (and seed the demo when asked) before serving anyone.

    A context manager, so Reflex waits for it before accepting requests and a
    failure stops the server instead of being logged and ignored.
    """
    from accountlink_ui.heap import settle_after_start_up
    from accountlink_ui.production import check_production
    from accountlink_ui.services.wiring import get_services

    settings = get_settings()
    # Before touching anything: production refuses demo settings and a missing key.
    check_production(settings)
    await asyncio.to_thread(migrate)
    # Built now, not on the first request: a key file missing while sealed
    # credentials exist stops the server here with a message naming the file.
    await asyncio.to_thread(get_services)
    if settings.demo:
        from accountlink_ui.demo import seed_demo

        created = await asyncio.to_thread(seed_demo, get_services())
        if created:
            log.info("demo seeded: %s", ", ".join(created))
    settle_after_start_up()
    yield


@contextlib.asynccontextmanager
async def run_sync_scheduler() -> AsyncIterator[None]:
    """Compete for the scheduler lease; the holder runs the sync jobs (see services/scheduler)."""
    if not get_settings().scheduler_enabled:
        yield
        return
    from accountlink_ui.services.scheduler import SyncScheduler
    from accountlink_ui.services.wiring import get_services

    scheduler = SyncScheduler(
        engine=get_services().engine,
        reconcile_seconds=get_settings().scheduler_reconcile_seconds,
    )
    scheduler.start()
    try:
        yield
    finally:
        await asyncio.to_thread(scheduler.stop)
        from accountlink_ui.services.metrics import forget_this_process

        forget_this_process()


@contextlib.asynccontextmanager
async def run_outbox_deliverer() -> AsyncIterator[None]:
    """Compete for the outbox lease; the holder delivers webhooks and alert emails
    (services/outbox). Runs next to the scheduler in every app process, one delivering."""
    if not get_settings().outbox_enabled:
        yield
        return
    from accountlink_ui.services.wiring import get_services, outbox_deliverer

    deliverer = outbox_deliverer(get_services())
    deliverer.start()
    try:
        yield
    finally:
        await asyncio.to_thread(deliverer.stop)
