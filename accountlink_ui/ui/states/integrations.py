"""The dashboard's state: one service call per action, results as display cards."""

from __future__ import annotations

import asyncio

import reflex as rx

from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import IntegrationCard, card
from accountlink_ui.ui.states.session import SessionState


class IntegrationsState(SessionState):
    cards: list[IntegrationCard] = []
    loading: bool = True
    refused: str = ""
    load_error: str = ""
    notice: str = ""
    busy_integration: int = 0

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.loading = True
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.refused = self.load_error = ""
        try:
            views = get_services().integrations.list_integrations(actor, self.organization_id)
        except ServiceError as refused:
            self.refused = str(refused)
            self.cards = []
        except Exception:  # the page says so instead of showing a blank grid
            self.load_error = "The integrations could not be loaded. Try again in a moment."
            self.cards = []
        else:
            self.cards = [card(view) for view in views]
        self.loading = False
        return None

    @rx.event(background=True)
    async def test_again(self, integration_id: int):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._actor()
            self.busy_integration = integration_id
            self.notice = ""
        if actor is None:
            return
        try:
            result = await asyncio.to_thread(
                get_services().integrations.retest, actor, integration_id
            )
            message = ("Connection OK: " if result.ok else "Connection failed: ") + result.message
        except ServiceError as refused:
            message = str(refused)
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
            self.notice = str(refused)
        return IntegrationsState.load
