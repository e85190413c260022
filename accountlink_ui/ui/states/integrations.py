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
from accountlink_ui.ui.format import IntegrationCard, Reader, card, sync_summary, when
from accountlink_ui.ui.states.connection_form import deadline_from_click
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.page_load import PageLoadState, ReadOutcome, read_outcome
from accountlink_ui.ui.states.session import SessionState, chosen_membership, session_key_of

INCIDENT_SENTENCES = {
    "integration.error": "incident.stopped_working",
    "credentials.rejected": "incident.credentials_rejected",
}
"""Catalogue key of the dashboard's sentence for each incident cause."""


@dataclass(frozen=True)
class DashboardRead:
    """What one dashboard load read: who is signed in, and the cards (or why there are none)."""

    signed_in: SignedIn | None
    organization_id: int
    outcome: ReadOutcome[tuple[list[IntegrationCard], list[str]]]
    """The cards, and one sentence per open incident."""


def _read_dashboard(
    services: Services, session_key: str, organization_id: int, reader: Reader
) -> DashboardRead:
    """The dashboard's database reads, in the calling thread (a worker thread: see below)."""
    signed_in = services.auth.resolve_key(session_key)
    if signed_in is None:
        return DashboardRead(None, organization_id, ReadOutcome())
    chosen = chosen_membership(signed_in, organization_id)
    acting_for = chosen.organization_id if chosen is not None else organization_id

    def fetch() -> tuple[list[IntegrationCard], list[str]]:
        dashboard = services.dashboard.read(signed_in.actor, acting_for)
        return [
            card(view, dashboard.next_syncs.get(view.id or 0), reader)
            for view in dashboard.integrations
        ], [
            reader.t(
                INCIDENT_SENTENCES.get(i.cause, "incident.problem"),
                name=i.integration_name,
                since=when(i.opened_at, reader),
                reason=i.reason,
            )
            for i in dashboard.incidents
        ]

    return DashboardRead(signed_in, acting_for, read_outcome(fetch, "load.integrations"))


async def read_dashboard(
    services: Services, session_key: str, organization_id: int, reader: Reader | None = None
) -> DashboardRead:
    """Every database read of a dashboard load, in a worker thread.

    The event loop serves every websocket of the process: a read on it stalls
    them all, and under load one session's state lock stays held while the loop
    is busy elsewhere (``bench/sessions.py``).
    """
    return await asyncio.to_thread(
        _read_dashboard, services, session_key, organization_id, reader or Reader()
    )


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
        organization_id, reader = self.organization_id, self._reader()
        read = await read_dashboard(get_services(), session_key_of(self), organization_id, reader)
        async with self:
            if self.organization_id != organization_id or self._reader() != reader:
                return IntegrationsState.load  # switched organization or language: read again
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
            message = self._t(
                "dashboard.connection_ok" if result.ok else "dashboard.connection_failed",
                message=self._speak(result.message_code),
            )
        except ServiceError as refused:
            message = self._speak(refused.said)
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
            self.notice = self._t(
                "dashboard.enabled_notice" if enabled else "dashboard.disabled_notice"
            )
        except ServiceError as refused:
            self.notice = self._speak(refused.said)
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
            self.notice = self._t("dashboard.interval_notice", minutes=minutes)
        except ServiceError as refused:
            self.notice = self._speak(refused.said)
        return IntegrationsState.load

    @rx.event(background=True)
    async def sync_now(self, integration_id: int):  # type: ignore[no-untyped-def]
        """Run a sync in a worker thread and show its progress while it runs."""
        async with self:
            actor = self._actor()
            if actor is None or self.syncing_integration:
                return
            self.syncing_integration = integration_id
            self.sync_progress = self._t("dashboard.sync_starting")
            self.notice = ""
            organization_id, reader = self.organization_id, self._reader()
        latest: dict[str, str] = {}

        def report(progress: SyncProgress) -> None:
            key = "dashboard.sync_progress_failed" if progress.failed else "dashboard.sync_progress"
            text = reader.t(key, sent=progress.sent, total=progress.total, failed=progress.failed)
            latest["text"] = f"{text}: {reader.say(progress.said)}"

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
                self.notice = self._speak(busy.said)
            return
        while not task.done():
            await asyncio.sleep(0.3)
            if "text" in latest:
                async with self:
                    self.sync_progress = latest["text"]
        try:
            run = task.result()
            message = sync_summary(run, reader)
        except ServiceError as refused:
            message = self._speak(refused.said)
        async with self:
            self.syncing_integration = 0
            self.sync_progress = ""
            self.notice = message
        yield IntegrationsState.load


relocalize_on(r"/settings/integrations/?", IntegrationsState.load)
