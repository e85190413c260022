"""p95 time from a claim's export commit to its webhook reaching a local receiver.

The sandbox (with its webhook receiver) runs in a process of its own; this process
holds a fresh SQLite database, runs syncs of a few claims each against the sandbox's
Xledger and runs the outbox deliverer as the app does (a thread holding the outbox
lease, woken by the commit that enqueued). Latency per claim is the receiver's arrival
time minus the ``exported_at`` the sync stamped just before committing the batch (so it
includes the commit). Target: p95 under 2 s.

Run with ``make bench`` (or ``python bench/webhook_latency.py``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from remote_sandbox import remote_sandbox

from accountlink_ui.db import migrate
from accountlink_ui.demo_claims import make_claims
from accountlink_ui.demo_drafts import save_demo_posting, xledger_draft
from accountlink_ui.integrations.registry import default_registry
from accountlink_ui.models import Role
from accountlink_ui.services.wiring import build_services, outbox_deliverer
from accountlink_ui.settings import Settings

RUNS = 40
CLAIMS_PER_RUN = 5
TARGET_P95 = 2.0


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, remote_sandbox() as base:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            sandbox_url=base,
        )
        migrate(settings.resolved_database_url)
        services = build_services(settings, adapters=default_registry(settings))
        admin = services.auth.create_user(email="bench@example.org", name="Bench", password="x")
        org = services.auth.create_organization(name="Bench", slug="bench")
        services.auth.add_membership(organization_id=org, user_id=admin.user_id, role=Role.ADMIN)
        draft = xledger_draft()
        test = services.integrations.test_connection(admin, org, draft)
        assert test.result.ok, test.result.message
        integration = services.integrations.create_integration(admin, org, draft, test.proof)
        assert integration.id is not None
        save_demo_posting(services.postings, admin, integration.id)
        added = services.webhooks.add(admin, org, f"{base}/webhooks/receiver", ["claim.exported"])
        control = httpx.Client(base_url=f"{base}/_control", timeout=10)
        control.post("/webhooks", json={"secret": added.secret}).raise_for_status()
        deliverer = outbox_deliverer(services)
        deliverer.start()
        try:
            for _ in range(RUNS):
                make_claims(services.engine, org, CLAIMS_PER_RUN)
                run = services.sync.run(integration.id, trigger="api")
                assert run is not None and run.records_sent == CLAIMS_PER_RUN, run
            expected = RUNS * CLAIMS_PER_RUN
            deadline = time.monotonic() + 60
            while True:
                arrived = control.get("/webhooks").json()["arrived"]
                if len(arrived) >= expected or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        finally:
            deliverer.stop()
            services.engine.dispose()
        control.close()
    latencies = sorted(
        a["received_at"] - datetime.fromisoformat(a["event"]["data"]["exported_at"]).timestamp()
        for a in arrived
        if not a["repeat"]
    )
    verified = sum(1 for a in arrived if a["verified"])
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"\nexport commit → webhook at a local receiver ({len(latencies)} of {expected} claims, "
        f"{RUNS} syncs of {CLAIMS_PER_RUN}, SQLite, outbox poll "
        f"{settings.outbox_poll_seconds} s but woken by the commit)"
    )
    print(
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; signatures verified by the receiver: "
        f"{verified}/{len(arrived)}"
    )
    verdict = "meets" if p95 < TARGET_P95 and len(latencies) == expected else "misses"
    print(f"{verdict} the p95 < {TARGET_P95:.0f} s target")
    return 0 if verdict == "meets" else 1


if __name__ == "__main__":
    sys.exit(main())
