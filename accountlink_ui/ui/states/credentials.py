"""Credential Management Form: edit an integration's secrets or endpoint, re-test, save."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import credentials_text, next_sync_text
from accountlink_ui.ui.states.connection_form import ConnectionFormState, clear_secret_inputs
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.views import IntegrationView


class CredentialsState(ConnectionFormState, SessionState):
    editing_id: int = 0
    refused: str = ""
    opening: bool = True
    credentials_summary: str = ""
    saved_message: str = ""
    next_sync: str = ""
    _shown_view: IntegrationView | None = None
    """The integration as last read: a language switch re-renders it without a new read."""

    def _integration_id(self) -> int | None:
        return self.editing_id or None

    @rx.event
    def open(self):  # type: ignore[no-untyped-def]
        self.opening = True
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.refused = self.saved_message = self.form_error = ""
        parts = [p for p in self.router.url.path.split("/") if p]
        raw_id = parts[2] if len(parts) >= 4 else ""
        if not raw_id.isdigit():
            self.refused = self._t("credential_form.no_such_integration")
            self.opening = False
            return None
        try:
            view = get_services().integrations.get_integration(actor, int(raw_id))
        except ServiceError as refused:
            self.refused = str(refused)
            self.opening = False
            return None
        self._reset_form(view.type_key)
        self.editing_id = view.id or 0
        self.environment = view.environment
        self.auth_flow = view.auth_flow
        self.display_name = view.display_name
        self.values = {**self.values, **view.settings}
        self.stored_masks = dict(view.secret_masks)
        self.stored_environment, self.stored_auth_flow = view.environment, view.auth_flow
        self.stored_settings = dict(view.settings)
        self.organization_id = view.organization_id
        self._show_view(view)
        self.opening = False
        return None

    def _show_view(self, view: IntegrationView) -> None:
        """The stored version and the next sync, in the page's language and the org's zone."""
        self._shown_view = view
        reader = self._reader()
        self.credentials_summary = credentials_text(view, reader)
        schedule = get_services().schedule_of([view.id or 0])
        self.next_sync = next_sync_text(view, schedule.get(view.id or 0), reader)

    @rx.event
    def relocalize(self) -> None:
        """After a language switch: the same facts in the new language; the form as typed."""
        if self._shown_view is not None:
            self._show_view(self._shown_view)

    @rx.event(background=True)
    async def test_form(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """Submit = accept the typed values (secrets sealed at once), then test them."""
        arrived = time.time()
        async with self:
            valid = self._accept_form(form)
            self.saved_message = ""
            self._pressed_at = arrived  # the test's 10 s count from this click
        if valid:
            yield CredentialsState.run_test

    @rx.event(background=True)
    async def save(self):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._actor()
            if actor is None or not self.can_save:
                return
            self.saving = True
            draft, proof, integration_id = self._draft(), self._proof, self.editing_id
        service = get_services().integrations
        try:
            view = await asyncio.to_thread(
                service.update_integration, actor, integration_id, draft, proof
            )
        except ServiceError as refused:
            async with self:
                self._show_save_refusal(refused)
            return
        async with self:
            self.saving = False
            self._sealed_secrets = ""
            self.entered_secrets = []
            self._invalidate_test()
            self.stored_masks = dict(view.secret_masks)
            self.stored_environment, self.stored_auth_flow = view.environment, view.auth_flow
            self.stored_settings = dict(view.settings)
            self._show_view(view)
            self.saved_message = self._t("credential_form.saved", version=view.credential_version)
        yield clear_secret_inputs()


relocalize_on(r"/settings/integrations/\d+/credentials/?", CredentialsState.relocalize)
