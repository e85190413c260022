"""A stand-in app process for the two-process tests: one SyncScheduler until SIGTERM.

Run as ``python -m tests.scheduler.scheduler_process DATABASE_URL``; prints its
holder id on the first line, then competes for the lease like an app worker.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import timedelta

from accountlink_ui.db import engine_for
from accountlink_ui.services.scheduler import SyncScheduler
from tests.support.scheduler_targets import RECORD_FIRE

LEASE_SECONDS = 1.5
INTERVAL_UNIT = timedelta(seconds=1 / 15)
"""A 15-minute schedule fires every second."""


def main(database_url: str) -> None:
    scheduler = SyncScheduler(
        engine=engine_for(database_url),
        lease_seconds=LEASE_SECONDS,
        reconcile_seconds=0.3,
        job_target=RECORD_FIRE,
        interval_unit=INTERVAL_UNIT,
    )
    terminated = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: terminated.set())
    scheduler.start()
    print(scheduler.holder, flush=True)
    terminated.wait()
    scheduler.stop()


if __name__ == "__main__":
    main(sys.argv[1])
