"""The API served over real HTTP: uvicorn in a thread, a migrated SQLite file, the sandbox.

One server per session (starting uvicorn and migrating are the slow parts). The seeded
world (tests/support/world.py) gets integrations that really work against the sandbox,
so a connection test and a sync travel the whole way. Tests create their own tokens, so
their order never matters; the rate limiter is emptied before each test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from accountlink_ui.api import api_routes
from accountlink_ui.db import session_scope
from accountlink_ui.demo_drafts import business_central_draft, xledger_draft
from accountlink_ui.models import ExpenseClaim, Role
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.services.wiring import Services
from tests.support.api_world import BOTH_ADMIN, ApiWorld
from tests.support.databases import sqlite_database
from tests.support.sandbox import Sandbox
from tests.support.world import build_world, world_settings


def _seed_claims(services: Services, organization_id: int, count: int) -> None:
    with session_scope(services.engine) as session:
        for number in range(count):
            session.add(
                ExpenseClaim(
                    organization_id=organization_id,
                    claimant="Kari Nordmann",
                    claim_date=date(2026, 3, 1 + number),
                    amount=Decimal("120.50"),
                    currency="NOK",
                    description=f"Train ticket {number + 1}",
                    account_code="7140",
                    idempotency_key=f"api-test-claim-{organization_id}-{number}",
                )
            )


@pytest.fixture(scope="session")
def _api_world(
    sandbox_server: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiWorld]:
    tmp = tmp_path_factory.mktemp("api")
    settings = world_settings(
        sqlite_database(tmp, tmp_path_factory.getbasetemp()), tmp, sandbox_url=sandbox_server.base
    )
    seeded = build_world(settings)
    services = seeded.services
    both_admin = seeded.add_person(
        BOTH_ADMIN, (seeded.bf_org, Role.ADMIN), (seeded.hlf_org, Role.ADMIN)
    )
    xledger = seeded.save_integration(
        dataclasses.replace(xledger_draft(), display_name="Xledger"), posting=True
    )
    dynamics = seeded.save_integration(business_central_draft(), seeded.hlf_org, posting=True)
    _seed_claims(services, seeded.bf_org, 3)
    routes = api_routes(lambda: services)
    mount = next(route for route in routes if isinstance(route, Mount))
    limiter = mount.app.state.limiter or services.rate_limits  # type: ignore[attr-defined]
    with running_app(Starlette(routes=routes)) as base:
        yield seeded.extend(
            ApiWorld,
            base=base,
            limiter=limiter,
            both_admin=both_admin,
            bf_xledger=xledger,
            hlf_dynamics=dynamics,
        )
    services.engine.dispose()


@pytest.fixture
def world(_api_world: ApiWorld) -> ApiWorld:
    _api_world.limiter.reset(_api_world.services.engine)
    return _api_world
