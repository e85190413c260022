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
from accountlink_ui.ui.format import Reader
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.views import Actor

T = TypeVar("T")

SYSTEM_LABELS = {
    "xledger": "demo.system.xledger",
    "entra": "demo.system.entra",
    "business_central": "demo.system.business_central",
    "dataverse": "demo.system.dataverse",
    "rest": "demo.system.rest",
}
MODE_LABELS = {
    FAULT_OFF: "demo.mode.off",
    "hang": "demo.mode.hang",
    "slow": "demo.mode.slow",
    "http_500": "demo.mode.http_500",
    "rate_limit": "demo.mode.rate_limit",
    "malformed_json": "demo.mode.malformed_json",
    "lost_answer": "demo.mode.lost_answer",
    "burst_limit": "demo.mode.burst_limit",
    "concurrency_limit": "demo.mode.concurrency_limit",
    "insufficient_credits": "demo.mode.insufficient_credits",
    "query_timeout": "demo.mode.query_timeout",
    "expired_secret": "demo.mode.expired_secret",
    "unknown_tenant": "demo.mode.unknown_tenant",
}
INPUT_MESSAGES = {
    UNKNOWN_SYSTEM: "demo.unknown_system",
    UNKNOWN_MODE: "demo.unknown_mode",
}
"""Catalogue keys: the sandbox systems, their fault modes, and the form's refusals."""


def _label(labels: dict[str, str], key: str, reader: Reader) -> str:
    return reader.t(labels[key]) if key in labels else key


@dataclass
class SystemRow:
    system: str
    label: str
    armed: str
    """The mode switched on, or 'off'."""
    armed_label: str
    options: list[list[str]]
    """[mode, label] pairs for the select, 'off' first."""


def _rows(status: DemoStatus, reader: Reader) -> list[SystemRow]:
    return [
        SystemRow(
            system=row.system,
            label=_label(SYSTEM_LABELS, row.system, reader),
            armed=row.armed or FAULT_OFF,
            armed_label=_label(MODE_LABELS, row.armed or FAULT_OFF, reader),
            options=[[mode, _label(MODE_LABELS, mode, reader)] for mode in (FAULT_OFF, *row.modes)],
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
            lambda _: self._t(
                "demo.fault_switched",
                system=_label(SYSTEM_LABELS, system, self._reader()),
                mode=_label(MODE_LABELS, mode, self._reader()),
            ),
        )

    @rx.event
    def add_claims(self):  # type: ignore[no-untyped-def]
        return self._act(
            lambda actor: _controls().add_claims(actor, self.organization_id),
            lambda added: self._t("demo.claims_added", count=added),
        )

    @rx.event
    def reset_demo(self):  # type: ignore[no-untyped-def]
        return self._act(
            lambda actor: _controls().reset(actor, self.organization_id),
            lambda done: self._t(
                "demo.reset_done",
                integrations=done.integrations_removed,
                claims=done.claims_returned,
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
            self.notice = self._t(INPUT_MESSAGES[code]) if code in INPUT_MESSAGES else str(refused)
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
        self.systems = _rows(status, self._reader())
        self.waiting_claims = status.waiting_claims


relocalize_on(r"/settings/demo/?", DemoControlsState.load)
