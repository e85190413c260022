"""Settings → Audit trail: every change to the organization's integrations, for auditors."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.states.audit import ALL, AuditRow, AuditState
from accountlink_ui.ui.states.locale import t


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.el.label(t("audit.integration"), html_for="audit-integration", font_weight="500"),
            rx.el.select(
                rx.el.option(t("audit.all"), value=ALL),
                rx.foreach(
                    AuditState.integration_options,
                    lambda option: rx.el.option(option["label"], value=option["id"]),
                ),
                id="audit-integration",
                value=AuditState.integration_filter,
                on_change=AuditState.filter_by,
                style={"min_height": "36px", "padding": "0 8px", "min_width": "240px"},
            ),
            spacing="1",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("download", size=16, aria_hidden="true"),
            t("audit.export_csv"),
            variant="soft",
            on_click=AuditState.export_csv,
        ),
        align="end",
        width="100%",
        wrap="wrap",
        spacing="3",
    )


def _event_row(row: AuditRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row.at, size="2"), min_width="150px"),
        rx.table.cell(
            rx.text(row.actor, size="2", weight="medium"),
            rx.cond(row.actor_email != "", rx.text(row.actor_email, size="1", color_scheme="gray")),
        ),
        rx.table.row_header_cell(rx.text(row.action, size="2")),
        rx.table.cell(rx.text(row.integration, size="2")),
        rx.table.cell(rx.text(row.summary, size="2"), max_width="420px"),
        data_testid="audit-row",
    )


def _table() -> rx.Component:
    return rx.cond(
        AuditState.events.length() > 0,  # type: ignore[attr-defined]
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(t(label_key))
                        for label_key in (
                            "audit.column.when",
                            "audit.column.who",
                            "audit.column.what",
                            "audit.integration",
                            "audit.column.details",
                        )
                    ]
                )
            ),
            rx.table.body(rx.foreach(AuditState.events, _event_row)),
            variant="surface",
            width="100%",
        ),
        rx.text(t("audit.none"), color_scheme="gray"),
    )


def _trail() -> rx.Component:
    return rx.vstack(
        rx.cond(
            AuditState.notice != "",
            rx.callout(AuditState.notice, icon="info", role="status", width="100%"),
        ),
        _toolbar(),
        rx.text(AuditState.showing, size="2", color_scheme="gray", role="status"),
        rx.box(_table(), width="100%", overflow_x="auto"),
        spacing="4",
        width="100%",
    )


def audit_body() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(t("nav.audit"), size="7", as_="h1"),
            rx.text(t("audit.intro"), color_scheme="gray"),
            spacing="1",
        ),
        page_states(
            _trail(),
            loading=AuditState.loading & (AuditState.events.length() == 0),  # type: ignore[attr-defined]
            refused=AuditState.refused,
            load_error=AuditState.load_error,
            skeleton_height="200px",
        ),
        spacing="5",
        width="100%",
    )


audit_page = signed_in_page(audit_body)
