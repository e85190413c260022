"""Job targets the scheduler tests point schedules at, importable by child processes too.

``record_fire`` stands in for a sync run: it takes a while and leaves a row
saying which scheduler ran it and when, so a test can prove that no fire ran
twice and no two runs overlapped.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, select

from accountlink_ui.db import engine_for

RECORD_FIRE = "tests.support.scheduler_targets:record_fire"
FIRES_URL_ENV = "ACCOUNTLINK_TEST_FIRES_URL"
FIRE_SECONDS_ENV = "ACCOUNTLINK_TEST_FIRE_SECONDS"

fires_table = Table(
    "scheduler_test_fires",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("integration_id", Integer, nullable=False),
    Column("runner", String(300), nullable=False),
    Column("started", Float, nullable=False),
    Column("finished", Float, nullable=False),
)


@dataclass(frozen=True)
class Fire:
    integration_id: int
    runner: str
    """The executor thread's name, which carries the scheduler's holder id."""
    started: float
    finished: float

    @property
    def holder(self) -> str:
        """The scheduler's holder id, from a thread name like ``accountlink-sync[host:1:ab]_0``."""
        return self.runner[self.runner.index("[") + 1 : self.runner.rindex("]")]

    def ran_for(self, holder: str) -> bool:
        return self.holder == holder


def record_fire(integration_id: int) -> None:
    started = time.time()
    time.sleep(float(os.environ.get(FIRE_SECONDS_ENV, "0.2")))
    with engine_for(os.environ[FIRES_URL_ENV]).begin() as connection:
        connection.execute(
            fires_table.insert().values(
                integration_id=integration_id,
                runner=threading.current_thread().name,
                started=started,
                finished=time.time(),
            )
        )


def reset_fires(engine: Engine) -> None:
    fires_table.drop(engine, checkfirst=True)
    fires_table.create(engine)


def read_fires(engine: Engine) -> list[Fire]:
    query = select(
        fires_table.c.integration_id,
        fires_table.c.runner,
        fires_table.c.started,
        fires_table.c.finished,
    ).order_by(fires_table.c.started)
    with engine.connect() as connection:
        return [Fire(*row) for row in connection.execute(query)]
