"""How many signed-in admins the dashboard serves: event round trip, CPU and memory per session count.

N simulated admins each sign in (``POST /auth/sign-in``, which sets the session
cookie), open their own websocket speaking Reflex's event protocol
(python-socketio's client: Engine.IO 4, namespace ``/_event``, event ``event``
with ``name``, ``payload`` and ``router_data``) and load the dashboard
(``IntegrationsState.load``, the page's on_load) again and again with about a
second of think time. The round trip of one event runs from the emit to the
state update that ends the load (the dashboard's ``loading`` back to false).

For N = 1, 50, 200 and 400 it prints p50/p95/p99 of that round trip, the
errors (no answer within 10 s, a refused connection, a dropped websocket), the
app's CPU per event (user + system time of every process of the server, from
/proc, over the measured window, divided by the events answered) and its
resident memory (PSS summed over the server's processes, from
/proc/<pid>/smaps_rollup, at the end of the window). Two deployments:

(a) one backend worker, SQLite, Reflex's state on disk;
(b) PostgreSQL (a database of its own, created and dropped here), Redis for
    Reflex's state, and the worker count the app configures for this machine.

The server runs the backend only (``reflex run --env prod --backend-only``):
the websocket, its handlers and the sign-in route all live there. With Redis
the server logs "Lock for token … was held too long" whenever an event held a
session's state lock longer than ``REFLEX_REDIS_LOCK_WARNING_THRESHOLD``; this
bench sets that threshold to the target, 100 ms, and counts the warnings per N
(the state-on-disk manager of (a) has no such warning).

Each N runs for ``--seconds`` (or ``ACCOUNTLINK_BENCH_SESSIONS_SECONDS``;
default 20 s, so ``make bench`` spends about 6 minutes here with start-up and
sign-in); the measured window starts after every client has connected and
loaded once. 127.0.0.1 only. The clients run in a few processes of their own
(threads within), so on a small machine they compete with the server for CPU:
compare the figures of one run with each other, not with another machine's.

Run with ``make bench`` (or ``python bench/sessions.py [--seconds S] [--sessions 1,50]
[--deployments a,b]``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from demo_backend import free_port, launch, stop, wait_ready

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SESSION_COUNTS = (1, 50, 200, 400)
DEFAULT_SECONDS = 20.0
THINK_SECONDS = 1.0
ANSWER_TIMEOUT = 10.0
CLIENT_PROCESSES = 4
LOCK_THRESHOLD_MS = 100
DEMO_ADMIN = "kari@blindeforbundet.example"
DASHBOARD = "/settings/integrations"
SESSION_COOKIE = "accountlink_session"
PG_BASE = os.environ.get("ACCOUNTLINK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("ACCOUNTLINK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
LOCK_WARNING = re.compile(r"Lock for token .* was held too long time_taken=([0-9.]+)s")


@dataclass
class Deployment:
    key: str
    label: str
    database_url: str
    redis_url: str = ""
    database_name: str = ""


def start_backend(
    port: int, workdir: Path, log_path: Path, deployment: Deployment
) -> subprocess.Popen[bytes]:
    from accountlink_ui.demo import DEMO_PASSWORD  # noqa: F401  (fails early if the app is absent)

    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ACCOUNTLINK_", "REFLEX_", "GRANIAN_"))
        },
        "ACCOUNTLINK_DATA_DIR": str(workdir / "data"),
        "ACCOUNTLINK_DATABASE_URL": deployment.database_url,
        "ACCOUNTLINK_DEMO": "1",
        "ACCOUNTLINK_MOUNT_SANDBOX": "1",
        "ACCOUNTLINK_SANDBOX_URL": f"http://127.0.0.1:{port}/sandbox",
        "REFLEX_STATES_WORKDIR": str(workdir / "states"),
        "REFLEX_FRONTEND_PORT": "0",
        "REFLEX_REDIS_LOCK_WARNING_THRESHOLD": str(LOCK_THRESHOLD_MS),
    }
    if deployment.redis_url:
        env["REFLEX_REDIS_URL"] = deployment.redis_url
    else:
        env["GRANIAN_WORKERS"] = "1"
    return launch(port, env, log_path)


def server_pids(session_id: int) -> list[int]:
    """Every process of the server: they share the session its launcher started."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # fields after the name: state ppid pgrp session
            pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime stime
    return total / ticks


