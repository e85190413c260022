"""Several workers: with PROMETHEUS_MULTIPROC_DIR, a scrape answered by one process counts
what every process recorded (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RECORD = """
from accountlink_ui.services import metrics
metrics.record_sync_run("succeeded", "xledger", 4)
metrics.record_scheduler_leadership({leading})
"""
RENDER = """
from sqlalchemy import create_engine
from accountlink_ui.services import metrics
engine = create_engine("sqlite://")
print(metrics.render(lambda: engine).decode())
"""


def _python(code: str, directory: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_scrape_sums_the_counters_of_every_worker(tmp_path: Path) -> None:
    _python(RECORD.format(leading=True), tmp_path)
    _python(RECORD.format(leading=False), tmp_path)
    text = _python(RENDER, tmp_path)
    assert 'accountlink_sync_runs_total{outcome="succeeded",system="xledger"} 2.0' in text
    assert 'accountlink_claims_exported_total{system="xledger"} 8.0' in text
    leaders = [
        line for line in text.splitlines() if line.startswith("accountlink_scheduler_leader{")
    ]
    values = [line.rsplit(" ", 1)[1] for line in leaders]
    # One series per process (the scraping one included, at 0): exactly one leads.
    assert values.count("1.0") == 1 and len(values) >= 2, leaders
