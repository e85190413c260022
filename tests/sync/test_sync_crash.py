"""A run killed mid-batch frees its integration within one lease (issue 11, item 7).

The run lives in another process, as in production (an app worker), and is killed
with SIGKILL while a batch is on the wire: no ``finally`` runs, nothing releases its
lease. The lease is made short through the setting (2 s instead of a minute).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from accountlink_ui.models import ClaimStatus, utcnow
from accountlink_ui.services.sync_lease import RunLease
from accountlink_ui.services.sync_service import SyncAlreadyRunning
from accountlink_ui.views import SyncRunView
from tests.support.clock import wait_for
from tests.support.sync_world import SyncWorld

LEASE_SECONDS = 2.0
ROOT = Path(__file__).resolve().parents[2]
BUSY = (
    r"A sync of Xledger is running \(started \d\d:\d\d UTC by the schedule\)\. "
    r"If it was interrupted, you can start a new one after \d\d:\d\d UTC\."
)


def test_a_run_killed_mid_batch_frees_its_integration_within_the_lease_and_nothing_repeats(
    world: SyncWorld, tmp_path: Path
) -> None:
    integration_id = world.connect("xledger")
    keys = world.claims(1_200)  # three batches of at most 500 two-line vouchers
    # Batch 2's first call (batch 1 took two: 500 lines a call) is stored by Xledger but
    # its answer is held back: the process is killed while it waits for it, so the next
    # run must find out that those vouchers arrived.
    world.state.set_fault("xledger", "lost_answer", after=2, times=1, seconds=120)
    settings = world.settings
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.sync.sync_process",
            settings.resolved_database_url,
            world.sandbox.base,
            str(tmp_path),
            str(settings.resolved_master_key_file),
            str(integration_id),
            str(LEASE_SECONDS),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        wait_for(
            lambda: len(world.state.received("xledger")) >= 1_500,
            timeout=60,
            what="batch 2 to reach Xledger",
        )
        sync = world.new_sync_service(lease_seconds=LEASE_SECONDS)
        with pytest.raises(SyncAlreadyRunning, match=BUSY):
            sync.run(integration_id, trigger="manual", actor=world.bf_admin)
        # Longer than two leases on one batch: the heartbeat, not the batches, keeps it.
        lease = RunLease(world.services.engine, utcnow, seconds=LEASE_SECONDS)
        first_expiry = lease.expires_at(integration_id)
        assert first_expiry is not None, "the run holds no lease"
        wait_for(
            lambda: (
                (lease.expires_at(integration_id) or first_expiry)
                > first_expiry + timedelta(seconds=LEASE_SECONDS * 2)
            ),
            timeout=LEASE_SECONDS * 5,
            what="the heartbeat to keep the lease for two more lease lengths",
        )
        assert process.poll() is None, "the run was still waiting for batch 2's answer"
        with pytest.raises(SyncAlreadyRunning, match=BUSY):
            sync.run(integration_id, trigger="manual", actor=world.bf_admin)

        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    killed = time.monotonic()
    world.state.clear_faults("xledger")

    run: SyncRunView | None = None
    while run is None:
        try:
            run = sync.run(integration_id, trigger="manual", actor=world.bf_admin)
        except SyncAlreadyRunning:
            assert time.monotonic() - killed < LEASE_SECONDS + 10, "the lease was never freed"
            time.sleep(0.1)
    freed_after = time.monotonic() - killed

    assert freed_after < LEASE_SECONDS + 10
    assert run.outcome == "succeeded", run.error_summary
    arrived = [  # one counter line (the only negative one) per voucher
        str(item["yourReference"])
        for item in world.state.received("xledger")
        if str(item["amount"]).startswith("-")
    ]
    repeats = [key for key, count in Counter(arrived).items() if count > 1]
    assert repeats == [], f"{len(repeats)} claims arrived twice"
    assert sorted(arrived) == sorted(keys)
    assert {row.status for row in world.claim_rows()} == {ClaimStatus.EXPORTED}
    killed_run = world.sync.recent_runs(world.bf_admin, integration_id)[-1]
    assert killed_run.outcome == "failed"
    assert "stopped without finishing" in (killed_run.error_summary or "")
