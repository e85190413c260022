"""A process killed between committing a claim's export and delivering its webhook: the
event is in the outbox, and the next deliverer sends it, with the same webhook-id.

The sync and the deliverer run in another process, as in an app worker; the sandbox's
receiver holds its answer back, so the process is killed (SIGKILL: nothing runs on the
way out) with the webhooks in flight and none recorded as delivered.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from sqlmodel import select

from accountlink_ui.db import session_scope
from accountlink_ui.models import ClaimStatus, OutboxMessage
from accountlink_ui.services.outbox import OutboxDeliverer
from accountlink_ui.services.webhook_service import WebhookService
from tests.support.clock import wait_for
from tests.support.sync_world import SyncWorld
from tests.support.webhooks import arrival_verifies

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = 5


def test_a_webhook_committed_with_its_export_is_delivered_after_the_process_is_killed(
    world: SyncWorld, tmp_path: Path
) -> None:
    integration_id = world.connect("xledger")
    service = WebhookService(
        engine=world.services.engine, vault=world.services.vault, settings=world.settings
    )
    added = service.add(
        world.bf_admin,
        world.bf_org,
        f"{world.sandbox.base}/webhooks/receiver",
        ["claim.exported"],
    )
    world.claims(CLAIMS)
    # Every delivery is received, then its answer held back for longer than the test lasts.
    world.state.webhooks.arm(1000, 204, hold_seconds=60)
    settings = world.settings
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.sync.webhook_process",
            settings.resolved_database_url,
            world.sandbox.base,
            str(tmp_path),
            str(settings.resolved_master_key_file),
            str(integration_id),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        wait_for(
            lambda: len(world.state.webhooks.arrived()) >= 1,
            timeout=60,
            what="the first webhook to reach the receiver",
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    assert all(c.status == ClaimStatus.EXPORTED for c in world.claim_rows())
    with session_scope(world.services.engine) as session:
        queued = list(session.exec(select(OutboxMessage)).all())
    assert len(queued) == CLAIMS, "one event per exported claim, committed with the export"
    assert all(m.status == "pending" for m in queued), "the killed process recorded nothing"

    world.state.webhooks.arm(0, 204)  # the receiver answers again (and ends the holds)
    restarted = OutboxDeliverer(
        engine=world.services.engine, vault=world.services.vault, settings=settings
    )
    assert restarted.deliver_due() == CLAIMS

    ids_per_claim: dict[int, set[str]] = defaultdict(set)
    for arrival in world.state.webhooks.arrived():
        assert arrival_verifies(added.secret, arrival)
        ids_per_claim[arrival["event"]["data"]["claim_id"]].add(arrival["webhook_id"])
    assert len(ids_per_claim) == CLAIMS, "every claim's event arrived"
    assert all(len(ids) == 1 for ids in ids_per_claim.values()), "one webhook-id per event"
    assert len(set().union(*ids_per_claim.values())) == CLAIMS, "events do not share ids"
    with session_scope(world.services.engine) as session:
        statuses = session.exec(select(OutboxMessage.status)).all()
    assert statuses == ["delivered"] * CLAIMS
