"""Settings → Webhooks: add endpoints (secret shown once), send a test event, read the
delivery log and redeliver. Each handler is one ``WebhookService`` call.

Like a new API token, the signing secret never enters the state: it goes straight into
the page's read-only field as a one-off client action, and Done clears it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import reflex as rx

from accountlink_ui.services.errors import InvalidConfig, ServiceError
from accountlink_ui.services.webhook_service import (
    DeliveryView,
    WebhookEndpointView,
    WebhookService,
)
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import Reader, when
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState

NEW_SECRET_FIELD = "new-webhook-secret"
EVENT_FIELD_PREFIX = "event:"
TEST_WAIT_SECONDS = 5.0
"""How long Send test event watches for the delivery's answer before showing the log."""

STATUS_LABELS = {
    "pending": "webhooks.status.pending",
    "delivered": "webhooks.status.delivered",
    "failed": "webhooks.status.failed",
}
ERROR_LABELS = {
    "smtp_not_configured": "webhooks.error.smtp_not_configured",
    "endpoint_removed_or_disabled": "webhooks.error.endpoint_removed",
}
"""Catalogue keys of the outbox's delivery states and its own error codes."""


@dataclass
class EndpointRow:
    id: int
    url: str
    events: str
    state: str
    enabled: bool
    created: str


@dataclass
class DeliveryRow:
    id: int
    event_id: str
    event_type: str
    status: str
    status_label: str
    code: str
    attempts: int
    last_try: str
    error: str
    created: str


def _endpoint_row(view: WebhookEndpointView, reader: Reader) -> EndpointRow:
    state = reader.t("status.active" if view.enabled else "webhooks.disabled_failing")
    return EndpointRow(
        id=view.id,
        url=view.url,
        events=", ".join(view.events),
        state=state,
        enabled=view.enabled,
        created=when(view.created_at, reader),
    )


def _delivery_row(view: DeliveryView, reader: Reader) -> DeliveryRow:
    last = view.history[-1] if view.history else None
    code = str(view.last_status_code) if view.last_status_code else ("—" if last else "")
    return DeliveryRow(
        id=view.id,
        event_id=view.event_id,
        event_type=view.event_type,
        status=view.status,
        status_label=reader.t(STATUS_LABELS[view.status])
        if view.status in STATUS_LABELS
        else view.status,
        code=code,
        attempts=view.attempts,
        last_try=when(last.at, reader) if last else reader.t("webhooks.not_tried"),
        error=reader.t(ERROR_LABELS[view.last_error])
        if view.last_error in ERROR_LABELS
        else view.last_error or "",
        created=when(view.created_at, reader),
    )


def _service() -> WebhookService:
    return get_services().webhooks


