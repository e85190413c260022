"""Readiness for load balancers: ``/readyz`` answers 200 only when this process can serve.

Liveness (``/healthz``) only says the process answers; readiness also says its
database is reachable, its schema is the one this code expects, a
scheduler leader holds the lease, so synced claims keep flowing, and one
stored credential opens with the master keys (a canary for a lost or
mismatched key file), and Redis answers when ``REFLEX_REDIS_URL`` is set. Each check is
named in the body so an operator sees which one failed without reading logs;
no check detail contains a connection string, a host name, a process id or any
other secret (the endpoint answers anonymous callers).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from accountlink_ui.db import migrations_current, ping
from accountlink_ui.services.wiring import Services
from accountlink_ui.vault import Vault

log = logging.getLogger(__name__)
SCHEDULER_MODULE = "accountlink_ui.services.scheduler"
SCHEDULER_LEADER_PRESENT = "A scheduler leader holds the lease."


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database(engine: Engine) -> Check:
    try:
        ping(engine)
    except Exception as exc:  # any failure means "not ready"; the log has the cause
        log.warning("readiness: database unreachable", exc_info=True)
        return Check("database", False, f"Unreachable ({type(exc).__name__}).")
    return Check("database", True, "Reachable.")


def check_migrations(engine: Engine) -> Check:
    try:
        current = migrations_current(engine)
    except Exception as exc:
        log.warning("readiness: migration state unknown", exc_info=True)
        return Check(
            "migrations", False, f"Could not read the schema version ({type(exc).__name__})."
        )
    if not current:
        return Check("migrations", False, "Behind the code: run `accountlink migrate`.")
    return Check("migrations", True, "At the newest migration.")


def check_scheduler(engine: Engine) -> Check:
    """Imported lazily so a build without the scheduler still answers, and says so."""
    try:
        scheduler = importlib.import_module(SCHEDULER_MODULE)
    except ModuleNotFoundError:
        return Check("scheduler", True, "No scheduler in this build.")
    try:
        leader = scheduler.current_leader(engine)
    except Exception as exc:
        log.warning("readiness: scheduler lease unreadable", exc_info=True)
        return Check("scheduler", False, f"Could not read the leader lease ({type(exc).__name__}).")
    if not leader:
        return Check("scheduler", False, "No scheduler leader holds the lease.")
    # The holder id names a host and a process id: useful to an attacker mapping the
    # deployment, and /readyz answers anyone, so only the fact is shown.
    return Check("scheduler", True, SCHEDULER_LEADER_PRESENT)


def readiness(engine: Engine) -> list[Check]:
    database = check_database(engine)
    if not database.ok:
        skipped = "Skipped: the database is unreachable."
        return [database, Check("migrations", False, skipped), Check("scheduler", False, skipped)]
    return [database, check_migrations(engine), check_scheduler(engine)]


REDIS_ENV = "REFLEX_REDIS_URL"
REDIS_TIMEOUT_SECONDS = 2.0


def check_redis(url: str) -> Check:
    """Reflex keeps every browser session's state there when several workers share them."""
    import redis

    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    except Exception as exc:  # the URL may hold a password: only the error type is shown
        log.warning("readiness: redis unreachable (%s)", type(exc).__name__)
        return Check("redis", False, f"Unreachable ({type(exc).__name__}).")
    finally:
        client.close()
    return Check("redis", True, "Reachable.")


def check_vault(engine: Engine, vault: Vault) -> Check:
    """Open one stored credential: proves the master keys match what is sealed."""
    from accountlink_ui.services.key_rotation import open_canary

    try:
        problem = open_canary(engine, vault)
    except Exception as exc:
        log.warning("readiness: vault canary failed", exc_info=True)
        return Check("vault", False, f"Could not read a stored credential ({type(exc).__name__}).")
    if problem:
        return Check("vault", False, problem)
    return Check("vault", True, "A stored credential opens with the master keys.")


def _checks(services: Callable[[], Services]) -> list[Check]:
    try:
        built = services()
        engine = built.engine
    except Exception as exc:  # e.g. an unreadable or missing master key file
        log.warning("readiness: services could not start", exc_info=True)
        return [Check("services", False, f"Could not start ({type(exc).__name__}).")]
    checks = readiness(engine)
    vault = getattr(built, "vault", None)  # stand-ins in tests may carry an engine only
    if vault is not None and checks[0].ok:
        checks.append(check_vault(engine, vault))
    redis_url = os.environ.get(REDIS_ENV, "").strip()
    if redis_url:  # configured: Reflex state lives there and every worker needs it
        checks.append(check_redis(redis_url))
    return checks


def readiness_endpoint(
    services: Callable[[], Services],
) -> Callable[[Request], object]:
    """The ``/readyz`` handler over whichever services the app runs with."""

    async def readyz(_: Request) -> JSONResponse:
        checks = await run_in_threadpool(_checks, services)
        ready = all(check.ok for check in checks)
        return JSONResponse(
            {
                "status": "ready" if ready else "not ready",
                "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
            },
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    return readyz
