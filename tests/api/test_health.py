"""/readyz for load balancers: 200 only when the database, its schema and a scheduler leader are there."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Route

from accountlink_ui.api.health import readiness_endpoint
from accountlink_ui.db import engine_for
from accountlink_ui.models import utcnow
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.services.scheduler import LEASE_NAME
from accountlink_ui.services.scheduler_lease import Lease
from tests.support.api_world import ApiWorld
from tests.support.databases import sqlite_database


@contextmanager
def scheduler_leader(world: ApiWorld) -> Iterator[str]:
    lease = Lease(
        world.services.engine, name=LEASE_NAME, holder="web-1:4242:abcd", seconds=60, clock=utcnow
    )
    assert lease.acquire()
    try:
        yield "web-1:4242:abcd"
    finally:
        lease.release()


@contextmanager
def readiness_server(engine: object) -> Iterator[str]:
    services = SimpleNamespace(engine=engine)
    app = Starlette(routes=[Route("/readyz", readiness_endpoint(lambda: services))])  # type: ignore[arg-type, return-value]
    with running_app(app) as base:
        yield base


def test_ready_names_every_check(world: ApiWorld) -> None:
    with scheduler_leader(world):
        response = httpx.get(f"{world.base}/readyz", trust_env=False)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {
        "database": {"ok": True, "detail": "Reachable."},
        "migrations": {"ok": True, "detail": "At the newest migration."},
        "scheduler": {"ok": True, "detail": "A scheduler leader holds the lease."},
        "vault": {"ok": True, "detail": "A stored credential opens with the master keys."},
    }


def test_no_scheduler_leader_is_503(world: ApiWorld) -> None:
    response = httpx.get(f"{world.base}/readyz", trust_env=False)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["scheduler"] == {
        "ok": False,
        "detail": "No scheduler leader holds the lease.",
    }
    assert body["checks"]["database"]["ok"] is True


def test_a_database_behind_the_code_is_503(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = sqlite_database(tmp_path, tmp_path_factory.getbasetemp())
    engine = engine_for(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with readiness_server(engine) as base:
        response = httpx.get(f"{base}/readyz", trust_env=False)
    engine.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "ok": False,
        "detail": "Behind the code: run `accountlink migrate`.",
    }


def test_an_unreachable_database_is_503_without_its_password() -> None:
    engine = engine_for("postgresql+psycopg://app:hunter2-db-password@127.0.0.1:1/accountlink")
    with readiness_server(engine) as base:
        response = httpx.get(f"{base}/readyz", trust_env=False, timeout=30)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is False
    assert checks["database"]["detail"].startswith("Unreachable (")
    assert checks["migrations"]["ok"] is False and checks["scheduler"]["ok"] is False
    assert "hunter2" not in response.text and "127.0.0.1:1" not in response.text