class WebhooksState(PageLoadState, SessionState):
    endpoints: list[EndpointRow] = []
    deliveries: list[DeliveryRow] = []
    log_endpoint_id: int = 0
    log_endpoint_url: str = ""
    url_error: str = ""
    events_error: str = ""
    notice: str = ""
    secret_shown: bool = False

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.loading = True
        self.secret_shown = False
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        views = self._read(lambda: _service().list(actor, self.organization_id), "load.webhooks")
        self.endpoints = [_endpoint_row(view, self._reader()) for view in views or []]
        if self.log_endpoint_id not in {row.id for row in self.endpoints}:
            self.log_endpoint_id, self.log_endpoint_url, self.deliveries = 0, "", []
        self.loading = False
        return None

    @rx.event
    def add(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.url_error = self.events_error = self.notice = ""
        # The browser reports each field by name and by element id; only the names count
        # (the event guard already bounds the form's size).
        events = [
            key.removeprefix(EVENT_FIELD_PREFIX)
            for key, value in form.items()
            if key.startswith(EVENT_FIELD_PREFIX) and value in ("on", "true")
        ]
        try:
            added = _service().add(
                actor,
                self.organization_id,
                str(form.get("url", ""))[:2100],
                events,
                str(form.get("description", ""))[:300],
            )
        except InvalidConfig as refused:
            self.url_error = refused.errors.get("url", "")
            self.events_error = refused.errors.get("events", "")
            self.notice = refused.errors.get("description", "")
            return None
        except ServiceError as refused:
            self.notice = str(refused)
            return None
        self.secret_shown = True
        self._refresh(actor)
        return [rx.set_value(NEW_SECRET_FIELD, added.secret), rx.set_value("webhook-url", "")]

    @rx.event
    def dismiss_secret(self):  # type: ignore[no-untyped-def]
        self.secret_shown = False
        return rx.set_value(NEW_SECRET_FIELD, "")

    @rx.event
    def copy_secret(self):  # type: ignore[no-untyped-def]
        return [
            rx.call_script(
                f"navigator.clipboard.writeText(document.getElementById('{NEW_SECRET_FIELD}').value)"
            ),
            rx.toast.success(self._t("webhooks.secret_copied")),
        ]

    @rx.event
    def show_log(self, endpoint_id: int):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self._show(actor, endpoint_id)
        return None

    @rx.event(background=True)
    async def send_test(self, endpoint_id: int):  # type: ignore[no-untyped-def]
        async with self:
            actor = self._actor()
            organization_id = self.organization_id
            self.notice = ""
        if actor is None:
            return
        try:
            event_id = _service().send_test(actor, organization_id, endpoint_id)
        except ServiceError as refused:
            async with self:
                self.notice = str(refused)
            return
        # Watch the delivery for a few seconds, so the admin sees its answer arrive.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TEST_WAIT_SECONDS
        while True:
            views = _service().deliveries(actor, organization_id, endpoint_id, limit=20)
            mine = next((v for v in views if v.event_id == event_id), None)
            if mine is None or mine.history or loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
        async with self:
            self.log_endpoint_id = endpoint_id
            self.deliveries = [_delivery_row(view, self._reader()) for view in views]
            self.log_endpoint_url = next(
                (row.url for row in self.endpoints if row.id == endpoint_id), ""
            )
            self.notice = self._t("webhooks.test_sent", event=event_id)

    @rx.event
    def redeliver(self, delivery_id: int):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        try:
            view = _service().redeliver(
                actor, self.organization_id, self.log_endpoint_id, delivery_id
            )
            self.notice = self._t("webhooks.redelivered", event=view.event_id)
        except ServiceError as refused:
            self.notice = str(refused)
        self._show(actor, self.log_endpoint_id)
        return None

    @rx.event
    def remove(self, endpoint_id: int):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        try:
            _service().remove(actor, self.organization_id, endpoint_id)
            self.notice = self._t("webhooks.removed")
        except ServiceError as refused:
            self.notice = str(refused)
        if endpoint_id == self.log_endpoint_id:
            self.log_endpoint_id, self.log_endpoint_url, self.deliveries = 0, "", []
        self._refresh(actor)
        return None

    def _show(self, actor, endpoint_id: int) -> None:  # type: ignore[no-untyped-def]
        try:
            views = _service().deliveries(actor, self.organization_id, endpoint_id)
        except ServiceError as refused:
            self.notice = str(refused)
            return
        self.log_endpoint_id = endpoint_id
        self.log_endpoint_url = next(
            (row.url for row in self.endpoints if row.id == endpoint_id), ""
        )
        self.deliveries = [_delivery_row(view, self._reader()) for view in views]

    @rx.event
    def relocalize(self):  # type: ignore[no-untyped-def]
        """After a language switch: endpoints and the open log again; a shown secret stays."""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self._refresh(actor)
        if self.log_endpoint_id:
            self._show(actor, self.log_endpoint_id)
        return None

    def _refresh(self, actor) -> None:  # type: ignore[no-untyped-def]
        try:
            views = _service().list(actor, self.organization_id)
            self.endpoints = [_endpoint_row(view, self._reader()) for view in views]
        except ServiceError as refused:
            self.refused = str(refused)


relocalize_on(r"/settings/webhooks/?", WebhooksState.relocalize)
