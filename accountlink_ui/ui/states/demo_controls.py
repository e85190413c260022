"""Settings → Demo controls (demo mode only): each handler is one call to the demo service,
which refuses outside demo mode and to anyone but an organization admin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import reflex as rx

from accountlink_ui.services.demo_controls import (
    FAULT_OFF,
    UNKNOWN_MODE,
    UNKNOWN_SYSTEM,
    DemoControls,
    DemoStatus,
)
from accountlink_ui.services.errors import InvalidConfig, ServiceError
from accountlink_ui.services.wiring import demo_controls, get_services
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.views import Actor

T = TypeVar("T")

SYSTEM_LABELS = {
    "xledger": "Xledger",
    "entra": "Entra ID (Dynamics 365 sign-in)",
    "business_central": "Business Central",
    "dataverse": "Dataverse",
    "rest": "Generic REST API",
}
MODE_LABELS = {
    FAULT_OFF: "Off: answers normally",
    "hang": "Hang: never answers",
    "slow": "Slow: answers after 2 s",
    "http_500": "500 Internal Server Error",
    "rate_limit": "Rate limit (429)",
    "malformed_json": "Broken JSON",
    "lost_answer": "Lost answer: stores, then no reply",
    "burst_limit": "Burst limit",
    "concurrency_limit": "Too many requests at once",
    "insufficient_credits": "Out of API credits",
    "query_timeout": "Query timeout",
    "expired_secret": "Expired client secret",
    "unknown_tenant": "Unknown tenant",
}
INPUT_MESSAGES = {
    UNKNOWN_SYSTEM: "Choose one of the systems listed.",
    UNKNOWN_MODE: "Choose one of the faults listed for that system.",
}


@dataclass
class SystemRow:
    system: str
    label: str
    armed: str
    """The mode switched on, or 'off'."""
    armed_label: str
    options: list[list[str]]
    """[mode, label] pairs for the select, 'off' first."""


def _rows(status: DemoStatus) -> list[SystemRow]:
    return [
        SystemRow(
            system=row.system,
            label=SYSTEM_LABELS.get(row.system, row.system),
            armed=row.armed or FAULT_OFF,
            armed_label=MODE_LABELS.get(row.armed or FAULT_OFF, row.armed or FAULT_OFF),
            options=[[mode, MODE_LABELS.get(mode, mode)] for mode in (FAULT_OFF, *row.modes)],
        )
        for row in status.systems
    ]


def _controls() -> DemoControls:
    return demo_controls(get_services())


class DemoControlsState(PageLoadState, SessionState):
    systems: list[SystemRow] = []
    waiting_claims: int = 0
    notice: str = ""

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.loading = True
        self.notice = ""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        status = self._read(
            lambda: _controls().status(actor, self.organization_id), "load.demo_controls"
        )
        if status is not None:
            self._show(status)
        self.loading = False
        return None

    @rx.event
    def switch_fault(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        system, mode = str(form.get("system", "")), str(form.get("mode", ""))
        return self._act(
            lambda actor: _controls().switch_fault(actor, self.organization_id, system, mode),
            lambda _: (
                f"{SYSTEM_LABELS.get(system, system)}: "
                f"{MODE_LABELS.get(mode, mode)}. The next call to it meets this."
            ),
        )

    @rx.event
    def add_claims(self):  # type: ignore[no-untyped-def]
        return self._act(
            lambda actor: _controls().add_claims(actor, self.organization_id),
            lambda added: f"Added {added} approved expense claims.",
        )

    @rx.event
    def reset_demo(self):  # type: ignore[no-untyped-def]
        return self._act(
            lambda actor: _controls().reset(actor, self.organization_id),
            lambda done: (
                f"Demo reset: {done.integrations_removed} integration(s) removed, "
                f"{done.claims_returned} claim(s) back to approved, sandbox faults off "
                "and ledgers emptied."
            ),
        )

    def _act(
        self, call: Callable[[Actor], T], describe: Callable[[T], str]
    ) -> rx.event.EventSpec | None:
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        try:
            outcome = call(actor)
        except InvalidConfig as refused:
            code = next(iter(refused.errors.values()), "")
            self.notice = INPUT_MESSAGES.get(code, str(refused))
            return None
        except ServiceError as refused:
            self.notice = str(refused)
            return None
        self.notice = describe(outcome)
        try:
            self._show(_controls().status(actor, self.organization_id))
        except ServiceError as refused:
            self.refused = str(refused)
        return None

    def _show(self, status: DemoStatus) -> None:
        self.systems = _rows(status)
        self.waiting_claims = status.waiting_claims
