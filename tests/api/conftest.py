"""The API served over real HTTP: uvicorn in a thread, a migrated SQLite file, the sandbox.

One server per session (starting uvicorn and migrating are the slow parts).
Two organizations are seeded with integrations that really work against the
sandbox, so a connection test and a sync travel the whole way. Tests create
their own tokens, so their order never matters; the rate limiter is emptied
before each test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from accountlink_ui.api import API_PREFIX, api_routes
from accountlink_ui.db import session_scope
from accountlink_ui.demo_drafts import business_central_draft, save_demo_posting, xledger_draft
from accountlink_ui.integrations.registry import AdapterRegistry, default_registry
from accountlink_ui.models import ExpenseClaim, Role
from accountlink_ui.sandbox.server import running_app, running_sandbox
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.rate_limits import RateLimiter
from accountlink_ui.services.sync_service import SyncService
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor
from tests.adapters.support import KNOWN_SECRETS
from tests.support.databases import sqlite_database


@dataclass(frozen=True)
class _ServicesWithSync(Services):
    """Until the wiring builds the sync service itself (then ``build_services`` is used as is)."""

    sync: SyncService


def services_with_sync(settings: Settings, adapters: AdapterRegistry | None = None) -> Services:
    services = build_services(settings, adapters=adapters)
    if hasattr(services, "sync"):
        return services
    values = {f.name: getattr(services, f.name) for f in dataclasses.fields(services)}
    sync = SyncService(
        engine=services.engine,
        integrations=services.integrations,
        adapters=adapters or default_registry(settings),
        settings=settings,
        sleep=lambda _: None,
    )
    return _ServicesWithSync(**values, sync=sync)


@dataclass
class ApiWorld:
    base: str
    """The server root: /readyz, and the API under /api/v1."""
    services: Services
    limiter: RateLimiter
    bf_org: int
    hlf_org: int
    bf_admin: Actor
    bf_member: Actor
    hlf_admin: Actor
    both_admin: Actor
    """Admin of both organizations: a token for one must still not reach the other."""
    bf_xledger: int
    hlf_dynamics: int
    issued: list[str] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"{self.base}{API_PREFIX}"

    @property
    def tokens(self) -> ApiTokenService:
        return ApiTokenService(engine=self.services.engine)

    def token(self, actor: Actor | None = None, organization_id: int | None = None) -> str:
        issued = self.tokens.create_token(
            actor or self.bf_admin,
            organization_id or self.bf_org,
            f"test token {len(self.issued) + 1}",
        )
        self.issued.append(issued.token)
        return issued.token

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=30, trust_env=False)

    def secrets(self) -> tuple[str, ...]:
        """Everything no response may contain: credentials, API tokens and their hashes."""
        from accountlink_ui.services.api_token_service import token_hash

        return (*KNOWN_SECRETS, *self.issued, *(token_hash(t) for t in self.issued))


def _save(services: Services, actor: Actor, organization_id: int, draft: ConnectionDraft) -> int:
    outcome = services.integrations.test_connection(actor, organization_id, draft)
    assert outcome.proof, outcome.result.message
    view = services.integrations.create_integration(actor, organization_id, draft, outcome.proof)
    assert view.id is not None
    save_demo_posting(services.postings, actor, view.id)
    return view.id


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
def _sandbox() -> Iterator[str]:
    with running_sandbox(SandboxState()) as base:
        yield base


@pytest.fixture(scope="session")
def _api_world(_sandbox: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    tmp = tmp_path_factory.mktemp("api")
    settings = Settings(
        database_url=sqlite_database(tmp, tmp_path_factory.getbasetemp()),
        data_dir=tmp,
        master_key_file=Path(tmp) / "keys.json",
        sandbox_url=_sandbox,
    )
    services = services_with_sync(settings)
    auth = services.auth
    bf = auth.create_organization(name="Blindeforbundet", slug="blindeforbundet")
    hlf = auth.create_organization(name="HLF", slug="hlf")
    people: dict[str, Actor] = {}
    for key, email, name, memberships in (
        ("bf_admin", "kari@bf.test", "Kari Nordmann", ((bf, Role.ADMIN),)),
        ("bf_member", "ola@bf.test", "Ola Hansen", ((bf, Role.MEMBER),)),
        ("hlf_admin", "hanne@hlf.test", "Hanne Berg", ((hlf, Role.ADMIN),)),
        ("both_admin", "per@both.test", "Per Begge", ((bf, Role.ADMIN), (hlf, Role.ADMIN))),
    ):
        actor = auth.create_user(email=email, name=name, password="correct horse battery")
        for organization_id, role in memberships:
            auth.add_membership(organization_id=organization_id, user_id=actor.user_id, role=role)
        people[key] = actor
    xledger = _save(
        services,
        people["bf_admin"],
        bf,
        dataclasses.replace(xledger_draft(), display_name="Xledger"),
    )
    dynamics = _save(services, people["hlf_admin"], hlf, business_central_draft())
    _seed_claims(services, bf, 3)
    routes = api_routes(lambda: services)
    mount = next(route for route in routes if isinstance(route, Mount))
    limiter = mount.app.state.limiter or services.rate_limits  # type: ignore[attr-defined]
    with running_app(Starlette(routes=routes)) as base:
        yield ApiWorld(
            base=base,
            services=services,
            limiter=limiter,
            bf_org=bf,
            hlf_org=hlf,
            bf_xledger=xledger,
            hlf_dynamics=dynamics,
            **people,
        )
    services.engine.dispose()


@pytest.fixture
def world(_api_world: ApiWorld) -> ApiWorld:
    _api_world.limiter.reset(_api_world.services.engine)
    return _api_world
