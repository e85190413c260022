"""How much a connection test costs over a bare HTTP request to the same probe endpoint.

Starts the sandbox in a process of its own (``remote_sandbox``), then for each
adapter takes the median of 50 connection tests and the median of 50 bare
``httpx`` requests to the same probe URL (with a token fetched beforehand where
the system uses OAuth), in turns. The target is a ratio of at most 1.2x for warm
tests. A local sandbox answers in about a millisecond, so a tenth of a
millisecond of the adapter's own work (the deadline, the SSRF check for an
admin-typed URL, reading the answer) already shows as 10%.

Warm: one adapter instance, so the OAuth token is cached and connections are
kept alive, which is what repeated tests from the wizard look like. Cold: a
new adapter for every test, so OAuth systems pay for the token request (and
the certificate flow for signing the client assertion) each time; the bare
baseline never fetches a token, so the cold ratio shows that price, not overhead.

Run with ``make bench`` (or ``python bench/connection_latency.py``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from remote_sandbox import remote_sandbox

from accountlink_ui.integrations.contracts import Adapter, ConnectionConfig
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.dynamics import BC_SCOPE, DynamicsAdapter
from accountlink_ui.integrations.generic_rest import GenericRestAdapter
from accountlink_ui.integrations.xledger import PROBE_QUERY, XledgerAdapter
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.settings import Settings

RUNS = 50
TARGET_RATIO = 1.2


def medians_ms(*actions: Callable[[], object], runs: int = RUNS) -> list[float]:
    """The median time of each action, run in turns so drift hits them all alike."""
    for action in actions:
        action()  # warm-up: first connection, imports, caches
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, times in zip(actions, samples, strict=True):
            started = time.perf_counter()
            action()
            times.append((time.perf_counter() - started) * 1000)
    return [statistics.median(times) for times in samples]


def entra_token(bare: httpx.Client, base: str, scope: str) -> str:
    reply = bare.post(
        f"{base}/entra/{demo.ENTRA_TENANT_ID}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": demo.ENTRA_CLIENT_ID,
            "client_secret": demo.ENTRA_CLIENT_SECRET,
            "scope": scope,
        },
    )
    return str(reply.raise_for_status().json()["access_token"])


def main() -> None:
    with remote_sandbox() as base:
        settings = Settings(sandbox_url=base, allowed_hosts=[urlsplit(base).netloc])
        bc = {
            "product": "business_central",
            "tenant_id": demo.ENTRA_TENANT_ID,
            "client_id": demo.ENTRA_CLIENT_ID,
            "bc_environment": demo.BC_ENVIRONMENT,
        }
        dataverse = {**bc, "product": "dataverse", "dataverse_url": demo.DATAVERSE_ORG_URL}
        bare = httpx.Client(timeout=10)
        bc_token = entra_token(bare, base, BC_SCOPE)
        dv_token = entra_token(bare, base, f"{demo.DATAVERSE_ORG_URL}/.default")
        bc_url = f"{base}/businesscentral/v2.0/{demo.ENTRA_TENANT_ID}/{demo.BC_ENVIRONMENT}/api/v2.0/companies"

        cases: list[tuple[str, Callable[[Settings], Adapter], ConnectionConfig, Callable[[], object]]] = [
            (
                "xledger",
                XledgerAdapter,
                ConnectionConfig("xledger", "sandbox", "api_token", {}, {"api_token": demo.XLEDGER_DEMO_TOKEN}),
                lambda: bare.post(
                    f"{base}/xledger/demo/graphql",
                    json={"query": PROBE_QUERY},
                    headers={"Authorization": f"token {demo.XLEDGER_DEMO_TOKEN}"},
                ),
            ),
            (
                "business central (secret)",
                DynamicsAdapter,
                ConnectionConfig("dynamics", "sandbox", "client_secret", bc, {"client_secret": demo.ENTRA_CLIENT_SECRET}),
                lambda: bare.get(bc_url, headers={"Authorization": f"Bearer {bc_token}"}),
            ),
            (
                "business central (certificate)",
                DynamicsAdapter,
                ConnectionConfig(
                    "dynamics", "sandbox", "certificate", {**bc, "certificate_pem": demo.DEMO_CERT_PEM},
                    {"private_key_pem": demo.DEMO_KEY_PEM},
                ),
                lambda: bare.get(bc_url, headers={"Authorization": f"Bearer {bc_token}"}),
            ),
            (
                "dataverse (secret)",
                DynamicsAdapter,
                ConnectionConfig("dynamics", "sandbox", "client_secret", dataverse, {"client_secret": demo.ENTRA_CLIENT_SECRET}),
                lambda: bare.get(
                    f"{base}/dataverse/api/data/v9.2/WhoAmI",
                    headers={"Authorization": f"Bearer {dv_token}"},
                ),
            ),
            (
                "generic REST (bearer)",
                GenericRestAdapter,
                ConnectionConfig(
                    "generic_rest", "sandbox", "bearer",
                    {"base_url": f"{base}/rest", "health_path": "/health", "expected_status": "200"},
                    {"bearer_token": demo.REST_BEARER_TOKEN},
                ),
                lambda: bare.get(
                    f"{base}/rest/health", headers={"Authorization": f"Bearer {demo.REST_BEARER_TOKEN}"}
                ),
            ),
        ]  # fmt: skip

        print(f"median of {RUNS} runs, milliseconds (target: warm ratio <= {TARGET_RATIO}x)")
        print(f"{'adapter':32} {'bare':>7} {'warm':>7} {'ratio':>6} {'cold':>7} {'ratio':>6}")
        worst = 0.0
        for name, make, cfg, bare_probe in cases:
            adapter = make(settings)
            bare_ms, warm_ms, cold_ms = medians_ms(
                bare_probe,
                lambda a=adapter, c=cfg: _checked(a, c),
                lambda m=make, c=cfg: _checked(m(settings), c),
            )
            worst = max(worst, warm_ms / bare_ms)
            print(
                f"{name:32} {bare_ms:7.2f} {warm_ms:7.2f} {warm_ms / bare_ms:5.2f}x "
                f"{cold_ms:7.2f} {cold_ms / bare_ms:5.2f}x"
            )
        bare.close()
        verdict = "within" if worst <= TARGET_RATIO else "OVER"
        print(f"worst warm ratio {worst:.2f}x: {verdict} the {TARGET_RATIO}x target")


def _checked(adapter: Adapter, cfg: ConnectionConfig) -> None:
    result = adapter.test_connection(cfg, Deadline(10))
    if not result.ok:
        raise SystemExit(f"connection test failed: {result.message}")


if __name__ == "__main__":
    main()
