"""Several workers: with PROMETHEUS_MULTIPROC_DIR, a scrape answered by one process counts
what every process recorded (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WORKER = """
from accountlink_ui.services import metrics
metrics.record_sync_run("succeeded", "xledger", 4)
metrics.record_scheduler_leadership({leading})
if {scrape}:
    def no_database():
        raise RuntimeError("no database here: the waiting-claims gauge is left out")
    print(metrics.render(no_database).decode())
"""


def _python(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_scrape_sums_the_counters_of_every_worker(tmp_path: Path) -> None:
    _python(WORKER.format(leading=True, scrape=False), tmp_path)
    # A second worker answers the scrape: it reports the first one's counts with its own.
    text = _python(WORKER.format(leading=False, scrape=True), tmp_path)
    assert 'accountlink_sync_runs_total{outcome="succeeded",system="xledger"} 2.0' in text
    assert 'accountlink_claims_exported_total{system="xledger"} 8.0' in text
    leaders = [
        line for line in text.splitlines() if line.startswith("accountlink_scheduler_leader{")
    ]
    assert sorted(line.rsplit(" ", 1)[1] for line in leaders) == ["0.0", "1.0"], leaders
