"""Integration Setup Wizard: type → credentials → test → confirm → posting."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import reflex as rx

from accountlink_ui.integrations.registry import integration_types
from accountlink_ui.services.errors import RetestRequired, ServiceError
from accountlink_ui.services.posting_service import PostingForm
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import Reader
from accountlink_ui.ui.states.connection_form import ConnectionFormState
from accountlink_ui.ui.states.posting import LOAD_FAILED, PostingFormState
from accountlink_ui.ui.states.session import SessionState

log = logging.getLogger(__name__)

STEPS = (
    "wizard.step.type",
    "wizard.step.credentials",
    "wizard.step.test",
    "wizard.step.confirm",
    "wizard.step.posting",
)
"""Catalogue keys of the step names, in order."""
POSTING_STEP = 5


@dataclass
class TypeOption:
    key: str
    label: str
    summary: str
    configured: bool


class WizardState(ConnectionFormState, PostingFormState, SessionState):
    step: int = 1
    type_options: list[TypeOption] = []
    refused: str = ""
    opening: bool = True
    posting_loading: bool = False
    posting_load_error: str = ""

    @rx.event
    def open(self):  # type: ignore[no-untyped-def]
        """Reset the wizard; the service decides whether this person may use it at all."""
        self.opening = True
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.refused = ""
        self.step = 1
        self.type_key = ""
        self.form_error = ""
        self.posting_id = 0
        self.posting_load_error = ""
        self._sealed_secrets = ""
        self._invalidate_test()
        try:
            views = get_services().integrations.list_integrations(actor, self.organization_id)
        except ServiceError as refused:
            self.refused = self._speak(refused.said)
            self.type_options = []
            self.opening = False
            return None
        configured = {view.type_key for view in views if view.configured}
        reader = Reader(self.locale, self.time_zone)
        self.type_options = [
            TypeOption(t.key, t.label, reader.system(t.key).summary, t.key in configured)
            for t in integration_types()
        ]
        wanted = self.router.url.query_parameters.get("type", "")
        if (
            wanted
            and wanted not in configured
            and any(t.key == wanted for t in integration_types())
        ):
            self._reset_form(wanted)
        self.opening = False
        return None

    @rx.event
    def choose_type(self, type_key: str) -> None:
        available = any(o.key == type_key and not o.configured for o in self.type_options)
        if available and type_key != self.type_key:
            self._reset_form(type_key)

    @rx.event
    def continue_from_type(self) -> None:
        if not self.type_key:
            self.form_error = self._t("wizard.choose_system_first")
            return
        self.form_error = ""
        self.step = 2

    @rx.event
    def submit_credentials(self, form: dict[str, str]) -> None:
        if self._accept_form(form):
            self.step = 3

    @rx.event
    def back(self) -> None:
        if self.step >= POSTING_STEP:
            return  # the integration is saved: there is no going back to its unsaved form
        self.form_error = ""
        self.step = max(1, self.step - 1)

    @rx.event
    def continue_to_confirm(self) -> None:
        if self.test_ok and self.test_done:
            self.step = 4

    @rx.event
    def cancel(self):  # type: ignore[no-untyped-def]
        self._sealed_secrets = ""
        self._invalidate_test()
        self.step = 1
        return rx.redirect("/settings/integrations")

    @rx.event(background=True)
    async def save(self):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._actor()
            if actor is None or not self.can_save:
                return
            self.saving = True
            draft, proof, organization_id = self._draft(), self._proof, self.organization_id
        service = get_services().integrations
        try:
            view = await asyncio.to_thread(
                service.create_integration, actor, organization_id, draft, proof
            )
        except ServiceError as refused:
            async with self:
                if self._show_save_refusal(refused) == "fields":
                    self.step = 2
                elif isinstance(refused, RetestRequired):
                    self.step = 3
            return
        async with self:
            self.saving = False
            self._sealed_secrets = ""
            self._invalidate_test()
            self.step = POSTING_STEP
            self.posting_id = view.id or 0
            self.posting_loading = True
            self.posting_load_error = ""
        # The integration is saved; its Posting step follows (the chart is read from the
        # system just connected, so this can take a few seconds).
        form: PostingForm | None = None
        try:
            form = await asyncio.to_thread(get_services().postings.form, actor, view.id or 0)
        except Exception:
            log.exception("posting settings of new integration %s could not be loaded", view.id)
        async with self:
            self.posting_loading = False
            if form is None:
                self.posting_load_error = self._t(LOAD_FAILED)
            else:
                self._show_posting_form(form)

    @rx.event
    def finish(self):  # type: ignore[no-untyped-def]
        """Leave the wizard after the Posting step (saved or skipped) for the dashboard."""
        self.step = 1
        self.posting_id = 0
        return rx.redirect("/settings/integrations?saved=1")
