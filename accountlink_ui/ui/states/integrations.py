"""The dashboard's state: one service call per action, results as display cards."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import partial

import reflex as rx

from accountlink_ui.services.auth_service import SignedIn
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.sync_service import SyncProgress
from accountlink_ui.services.wiring import Services, get_services
from accountlink_ui.ui.format import IntegrationCard, card, sync_summary, when
from accountlink_ui.ui.states.connection_form import deadline_from_click
from accountlink_ui.ui.states.page_load import PageLoadState, ReadOutcome, read_outcome
from accountlink_ui.ui.states.session import SessionState, chosen_membership, session_key_of
from accountlink_ui.ui.text import show

INCIDENT_WORDS = {
    "integration.error": "has stopped working",
    "credentials.rejected": "refused its stored credentials",
}


@dataclass(frozen=True)
class DashboardRead:
    """What one dashboard load read: who is signed in, and the cards (or why there are none)."""

    signed_in: SignedIn | None
    organization_id: int
    outcome: ReadOutcome[tuple[list[IntegrationCard], list[str]]]
    """The cards, and one sentence per open incident."""


def _read_dashboard(services: Services, session_key: str, organization_id: int) -> DashboardRead:
    """The dashboard's database reads, in the calling thread (a worker thread: see below)."""
    signed_in = services.auth.resolve_key(session_key)
    if signed_in is None:
        return DashboardRead(None, organization_id, ReadOutcome())
    chosen = chosen_membership(signed_in, organization_id)
    acting_for = chosen.organization_id if chosen is not None else organization_id

    def fetch() -> tuple[list[IntegrationCard], list[str]]:
        views = services.integrations.list_integrations(signed_in.actor, acting_for)
        schedule = services.schedule_of([v.id for v in views if v.id is not None])
        # After the integrations, which decide who may see this page at all.
        incidents = services.incidents.open_incidents(signed_in.actor, acting_for)
        return [card(view, schedule.get(view.id or 0)) for view in views], [
            f"{i.integration_name} {INCIDENT_WORDS.get(i.cause, 'has a problem')} since "
            f"{when(i.opened_at)}. {i.reason} Admins get one alert for this, and one more "
            "when it works again."
            for i in incidents
        ]

    return DashboardRead(signed_in, acting_for, read_outcome(fetch, "The integrations"))


async def read_dashboard(
    services: Services, session_key: str, organization_id: int
) -> DashboardRead:
    """Every database read of a dashboard load, in a worker thread.

    The event loop serves every websocket of the process: a read on it stalls
    them all, and under load one session's state lock stays held while the loop
    is busy elsewhere (``bench/sessions.py``).
    """
    return await asyncio.to_thread(_read_dashboard, services, session_key, organization_id)


class IntegrationsState(PageLoadState, SessionState):
    cards: list[IntegrationCard] = []
    incidents: list[str] = []
    """One sentence per open incident: the dashboard's notice until the integration works."""
    notice: str = ""
    busy_integration: int = 0
    syncing_integration: int = 0
    sync_progress: str = ""

    @rx.event(background=True)
    async def load(self):  # type: ignore[no-untyped-def]
        """Read off the event loop and outside the state lock; take the lock only to show it.

        The event guard has resolved the person under the lock already (from its
        per-process cache, or in a worker thread); the values read here without the
        lock were current when the event arrived.
        """
        organization_id = self.organization_id
        read = await read_dashboard(get_services(), session_key_of(self), organization_id)
        async with self:
            if self.organization_id != organization_id:
                return IntegrationsState.load  # switched organization meanwhile: read again
            if self._apply_signed_in(read.signed_in) is None:
                return rx.redirect("/login", replace=True)
            self._show_outcome(read.outcome)
            cards, incidents = read.outcome.result or ([], [])
            if self.cards != cards:
                self.cards = cards
            if self.incidents != incidents:
                self.incidents = incidents
            self.loading = False  # always sent: the page (and the bench) see the load end
        return None

    @rx.event(background=True)
    async def test_again(self, integration_id: int):  # type: ignore[no-untyped-def]
        arrived = time.time()
        async with self:
            actor = self._actor()
            self.busy_integration = integration_id
            self.notice = ""
            organization_id = self.organization_id
        if actor is None:
            return
        services = get_services()
        try:
            result = await services.test_runs.run(
                organization_id,
                partial(
                    services.integrations.retest,
                    actor,
                    integration_id,
                    deadline=deadline_from_click(arrived),
                ),
            )
            message = ("Connection OK: " if result.ok else "Connection failed: ") + show(
                result.message_code, "en"
            )
        except ServiceError as refused:
            message = show(refused.said, "en")
        async with self:
            self.busy_integration = 0
            self.notice = message
        yield IntegrationsState.load

    @rx.event
    def set_enabled(self, integration_id: int, enabled: bool):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        try:
            get_services().integrations.set_enabled(actor, integration_id, enabled)
            self.notice = "Integration enabled." if enabled else "Integration disabled."
        except ServiceError as refused:
            self.notice = show(refused.said, "en")
        return IntegrationsState.load

    @rx.event
    def set_interval(self, integration_id: int, minutes: str):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        try:
            get_services().integrations.set_sync_interval(
                actor,
                integration_id,
                int(minutes) if minutes.isdigit() and len(minutes) < 7 else -1,
            )
            self.notice = f"Sync schedule set to every {minutes} minutes."
        except ServiceError as refused:
            self.notice = show(refused.said, "en")
        return IntegrationsState.load

    @rx.event(background=True)
    async def sync_now(self, integration_id: int):  # type: ignore[no-untyped-def]
        """Run a sync in a worker thread and show its progress while it runs."""
        async with self:
            actor = self._actor()
            if actor is None or self.syncing_integration:
                return
            self.syncing_integration = integration_id
            self.sync_progress = "Starting…"
            self.notice = ""
            organization_id = self.organization_id
        latest: dict[str, str] = {}

        def report(progress: SyncProgress) -> None:
            latest["text"] = (
                f"{progress.sent} of {progress.total} claims sent"
                + (f", {progress.failed} failed" if progress.failed else "")
                + f": {show(progress.said, 'en')}"
            )

        services = get_services()
        try:
            task = asyncio.wrap_future(
                services.sync_runs.submit(
                    organization_id,
                    partial(
                        services.sync.run,
                        integration_id,
                        trigger="manual",
                        actor=actor,
                        progress=report,
                    ),
                )
            )
        except ServiceError as busy:
            async with self:
                self.syncing_integration = 0
                self.sync_progress = ""
                self.notice = show(busy.said, "en")
            return
        while not task.done():
            await asyncio.sleep(0.3)
            if "text" in latest:
                async with self:
                    self.sync_progress = latest["text"]
        try:
            run = task.result()
            message = sync_summary(run)
        except ServiceError as refused:
            message = show(refused.said, "en")
        async with self:
            self.syncing_integration = 0
            self.sync_progress = ""
            self.notice = message
        yield IntegrationsState.load
