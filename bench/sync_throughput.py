"""What the sync engine costs over posting the same payloads with a bare httpx loop.

Starts the sandbox in a process of its own (as the real systems are remote) and a
fresh SQLite database, then per system:

* sync: ``SyncService.run`` over N approved claims (take the lease, load the
  credentials, reserve each batch, push, mark exported, record the run), timed
  end to end;
* bare: the same records as the same JSON bodies, in the same batches, to the
  same endpoint with the same credentials, through one ``httpx.Client``,
  checking each answer as the least careful script still would: the status, and
  for Xledger and REST that the JSON body reports no errors or the whole batch.

The sandbox is reset before each timed pass so both find it equally empty.
Target: the sync reaches at least 0.8x the bare loop's claims per second.

Two tables. The first is the sandbox answering at once: it stores 500 REST
records in a few milliseconds, so the sync's own work (one reservation and one
confirmation per claim, in SQLite, done while the other batch is on the wire)
competes with the call itself for the one interpreter, and the ratio shows that
cost plainly. The second gives every call 30 ms of latency (the sandbox's
``slow`` fault), still far below what Xledger or a remote API takes, to show
the ratio once the target is a remote system.

Business Central is measured on fewer claims: it takes one POST per line, so
5,000 claims would take minutes per pass on both sides alike.

Run with ``make bench`` (or ``python bench/sync_throughput.py``).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from remote_sandbox import remote_sandbox
from sqlmodel import col, select

from accountlink_ui.db import migrate, session_scope
from accountlink_ui.demo_claims import make_claims
from accountlink_ui.demo_drafts import business_central_draft, rest_draft, xledger_draft
from accountlink_ui.integrations import dynamics, generic_rest, xledger
from accountlink_ui.integrations.registry import ExportRecord, default_registry
from accountlink_ui.models import ExpenseClaim, Role
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.sync_service import BATCH_SIZES, SyncService
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor

ROUNDS = 5
CLAIMS = {"xledger": 5_000, "generic_rest": 5_000, "dynamics": 1_000}
LATENCY = 0.03
LATENCY_CLAIMS = {"xledger": 5_000, "generic_rest": 5_000}
SYSTEMS = {"xledger": "xledger", "generic_rest": "rest", "dynamics": "business_central"}
TARGET_RATIO = 0.8

Poster = Callable[[list[ExportRecord]], None]


def drafts(base: str) -> dict[str, ConnectionDraft]:
    return {
        "xledger": xledger_draft(),
        "generic_rest": rest_draft(base),
        "dynamics": business_central_draft(),
    }


# --- the bare loops: the same bodies the adapters send, nothing else ------------------------------


def bare_xledger(client: httpx.Client, base: str) -> Poster:
    def post(batch: list[ExportRecord]) -> None:
        body = {
            "query": xledger.ADD_MUTATION,
            "variables": {"inputs": [{"node": xledger._node(r)} for r in batch]},
        }
        reply = client.post(
            f"{base}/xledger/demo/graphql",
            json=body,
            headers={"Authorization": f"token {demo.XLEDGER_DEMO_TOKEN}"},
        )
        assert reply.status_code == 200 and "errors" not in reply.json(), reply.text[:300]

    return post


def bare_rest(client: httpx.Client, base: str) -> Poster:
    def post(batch: list[ExportRecord]) -> None:
        keys = [r.idempotency_key for r in batch]
        reply = client.post(
            f"{base}/rest/expenses",
            json={"records": [generic_rest._record(r) for r in batch]},
            headers={
                demo.REST_API_KEY_HEADER: demo.REST_API_KEY,
                "Idempotency-Key": generic_rest.batch_idempotency_key(keys),
            },
        )
        assert reply.status_code == 201 and reply.json()["accepted"] == len(batch), reply.text[:300]

    return post


def bare_business_central(client: httpx.Client, base: str) -> Poster:
    token = client.post(
        f"{base}/entra/{demo.ENTRA_TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": demo.ENTRA_CLIENT_ID,
            "client_secret": demo.ENTRA_CLIENT_SECRET,
            "scope": dynamics.BC_SCOPE,
        },
    ).json()["access_token"]
    lines = (
        f"{base}/businesscentral/v2.0/{demo.ENTRA_TENANT_ID}/{demo.BC_ENVIRONMENT}/api/v2.0/"
        f"companies({demo.BC_COMPANY_ID})/journals({demo.BC_JOURNAL_ID})/journalLines"
    )

    def post(batch: list[ExportRecord]) -> None:
        for record in batch:
            reply = client.post(
                lines, json=dynamics._line(record), headers={"Authorization": f"Bearer {token}"}
            )
            assert reply.status_code == 201, reply.text[:300]

    return post


BARE = {"xledger": bare_xledger, "generic_rest": bare_rest, "dynamics": bare_business_central}


# --- the measurement ----------------------------------------------------------------------------


def records_of(services: Services, keys: list[str]) -> list[ExportRecord]:
    """The claims with these keys as the adapters see them, oldest first like a run."""
    with session_scope(services.engine) as session:
        claims = session.exec(
            select(ExpenseClaim)
            .where(col(ExpenseClaim.idempotency_key).in_(keys))
            .order_by(col(ExpenseClaim.claim_date), col(ExpenseClaim.id))
        ).all()
        return [
            ExportRecord(
                idempotency_key=c.idempotency_key,
                posted_date=c.claim_date,
                amount=c.amount,
                currency=c.currency,
                account_code=c.account_code,
                description=c.description,
                claimant=c.claimant,
            )
            for c in claims
        ]


def measure(
    type_key: str,
    count: int,
    services: Services,
    sync: SyncService,
    reset: Callable[[], None],
    base: str,
    admin: Actor,
) -> tuple[float, float]:
    """Median claims per second of the sync and of the bare loop, over ROUNDS alternating rounds."""
    organization_id = services.auth.create_organization(name=type_key, slug=type_key)
    services.auth.add_membership(
        organization_id=organization_id, user_id=admin.user_id, role=Role.ADMIN
    )
    draft = drafts(base)[type_key]
    test = services.integrations.test_connection(admin, organization_id, draft)
    assert test.result.ok, test.result.message
    integration = services.integrations.create_integration(
        admin, organization_id, draft, test.proof
    )
    assert integration.id is not None
    batch = BATCH_SIZES[type_key]
    synced: list[float] = []
    bare: list[float] = []
    with httpx.Client(timeout=60) as client:
        post = BARE[type_key](client, base)
        warm_up = make_claims(services.engine, organization_id, 50)
        sync.run(integration.id, trigger="api")
        reset()
        post(records_of(services, warm_up))
        for _ in range(ROUNDS):
            keys = make_claims(services.engine, organization_id, count)
            reset()
            started = time.perf_counter()
            run = sync.run(integration.id, trigger="api")
            synced.append(count / (time.perf_counter() - started))
            assert run is not None and run.outcome == "succeeded", run
            assert run.records_sent == count, run

            records = records_of(services, keys)
            reset()
            started = time.perf_counter()
            for start in range(0, len(records), batch):
                post(records[start : start + batch])
            bare.append(count / (time.perf_counter() - started))
    return statistics.median(synced), statistics.median(bare)


def bench(title: str, counts: dict[str, int], latency: float | None) -> float:
    """Print one table; return the worst ratio."""
    with tempfile.TemporaryDirectory() as tmp, remote_sandbox() as base:
        control = httpx.Client(base_url=f"{base}/_control", timeout=10)

        def reset() -> None:
            control.post("/reset").raise_for_status()
            if latency is not None:  # every call answers after `latency` s, like a remote API
                for system in SYSTEMS.values():
                    control.post(
                        "/faults", json={"system": system, "mode": "slow", "seconds": latency}
                    ).raise_for_status()

        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            sandbox_url=base,
        )
        migrate(settings.resolved_database_url)
        adapters = default_registry(settings)
        services = build_services(settings, adapters=adapters)
        sync = SyncService(
            engine=services.engine,
            integrations=services.integrations,
            adapters=adapters,
            settings=settings,
        )
        admin = services.auth.create_user(email="bench@example.org", name="Bench", password="x")
        print(f"\n{title} (SQLite, median of {ROUNDS} rounds)")
        print(f"{'system':<16}{'claims':>8}{'sync/s':>10}{'bare/s':>10}{'ratio':>8}")
        worst = float("inf")
        for type_key, count in counts.items():
            synced, bare = measure(type_key, count, services, sync, reset, base, admin)
            ratio = synced / bare
            worst = min(worst, ratio)
            print(f"{type_key:<16}{count:>8,}{synced:>10,.0f}{bare:>10,.0f}{ratio:>8.2f}")
        services.engine.dispose()
        control.close()
    verdict = "meets" if worst >= TARGET_RATIO else "misses"
    print(f"worst ratio {worst:.2f}: {verdict} the {TARGET_RATIO}x target")
    return worst


def main() -> int:
    bench("Sandbox answering at once", CLAIMS, None)
    bench(
        f"Sandbox answering each call after {LATENCY * 1000:.0f} ms",
        LATENCY_CLAIMS,
        LATENCY,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
