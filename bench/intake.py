"""What the claims intake API costs over inserting the same claims straight into the database.

Starts the API (``api_routes``, as the app mounts it) on a real HTTP server on a free
loopback port, over a fresh SQLite database (or the PostgreSQL database named by
``ACCOUNTLINK_BENCH_DATABASE_URL``), then per round:

* api: POST /api/v1/claims with 10,000 new claims in batches of 500, one
  ``httpx.Client`` (keep-alive), each answer checked (201, 500 created); the bodies
  are encoded before the clock starts, as the app sending them would have them;
* repository: the same claims (same rows, as the service builds them) through
  ``claims_repository.insert_claims``, 500 per transaction.

The API does everything a real request does: authenticate the token, parse and check
every claim, insert them (looking up the ids already used only when the unique index
reports one: new claims, as here, never do), ask for a sync, write the audit entry,
answer with each claim's status. Rounds alternate; the table shows the median of
``ROUNDS`` (five: with three, one slow round on a busy machine moved the ratio by a tenth).
Target: the API reaches at least 0.5x the repository's claims per second.

Run with ``make bench`` (or ``python bench/intake.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from accountlink_ui import claims_repository
from accountlink_ui.api import API_PREFIX
from accountlink_ui.db import migrate, session_scope
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.models import Role, utcnow
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.claim_intake import check_claims
from accountlink_ui.services.claim_intake_service import claim_rows
from accountlink_ui.services.wiring import build_services
from accountlink_ui.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.claims import app_batch

CLAIMS = 10_000
BATCH = 500
ROUNDS = 5
TARGET_RATIO = 0.5


def _batches(prefix: str) -> list[dict]:  # type: ignore[type-arg]
    return [app_batch(prefix, BATCH, start) for start in range(0, CLAIMS, BATCH)]


@contextlib.contextmanager
def _api_server(url: str, data_dir: Path) -> Iterator[str]:
    """The API in a process of its own under granian (``bench/intake_server.py``)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--no-log",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--working-dir",
            str(Path(__file__).parent),
            "intake_server:create_app",
        ],
        env={
            **os.environ,
            "ACCOUNTLINK_BENCH_SERVE_DATABASE_URL": url,
            "ACCOUNTLINK_BENCH_SERVE_DATA_DIR": str(data_dir),
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}{API_PREFIX}/claims", timeout=2, trust_env=False)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the bench's API server did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)


def _via_api(client: httpx.Client, prefix: str, batch_ms: list[list[float]]) -> float:
    bodies = [json.dumps(batch).encode() for batch in _batches(prefix)]
    times: list[float] = []
    began = time.perf_counter()
    for body in bodies:
        sent = time.perf_counter()
        answer = client.post("/claims", content=body, headers={"Content-Type": "application/json"})
        times.append((time.perf_counter() - sent) * 1000)
        if answer.status_code != 201 or answer.json()["created"] != BATCH:
            raise SystemExit(f"intake refused a batch: {answer.status_code} {answer.text[:300]}")
    elapsed = time.perf_counter() - began
    batch_ms.append(times)
    return CLAIMS / elapsed


def _via_repository(engine, organization_id: int, prefix: str) -> float:  # type: ignore[no-untyped-def]
    now = utcnow()
    row_batches = []
    for batch in _batches(prefix):
        claims, problems = check_claims(batch["claims"], now.date())
        assert not problems, problems[:3]
        row_batches.append(claim_rows(organization_id, claims, now))
    began = time.perf_counter()
    for rows in row_batches:
        with session_scope(engine) as session:
            claims_repository.insert_claims(session, rows)
    return CLAIMS / (time.perf_counter() - began)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("ACCOUNTLINK_BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'b.db'}"
        migrate(url)
        services = build_services(
            Settings(database_url=url, data_dir=Path(tmp)), adapters=AdapterRegistry()
        )
        organization_id = services.auth.create_organization(
            name="Bench", slug=f"bench-{os.getpid()}-{int(time.time())}"
        )
        admin = services.auth.create_user(
            email=f"bench-{os.getpid()}-{int(time.time())}@bench.test", name="Bench", password="x"
        )
        services.auth.add_membership(
            organization_id=organization_id, user_id=admin.user_id, role=Role.ADMIN
        )
        token = ApiTokenService(engine=services.engine).create_token(
            admin, organization_id, "bench"
        )
        kind = services.engine.dialect.name
        api_rates: list[float] = []
        repository_rates: list[float] = []
        batch_ms: list[list[float]] = []
        with _api_server(url, Path(tmp)) as base:
            headers = {"Authorization": f"Bearer {token.token}"}
            with httpx.Client(
                base_url=f"{base}{API_PREFIX}", headers=headers, timeout=120, trust_env=False
            ) as client:
                for round_number in range(ROUNDS):
                    api_rates.append(_via_api(client, f"api{round_number}", batch_ms))
                    repository_rates.append(
                        _via_repository(services.engine, organization_id, f"repo{round_number}")
                    )
        services.engine.dispose()
    api, repository = statistics.median(api_rates), statistics.median(repository_rates)
    ratio = api / repository
    print(f"\nClaims intake, {CLAIMS:,} claims in batches of {BATCH} ({kind}, median of {ROUNDS})")
    print(f"{'path':<28}{'claims/s':>10}")
    print(f"{'POST /api/v1/claims':<28}{api:>10,.0f}")
    print(f"{'claims_repository directly':<28}{repository:>10,.0f}")
    # A batch must cost the same as the table grows (a lookup that scans would not).
    first = statistics.median(batch_ms[0][:5])
    last = statistics.median(batch_ms[-1][-5:])
    print(f"API time per batch of {BATCH}: {first:.1f} ms at the start, {last:.1f} ms at the end")
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"ratio {ratio:.2f}: {verdict} the {TARGET_RATIO}x target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
