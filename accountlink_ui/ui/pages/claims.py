"""Expense claims: what has reached the accounting system and what is still waiting."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.states.claims import ClaimRow, ClaimsState
from accountlink_ui.ui.states.locale import t, tf


def _state_badge(row: ClaimRow) -> rx.Component:
    return rx.cond(
        row.exported,
        rx.badge(
            rx.icon("circle-check", size=12, aria_hidden="true"), row.state, color_scheme="green"
        ),
        rx.cond(
            row.refused,
            rx.badge(
                rx.icon("circle-alert", size=12, aria_hidden="true"), row.state, color_scheme="red"
            ),
            rx.badge(
                rx.icon("clock", size=12, aria_hidden="true"), row.state, color_scheme="amber"
            ),
        ),
    )


def _claim_row(row: ClaimRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.date),
        rx.table.cell(row.claimant),
        rx.table.cell(row.description),
        rx.table.cell(row.amount, text_align="right", white_space="nowrap"),
        rx.table.cell(rx.text(row.category, size="1")),
        rx.table.cell(_state_badge(row)),
        rx.table.cell(rx.text(row.detail, size="1", color_scheme="gray")),
    )


def claims_body() -> rx.Component:
    return rx.vstack(
        rx.heading(t("nav.claims"), size="7", as_="h1"),
        rx.text(t("claims.intro"), color_scheme="gray"),
        page_states(
            rx.vstack(
                rx.text(
                    tf(
                        "claims.summary",
                        exported=ClaimsState.exported.to_string(),  # type: ignore[attr-defined]
                        waiting=ClaimsState.waiting.to_string(),  # type: ignore[attr-defined]
                    ),
                    weight="medium",
                    data_testid="claims-summary",
                ),
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(t(label_key))
                                    for label_key in (
                                        "claims.column.date",
                                        "claims.column.claimant",
                                        "claims.column.description",
                                        "claims.column.amount",
                                        "claims.column.category",
                                        "claims.column.state",
                                        "audit.column.details",
                                    )
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(ClaimsState.rows, _claim_row)),
                        variant="surface",
                        size="1",
                    ),
                    overflow_x="auto",
                    width="100%",
                ),
                width="100%",
            ),
            loading=ClaimsState.loading,
            refused=ClaimsState.refused,
            load_error=ClaimsState.load_error,
            retry=ClaimsState.load,
            skeleton_height="200px",
        ),
        spacing="4",
        width="100%",
    )


claims_page = signed_in_page(claims_body)
