"""Scheduler tests run on SQLite and, when configured, PostgreSQL (the `database_url` param).

The world is the seeded one with scripted adapters (tests/support/scripted_world.py), so
integrations are created, edited and disabled through the real service.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from accountlink_ui.db import engine_for
from accountlink_ui.services.scheduler import SyncScheduler
from accountlink_ui.services.scheduler_jobs import JOBS_TABLE
from tests.support.scheduler import MakeScheduler
from tests.support.scheduler_targets import (
    FIRE_SECONDS_ENV,
    FIRES_URL_ENV,
    RECORD_FIRE,
    reset_fires,
)
from tests.support.scripted_world import World


@pytest.fixture
def world(scripted_world: World) -> World:
    return scripted_world


@pytest.fixture
def engine(database_url: str) -> Engine:
    """The database with no job table left over (PostgreSQL is shared between tests)."""
    engine = engine_for(database_url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {JOBS_TABLE}"))
    return engine


@pytest.fixture
def fires(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """An empty table `record_fire` writes to; child processes find it through the env."""
    reset_fires(engine)
    monkeypatch.setenv(FIRES_URL_ENV, database_url)
    monkeypatch.setenv(FIRE_SECONDS_ENV, "0.2")
    return engine


@pytest.fixture
def schedulers(engine: Engine) -> Iterator[MakeScheduler]:
    """Makes schedulers with test-sized timings; stops every one of them afterwards."""
    made: list[SyncScheduler] = []

    def make(**overrides: object) -> SyncScheduler:
        options: dict[str, object] = {
            "engine": engine,
            "lease_seconds": 1.5,
            "reconcile_seconds": 0.3,
            "job_target": RECORD_FIRE,
        }
        options.update(overrides)
        scheduler = SyncScheduler(**options)  # type: ignore[arg-type]
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler.stop()