def pss_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def worker_count(pids: list[int]) -> int:
    """Processes that run the app (the supervisor and its workers; not the bash launcher)."""
    count = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            if b"bash" not in Path(f"/proc/{pid}/comm").read_bytes():
                count += 1
    return max(count - 1, 1)


# --- the clients ------------------------------------------------------------------------------


def sign_in(base: str, count: int) -> list[str]:
    """``count`` sessions of the demo admin (a few at once: each costs an argon2 hash)."""
    from accountlink_ui.demo import DEMO_PASSWORD

    def one(_: int) -> str:
        with httpx.Client(timeout=120, trust_env=False) as client:
            reply = client.post(
                f"{base}/auth/sign-in",
                data={"email": DEMO_ADMIN, "password": DEMO_PASSWORD},
                headers={"Origin": base, "Accept": "application/json"},
            )
            reply.raise_for_status()
            return f"{SESSION_COOKIE}={reply.cookies[SESSION_COOKIE]}"

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


@dataclass
class ClientResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    received_bytes: int = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Admin:
    """One simulated admin: its own websocket, loading the dashboard with think time."""

    def __init__(self, base: str, cookie: str, event_name: str, state_key: str) -> None:
        import socketio

        self.base = base
        self.cookie = cookie
        self.event_name = event_name
        self.state_key = state_key
        self.client = socketio.AsyncClient(reconnection=False, request_timeout=30)
        self.answered = asyncio.Event()
        self.received_bytes = 0
        self.client.on("event", self._on_update, namespace="/_event")

    async def _on_update(self, update: object) -> None:
        if not isinstance(update, dict):
            return
        self.received_bytes += len(json.dumps(update))
        delta = update.get("delta") or {}
        mine = delta.get(self.state_key) or {}
        if any(
            key.split("_rx_state_")[0] == "loading" and not value for key, value in mine.items()
        ):
            self.answered.set()

    async def connect(self) -> None:
        await self.client.connect(
            f"{self.base}?token={uuid.uuid4()}",
            headers={"Cookie": self.cookie, "Origin": self.base},
            transports=["websocket"],
            namespaces=["/_event"],
            socketio_path="/_event",
            wait_timeout=60,
        )

    async def load(self) -> float | None:
        """One dashboard load: its round trip in ms, or None when no answer came in time."""
        self.answered.clear()
        started = time.perf_counter()
        await self.client.emit(
            "event",
            {
                "name": self.event_name,
                "payload": {},
                "router_data": {"pathname": DASHBOARD, "query": {}, "asPath": DASHBOARD},
            },
            namespace="/_event",
        )
        try:
            await asyncio.wait_for(self.answered.wait(), ANSWER_TIMEOUT)
        except TimeoutError:
            return None
        return (time.perf_counter() - started) * 1000


async def run_admins(
    base: str,
    cookies: list[str],
    event_name: str,
    state_key: str,
    ready: Any,
    seconds: float,
) -> ClientResult:
    """Connects its admins, loads once each, waits for every process, then runs the window."""
    outcome = ClientResult()
    admins: list[Admin] = []
    connecting = asyncio.Semaphore(16)

    async def prepare(cookie: str) -> None:
        admin = Admin(base, cookie, event_name, state_key)
        async with connecting:
            try:
                await admin.connect()
                if await admin.load() is None:
                    outcome.error("no answer to the first load")
                    await admin.client.disconnect()
                    return
                admins.append(admin)
            except Exception as error:
                outcome.error(f"connect: {type(error).__name__}")

    await asyncio.gather(*(prepare(cookie) for cookie in cookies))
    await asyncio.to_thread(ready.wait)
    stop_at = time.monotonic() + seconds

    async def run(admin: Admin) -> None:
        await asyncio.sleep(random.uniform(0, THINK_SECONDS))  # spread the first loads
        admin.received_bytes = 0
        while time.monotonic() < stop_at:
            if not admin.client.connected:
                outcome.error("websocket dropped")
                return
            took = await admin.load()
            if took is None:
                outcome.error(f"no answer within {ANSWER_TIMEOUT:.0f} s")
            else:
                outcome.latencies_ms.append(took)
            await asyncio.sleep(THINK_SECONDS * random.uniform(0.8, 1.2))
        outcome.received_bytes += admin.received_bytes

    await asyncio.gather(*(run(admin) for admin in admins))
    for admin in admins:
        with contextlib.suppress(Exception):
            await admin.client.disconnect()
    return outcome


