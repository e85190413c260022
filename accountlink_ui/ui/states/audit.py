"""Settings → Audit trail: who did what and when, filtered by integration, exported as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import reflex as rx

from accountlink_ui.services.audit_service import PAGE_LIMIT, AuditEventView, AuditService
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import Reader, when
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState

ALL = "all"


@dataclass
class AuditRow:
    """One event as the table shows it; built from secret-free details."""

    id: int
    at: str
    actor: str
    actor_email: str
    action: str
    integration: str
    summary: str


def _row(view: AuditEventView, reader: Reader) -> AuditRow:
    return AuditRow(
        id=view.id,
        at=when(view.at, reader),
        actor=view.actor,
        actor_email=view.actor_email,
        action=view.action_label,
        integration=view.integration or "—",
        summary=view.summary,
    )


def _audit() -> AuditService:
    return get_services().audit


class AuditState(PageLoadState, SessionState):
    events: list[AuditRow] = []
    integration_options: list[dict[str, str]] = []
    integration_filter: str = ALL
    notice: str = ""

    @rx.var
    def showing(self) -> str:
        count = len(self.events)
        reader = Reader(self.locale, self.time_zone)  # named here: the var follows the language
        if count >= PAGE_LIMIT:
            return reader.t("audit.showing_latest", limit=PAGE_LIMIT)
        return reader.t("audit.one_event" if count == 1 else "audit.events", count=count)

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.loading = True
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.notice = ""

        def read() -> list[AuditEventView]:
            choices = _audit().integration_choices(actor, self.organization_id)
            self.integration_options = [{"id": str(c.id), "label": c.label} for c in choices]
            if self.integration_filter not in {o["id"] for o in self.integration_options}:
                self.integration_filter = ALL
            return _audit().list_events(
                actor, self.organization_id, integration_id=self._integration_id()
            )

        reader = self._reader()
        self.events = [_row(view, reader) for view in self._read(read, "load.audit") or []]
        self.loading = False
        return None

    @rx.event
    def filter_by(self, value: str):  # type: ignore[no-untyped-def]
        self.integration_filter = value if value.isdigit() and len(value) <= 12 else ALL
        return AuditState.load

    @rx.event
    def export_csv(self):  # type: ignore[no-untyped-def]
        """The CSV is built on the server, from the same secret-free views as the table."""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        try:
            text = _audit().export_csv(
                actor, self.organization_id, integration_id=self._integration_id()
            )
        except ServiceError as refused:
            self.notice = str(refused)
            return None
        stamp = datetime.now(UTC).strftime("%Y-%m-%d")
        scope = f"-integration-{self.integration_filter}" if self._integration_id() else ""
        return rx.download(
            data=text, filename=f"accountlink-audit{scope}-{stamp}.csv", mime_type="text/csv"
        )

    def _integration_id(self) -> int | None:
        return int(self.integration_filter) if self.integration_filter.isdigit() else None


relocalize_on(r"/settings/audit/?", AuditState.load)
