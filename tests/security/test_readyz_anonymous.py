"""/readyz answers anyone: it says whether a scheduler leader exists, not which host or process."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from accountlink_ui.api.health import readiness_endpoint
from accountlink_ui.db import engine_for
from accountlink_ui.models import utcnow
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.services.scheduler import LEASE_NAME
from accountlink_ui.services.scheduler_lease import Lease
from tests.support.databases import sqlite_database

HOLDER = "web-7.prod.internal:31337:beef"


def test_readyz_does_not_show_the_leader_host_or_process(tmp_path: Path, tmp_path_factory) -> None:
    engine = engine_for(sqlite_database(tmp_path, tmp_path_factory.getbasetemp()))
    lease = Lease(engine, name=LEASE_NAME, holder=HOLDER, seconds=60, clock=utcnow)
    assert lease.acquire()
    services = SimpleNamespace(engine=engine)
    app = Starlette(routes=[Route("/readyz", readiness_endpoint(lambda: services))])  # type: ignore[arg-type, return-value]
    try:
        with running_app(app) as base:
            response = httpx.get(f"{base}/readyz", trust_env=False)
    finally:
        lease.release()
        engine.dispose()
    assert response.status_code == 200
    assert response.json()["checks"]["scheduler"]["ok"] is True
    for leaked in ("web-7", "prod.internal", "31337", "beef"):
        assert leaked not in response.text