def client_process(
    base: str,
    cookies: list[str],
    event_name: str,
    state_key: str,
    ready: Any,
    seconds: float,
    results: Any,
) -> None:
    """One process of clients, all on one event loop (threads would queue for the GIL)."""
    outcome = asyncio.run(run_admins(base, cookies, event_name, state_key, ready, seconds))
    results.put((outcome.latencies_ms, outcome.errors, outcome.received_bytes))


@dataclass
class Row:
    sessions: int
    events: int
    p50: float
    p95: float
    p99: float
    errors: dict[str, int]
    cpu_ms_per_event: float
    cpu_cores: float
    pss_mib: float
    lock_warnings: int
    lock_max_s: float
    lock_median_s: float
    bytes_per_event: float


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def lock_warnings(log_path: Path, offset: int) -> tuple[list[float], int]:
    with log_path.open("rb") as log:
        log.seek(offset)
        text = log.read().decode(errors="replace")
    return [float(m.group(1)) for m in LOCK_WARNING.finditer(text)], offset + len(text.encode())


def measure(base: str, cookies: list[str], seconds: float, session_id: int, log_path: Path) -> Row:
    from accountlink_ui.ui.states.integrations import IntegrationsState

    event_name = f"{IntegrationsState.get_full_name()}.load"
    state_key = IntegrationsState.get_full_name()
    processes = min(CLIENT_PROCESSES, len(cookies))
    ready = multiprocessing.Barrier(processes + 1)
    results: Any = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=client_process,
            args=(base, cookies[i::processes], event_name, state_key, ready, seconds, results),
            daemon=True,
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    ready.wait(timeout=600)
    _, log_offset = lock_warnings(log_path, 0)
    pids = server_pids(session_id)
    cpu_before, wall_before = cpu_seconds(pids), time.monotonic()
    time.sleep(seconds)
    cpu_used, wall = cpu_seconds(pids) - cpu_before, time.monotonic() - wall_before
    memory = pss_mib(pids)
    latencies: list[float] = []
    received_bytes = 0
    errors: dict[str, int] = {}
    for _ in workers:
        got, errs, received = results.get(timeout=seconds + 120)
        latencies += got
        received_bytes += received
        for key, value in errs.items():
            errors[key] = errors.get(key, 0) + value
    for worker in workers:
        worker.join(30)
    held, _ = lock_warnings(log_path, log_offset)
    return Row(
        sessions=len(cookies),
        events=len(latencies),
        p50=percentile(latencies, 50),
        p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        errors=errors,
        cpu_ms_per_event=cpu_used * 1000 / max(len(latencies), 1),
        cpu_cores=cpu_used / wall,
        pss_mib=memory,
        lock_warnings=len(held),
        lock_max_s=max(held, default=0.0),
        lock_median_s=statistics.median(held) if held else 0.0,
        bytes_per_event=received_bytes / max(len(latencies), 1),
    )


