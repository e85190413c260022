"""The sync engine against real databases (SQLite, PostgreSQL) and the sandbox over HTTP.

One sandbox server per session; its state is reset before every test. Each test gets fresh adapters (no token cache carried
over) with short client timeouts, so a lost answer costs about a second, and
a recorded ``sleep``, so backoff and Retry-After cost nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from accountlink_ui.db import session_scope
from accountlink_ui.demo_claims import make_claims
from accountlink_ui.demo_drafts import demo_posting
from accountlink_ui.integrations.dynamics import DynamicsAdapter
from accountlink_ui.integrations.generic_rest import GenericRestAdapter
from accountlink_ui.integrations.http import OutboundClient
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.integrations.tripletex import TripletexAdapter
from accountlink_ui.integrations.xledger import XledgerAdapter
from accountlink_ui.models import ExpenseClaim, Integration, Role, User, utcnow
from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.auth_service import hash_password
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.sync_service import SyncProgress, SyncService
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor, SyncRunView
from tests.adapters.support import Sandbox, assert_no_secret
from tests.sync.support import business_central_draft, rest_draft, tripletex_draft, xledger_draft

CLIENT_TIMEOUT = httpx.Timeout(connect=2.0, read=1.0, write=2.0, pool=2.0)
LOST_ANSWER_DELAY = 1.4
"""For the sandbox's ``lost_answer`` fault: longer than the read timeout above. The sandbox
answers as soon as the client has hung up, so a lost answer costs about the read timeout."""


@dataclass
class Served:
    sandbox: Sandbox


@pytest.fixture(scope="session")
def _served() -> Iterator[Served]:
    state = SandboxState()
    with running_sandbox(state) as base:
        yield Served(Sandbox(base, state))


@pytest.fixture
def served(_served: Served) -> Served:
    _served.sandbox.state.reset()
    return _served


@dataclass
class Clock:
    """Real time unless a test moves it (to make a lease look dead)."""

    offset_seconds: float = 0.0

    def __call__(self) -> datetime:
        return utcnow() + timedelta(seconds=self.offset_seconds)


@dataclass(repr=False)
class SyncWorld:
    services: Services
    sync: SyncService
    served: Served
    settings: Settings
    registry: AdapterRegistry
    bf_admin: Actor
    bf_member: Actor
    hlf_admin: Actor
    bf_org: int
    hlf_org: int
    clock: Clock
    waits: list[float] = field(default_factory=list)
    progress: list[SyncProgress] = field(default_factory=list)

    @property
    def sandbox(self) -> Sandbox:
        return self.served.sandbox

    @property
    def state(self) -> SandboxState:
        return self.served.sandbox.state

    def connect(self, type_key: str, actor: Actor | None = None, org: int | None = None) -> int:
        """Set an integration up the way the wizard does: test, then save with the proof."""
        actor, org = actor or self.bf_admin, org or self.bf_org
        draft = self.draft(type_key)
        outcome = self.services.integrations.test_connection(actor, org, draft)
        assert outcome.result.ok, outcome.result.message
        view = self.services.integrations.create_integration(actor, org, draft, outcome.proof)
        assert view.id is not None
        self.set_posting(view.id, actor)
        self.state.reset()  # the connection test's requests are not what the tests count
        return view.id

    def set_posting(self, integration_id: int, actor: Actor | None = None, **values: str) -> int:
        """The Posting step: the demo accountant's choices (plus ``values``), saved."""
        actor = actor or self.bf_admin
        form = self.services.postings.form(actor, integration_id)
        chosen = demo_posting(form.type_key, form.chart, **values)
        version, errors = self.services.postings.save(actor, integration_id, chosen)
        assert version is not None, errors
        return version

    def draft(self, type_key: str) -> ConnectionDraft:
        return {
            "xledger": xledger_draft,
            "dynamics": business_central_draft,
            "generic_rest": lambda: rest_draft(self.sandbox.base),
            "tripletex": tripletex_draft,
        }[type_key]()

    def claims(self, n: int, org: int | None = None, **options: object) -> list[str]:
        return make_claims(self.services.engine, org or self.bf_org, n, **options)  # type: ignore[arg-type]

    def run(self, integration_id: int, **options: object) -> SyncRunView:
        options.setdefault("trigger", "schedule")
        view = self.sync.run(integration_id, progress=self.progress.append, **options)  # type: ignore[arg-type]
        assert view is not None
        assert_no_secret(repr(view))
        return view

    def claim_rows(self, org: int | None = None) -> list[ExpenseClaim]:
        with session_scope(self.services.engine) as session:
            return list(
                session.exec(
                    select(ExpenseClaim).where(ExpenseClaim.organization_id == (org or self.bf_org))
                ).all()
            )

    def integration(self, integration_id: int) -> Integration:
        with session_scope(self.services.engine) as session:
            row = session.get(Integration, integration_id)
            assert row is not None
            return row

    def new_sync_service(self, **overrides: object) -> SyncService:
        options: dict[str, object] = {
            "engine": self.services.engine,
            "integrations": self.services.integrations,
            "adapters": self.registry,
            "settings": self.settings,
            "clock": self.clock,
            "sleep": self.waits.append,
            "random": lambda: 0.5,
        }
        options.update(overrides)
        return SyncService(**options)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password("correct horse battery")


def sandbox_registry(settings: Settings) -> AdapterRegistry:
    """The real adapters, with client timeouts short enough for lost-answer tests."""
    http = OutboundClient(settings, timeout=CLIENT_TIMEOUT)
    return AdapterRegistry(
        [
            XledgerAdapter(settings, http=http),
            DynamicsAdapter(settings, http=http),
            GenericRestAdapter(settings, http=http),
            TripletexAdapter(settings, http=http),
        ]
    )


@pytest.fixture
def world(
    database_url: str, tmp_path: Path, served: Served, caplog: pytest.LogCaptureFixture
) -> Iterator[SyncWorld]:
    caplog.set_level(logging.DEBUG)
    settings = served.sandbox.settings(
        database_url=database_url, data_dir=tmp_path, master_key_file=tmp_path / "keys.json"
    )
    registry = sandbox_registry(settings)
    services = build_services(settings, adapters=registry)
    auth = services.auth
    bf = auth.create_organization(name="Blindeforbundet", slug="blindeforbundet")
    hlf = auth.create_organization(name="HLF", slug="hlf")
    people = {}
    for key, email, org, role in (
        ("bf_admin", "kari@bf.test", bf, Role.ADMIN),
        ("bf_member", "ola@bf.test", bf, Role.MEMBER),
        ("hlf_admin", "hanne@hlf.test", hlf, Role.ADMIN),
    ):
        # Users are inserted with one precomputed hash: hashing (argon2) three passwords
        # per test would cost more than most of these tests. Nobody signs in here.
        with session_scope(services.engine) as session:
            user = User(email=email, name=key, password_hash=_password_hash())
            session.add(user)
            session.flush()
            assert user.id is not None
            actor = Actor(user_id=user.id, email=email, name=key)
        auth.add_membership(organization_id=org, user_id=actor.user_id, role=role)
        people[key] = actor
    clock = Clock()
    world = SyncWorld(
        services=services,
        sync=None,  # type: ignore[arg-type]
        served=served,
        settings=settings,
        registry=registry,
        bf_org=bf,
        hlf_org=hlf,
        clock=clock,
        **people,
    )
    world.sync = world.new_sync_service()
    yield world
    assert_no_secret(caplog.text)
    services.engine.dispose()
