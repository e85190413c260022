"""The claims API on its own, served by granian as ``make serve`` serves the app: the
server process of ``bench/intake.py`` (its client and the repository baseline run in the
bench's own process, as the organization's app runs apart from AccountLink). It starts
as the app's backend does, heap settled after start-up included (accountlink_ui.heap)."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from accountlink_ui.api import api_routes
from accountlink_ui.heap import settle_after_start_up
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.services.wiring import build_services
from accountlink_ui.settings import Settings

DATABASE_ENV = "ACCOUNTLINK_BENCH_SERVE_DATABASE_URL"
DATA_DIR_ENV = "ACCOUNTLINK_BENCH_SERVE_DATA_DIR"


def create_app() -> Starlette:
    """granian's factory: the API over the bench's database (migrated by the bench)."""
    services = build_services(
        Settings(database_url=os.environ[DATABASE_ENV], data_dir=Path(os.environ[DATA_DIR_ENV])),
        adapters=AdapterRegistry(),
    )
    app = Starlette(routes=api_routes(lambda: services))
    settle_after_start_up()  # as the app's start-up does (startup.prepare_database)
    return app
