"""Whether a flood of wrong passwords slows the app down for everyone else.

Starts the app's backend (``reflex run --env prod --backend-only``) on a fresh
demo database, measures the p95 of ``GET /healthz`` while idle, then again
while several clients post wrong passwords to the sign-in route as fast as the
answers come back for 30 s, and prints both, their ratio (target: at most
2x) and how many attempts were checked and how many were throttled.

Only the backend: the sign-in route (``POST /auth/sign-in``, which the page's
form posts to), the websocket's handlers and ``/healthz`` all live in the
backend process, on one event loop, which is what a flood stalls; the compiled
frontend (a production build of a minute or more on a busy machine) serves
static files and plays no part. The clients post what the page posts (the form
fields and the page's own ``Origin``), so the server cannot tell them from
browsers.

Each client comes from an address of its own, as a real attack would: the app
runs with ``REFLEX_TRUSTED_PROXY_HOPS=1`` (what an operator behind one proxy
sets) and each client sends its own ``X-Forwarded-For``. Two floods, each
measured against the idle figure: every client guessing one demo account's
password (the per-email throttle answers almost all of them), then every
client trying made-up emails (each one new, so only the per-address throttle
and the size of the hashing pool stand in the way). Idle is measured again at
the end: on a shared machine the difference between the two idle figures is
the noise.

Run with ``make bench`` (or ``python bench/sign_in_flood.py [--port N]``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
from demo_backend import free_port, launch, stop, wait_ready

CLIENTS = 8
FLOOD_SECONDS = 30.0
IDLE_SECONDS = 10.0
PROBE_INTERVAL = 0.02
TARGET_RATIO = 2.0
SIGN_IN_PATH = "/auth/sign-in"
"""The backend route the sign-in page posts to (it sets the HttpOnly session cookie)."""
DEMO_ACCOUNT = "kari@blindeforbundet.example"


def start_backend(port: int, workdir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        # Never the caller's database or keys; their sign-in throttle settings, to try them.
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("ACCOUNTLINK_") or k.startswith("ACCOUNTLINK_SIGNIN_")
        },
        "ACCOUNTLINK_DATA_DIR": str(workdir / "data"),
        "ACCOUNTLINK_DATABASE_URL": f"sqlite:///{workdir / 'data' / 'accountlink.db'}",
        "ACCOUNTLINK_DEMO": "1",
        "ACCOUNTLINK_MOUNT_SANDBOX": "1",
        "ACCOUNTLINK_SANDBOX_URL": f"http://127.0.0.1:{port}/sandbox",
        "REFLEX_STATES_WORKDIR": str(workdir / "states"),
        "REFLEX_TRUSTED_PROXY_HOPS": "1",
        # rxconfig.py names a frontend port; Reflex refuses one with --backend-only.
        "REFLEX_FRONTEND_PORT": "0",
    }
    return launch(port, env, log_path)


def healthz_p95(base: str, seconds: float) -> tuple[float, int]:
    """p95 in ms of /healthz polled back to back (with a short pause) for ``seconds``."""
    samples: list[float] = []
    with httpx.Client(timeout=30, trust_env=False) as client:
        client.get(f"{base}/healthz").raise_for_status()  # connection and first-call warm-up
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            client.get(f"{base}/healthz").raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(PROBE_INTERVAL)
    return statistics.quantiles(samples, n=20)[-1], len(samples)


class Attacker:
    """One client: posts the sign-in form again as soon as the last answer is in."""

    def __init__(self, base: str, address: str, emails: Callable[[int], str], stop_at: float):
        self.base = base
        self.address = address
        self.emails = emails
        self.stop_at = stop_at
        self.outcomes: Counter[str] = Counter()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=120, trust_env=False) as client:
            attempt = 0
            while time.monotonic() < self.stop_at:
                attempt += 1
                try:
                    reply = client.post(
                        SIGN_IN_PATH,
                        data={"email": self.emails(attempt), "password": f"guess-{attempt}"},
                        headers={"X-Forwarded-For": self.address, "Origin": self.base},
                    )
                except httpx.HTTPError as error:
                    self.outcomes[f"no answer: {type(error).__name__}"] += 1
                    break
                code = reply.json().get("error", "") if reply.content else ""
                if reply.status_code == 429 and code.startswith("throttled"):
                    self.outcomes["throttled (not hashed)"] += 1
                elif reply.status_code == 401 and code == "wrong":
                    self.outcomes["checked (wrong password)"] += 1
                else:
                    self.outcomes[f"other: HTTP {reply.status_code} {code!r}"] += 1


def flood(
    base: str, subnet: str, emails: Callable[[int, int], str]
) -> tuple[float, int, Counter[str]]:
    """/healthz p95 while CLIENTS attackers, one address each, run for FLOOD_SECONDS."""
    stop_at = time.monotonic() + FLOOD_SECONDS
    attackers = [
        Attacker(base, f"{subnet}.{n + 10}", lambda i, n=n: emails(n, i), stop_at)
        for n in range(CLIENTS)
    ]
    threads = [threading.Thread(target=a.run, daemon=True) for a in attackers]
    for thread in threads:
        thread.start()
    time.sleep(1)  # let every client connect and send its first attempts
    p95, samples = healthz_p95(base, FLOOD_SECONDS - 2)
    for thread in threads:
        thread.join(150)
    total: Counter[str] = Counter()
    for attacker in attackers:
        total.update(attacker.outcomes)
    return p95, samples, total


SCENARIOS: list[tuple[str, str, Callable[[int, int], str]]] = [
    ("one account", "198.51.100", lambda client, attempt: DEMO_ACCOUNT),
    ("made-up emails", "203.0.113", lambda client, attempt: f"bot{client}-{attempt}@example.org"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="backend port (default: a free one)")
    args = parser.parse_args()
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    results = []
    with tempfile.TemporaryDirectory(prefix="sign-in-flood-") as tmp:
        workdir = Path(tmp)
        (workdir / "data").mkdir()
        (workdir / "states").mkdir()
        log_path = workdir / "reflex.log"
        process = start_backend(port, workdir, log_path)
        try:
            wait_ready(base, process, log_path)
            idle, idle_n = healthz_p95(base, IDLE_SECONDS)
            for name, subnet, emails in SCENARIOS:
                results.append((name, *flood(base, subnet, emails)))
            idle_after, idle_after_n = healthz_p95(base, IDLE_SECONDS)
        finally:
            stop(process)
    # The lower idle figure, so machine noise cannot flatter the ratio.
    reference = min(idle, idle_after)
    print(f"/healthz p95 idle: {idle:.1f} ms ({idle_n} requests)")
    worst = 0.0
    for name, p95, samples, outcomes in results:
        worst = max(worst, p95 / reference)
        print(
            f"/healthz p95 while {CLIENTS} clients send wrong passwords ({name}) for "
            f"{FLOOD_SECONDS:.0f} s: {p95:.1f} ms ({samples} requests), "
            f"{p95 / reference:.2f}x idle"
        )
        attempts = sum(outcomes.values())
        details = ", ".join(f"{outcome} {count}" for outcome, count in outcomes.most_common())
        print(f"  {attempts} attempts answered: {details}")
    print(f"/healthz p95 idle again: {idle_after:.1f} ms ({idle_after_n} requests)")
    verdict = "met" if worst <= TARGET_RATIO else "NOT met"
    print(
        f"worst ratio {worst:.2f}x of the lower idle p95 ({reference:.1f} ms): "
        f"target <= {TARGET_RATIO}x {verdict}"
    )


if __name__ == "__main__":
    main()