# --- the run ----------------------------------------------------------------------------------


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_database(url: str, data_dir: Path) -> None:
    """Migrate and seed the demo here, once: workers starting together on an empty database
    would each do it at the same moment (the production mode's advisory lock is not in this
    branch)."""
    from accountlink_ui.db import migrate
    from accountlink_ui.demo import seed_demo
    from accountlink_ui.services.wiring import build_services
    from accountlink_ui.settings import Settings

    migrate(url)
    services = build_services(Settings(database_url=url, data_dir=data_dir, demo=True))
    try:
        seed_demo(services)
    finally:
        services.engine.dispose()


def run_deployment(deployment: Deployment, counts: list[int], seconds: float) -> list[Row]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-sessions-{deployment.key}-") as tmp:
        workdir = Path(tmp)
        (workdir / "data").mkdir()
        (workdir / "states").mkdir()
        if not deployment.database_url:
            deployment.database_url = f"sqlite:///{workdir / 'data' / 'accountlink.db'}"
        log_path = workdir / "reflex.log"
        prepare_database(deployment.database_url, workdir / "data")
        process = start_backend(port, workdir, log_path, deployment)
        try:
            wait_ready(base, process, log_path)
            cookies = sign_in(base, max(counts))
            workers = worker_count(server_pids(process.pid))
            print(f"\n({deployment.key}) {deployment.label}: {workers} backend worker(s)")
            print(
                f"{'sessions':>8} {'events':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
                f"{'errors':>6} {'CPU ms/ev':>9} {'cores':>5} {'PSS MiB':>8} "
                f"{'locks>100ms':>11} {'median s':>8} {'max s':>6} {'B/event':>7}"
            )
            for count in counts:
                row = measure(base, cookies[:count], seconds, process.pid, log_path)
                rows.append(row)
                print(
                    f"{row.sessions:>8} {row.events:>7} {row.p50:>8.1f} {row.p95:>8.1f} "
                    f"{row.p99:>8.1f} {sum(row.errors.values()):>6} "
                    f"{row.cpu_ms_per_event:>9.2f} {row.cpu_cores:>5.2f} {row.pss_mib:>8.0f} "
                    f"{row.lock_warnings:>11} {row.lock_median_s:>8.2f} {row.lock_max_s:>6.2f} {row.bytes_per_event:>7.0f}",
                    flush=True,
                )
                if row.errors:
                    print(f"{'':>8} errors: {row.errors}")
        finally:
            stop(process)
            if os.environ.get("ACCOUNTLINK_BENCH_KEEP_LOG"):
                kept = Path(os.environ["ACCOUNTLINK_BENCH_KEEP_LOG"]) / f"{deployment.key}.log"
                kept.write_bytes(log_path.read_bytes())
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("ACCOUNTLINK_BENCH_SESSIONS_SECONDS", DEFAULT_SECONDS)),
        help=f"measured window per N (default {DEFAULT_SECONDS:.0f} s)",
    )
    parser.add_argument("--sessions", default=",".join(map(str, SESSION_COUNTS)))
    parser.add_argument("--deployments", default="a,b")
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",")]
    chosen = set(args.deployments.split(","))
    print(
        f"Dashboard loads, {args.seconds:.0f} s per N, think time {THINK_SECONDS:.0f} s, "
        f"{os.cpu_count()} CPUs on this machine"
    )
    if "a" in chosen:
        run_deployment(
            Deployment("a", "one worker, SQLite, state on disk", ""), counts, args.seconds
        )
    if "b" in chosen:
        name = f"bench_sessions_{os.getpid()}"
        try:
            create_database(name)
        except Exception as error:
            print(f"\n(b) skipped: PostgreSQL at {PG_BASE} is not reachable ({error})")
            return
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).ping()
        except Exception as error:
            drop_database(name)
            print(f"\n(b) skipped: Redis at {REDIS_URL} is not reachable ({error})")
            return
        try:
            run_deployment(
                Deployment(
                    "b",
                    "PostgreSQL + Redis + the configured workers",
                    f"postgresql+psycopg://{PG_BASE.split('://', 1)[1]}/{name}",
                    REDIS_URL,
                    name,
                ),
                counts,
                args.seconds,
            )
        finally:
            drop_database(name)


if __name__ == "__main__":
    main()
