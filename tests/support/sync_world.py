"""The seeded world for sync tests: the real adapters against the sandbox over HTTP, with
client timeouts short enough that a lost answer costs about two seconds, and a recorded
``sleep`` so backoff and Retry-After cost nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
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
from accountlink_ui.models import ExpenseClaim, Integration, utcnow
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.sync_service import SyncProgress, SyncService
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor, SyncRunView
from tests.support.drafts import business_central_draft, rest_draft, tripletex_draft, xledger_draft
from tests.support.sandbox import Sandbox
from tests.support.secrets import assert_no_secret
from tests.support.world import SeededWorld

CLIENT_TIMEOUT = httpx.Timeout(connect=2.0, read=2.0, write=2.0, pool=2.0)
"""A read timeout of 1 s was too short for a 500-line voucher call on a loaded 2-core CI
machine: the timed-out call's recovery (look up, send the rest) is correct but adds calls,
and the throughput tests count calls."""
LOST_ANSWER_DELAY = 2.4
"""For the sandbox's ``lost_answer`` fault: longer than the read timeout above. The sandbox
answers as soon as the client has hung up, so a lost answer costs about the read timeout."""


@dataclass
class Clock:
    """Real time unless a test moves it (to make a lease look dead)."""

    offset_seconds: float = 0.0

    def __call__(self) -> datetime:
        return utcnow() + timedelta(seconds=self.offset_seconds)


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


@dataclass(repr=False)
class SyncWorld(SeededWorld):
    sandbox: Sandbox = field(kw_only=True)
    registry: AdapterRegistry = field(kw_only=True)
    clock: Clock = field(default_factory=Clock, kw_only=True)
    waits: list[float] = field(default_factory=list, kw_only=True)
    progress: list[SyncProgress] = field(default_factory=list, kw_only=True)
    sync: SyncService = field(init=False)

    def __post_init__(self) -> None:
        self.sync = self.new_sync_service()

    @property
    def state(self) -> SandboxState:
        return self.sandbox.state

    def connect(self, type_key: str, actor: Actor | None = None, org: int | None = None) -> int:
        """Set an integration up the way the wizard does (test, save with the proof, posting)."""
        actor, org = actor or self.bf_admin, org or self.bf_org
        integration_id = self.save_integration(self.draft(type_key), org, actor)
        self.set_posting(integration_id, actor)
        self.state.reset()  # the connection test's requests are not what the tests count
        return integration_id

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
