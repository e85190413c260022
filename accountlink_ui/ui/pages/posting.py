"""Posting settings page: the Posting form, a preview of the next sync's vouchers, Sync now."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.page_states import error_callout, page_states
from accountlink_ui.ui.components.posting_form import posting_fields, save_posting_button
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.states.integrations import IntegrationsState
from accountlink_ui.ui.states.locale import t
from accountlink_ui.ui.states.posting import PostingState, PreviewLine


def _cell(value: rx.Var | str, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.table.cell(value, **props)


def _amount(value: rx.Var | str) -> rx.Component:
    return rx.table.cell(value, text_align="right", white_space="nowrap")


def _row(line: PreviewLine) -> rx.Component:
    return rx.table.row(
        _cell(line.voucher, white_space="nowrap"),
        _cell(line.account),
        rx.cond(PostingState.preview_balancing, _cell(line.balancing)),
        _amount(line.debit),
        _amount(line.credit),
        _cell(line.tax),
        _cell(line.dimensions),
        _cell(line.text),
        data_testid="preview-row",
    )


def _header(label_key: str, *, right: bool = False) -> rx.Component:
    return rx.table.column_header_cell(
        t(label_key), text_align="right" if right else "left", white_space="nowrap"
    )


def _preview_table() -> rx.Component:
    return rx.scroll_area(
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    _header("posting.column.voucher"),
                    _header("posting.column.account"),
                    rx.cond(PostingState.preview_balancing, _header("posting.column.balancing")),
                    _header("posting.column.debit", right=True),
                    _header("posting.column.credit", right=True),
                    _header("posting.column.vat_code"),
                    _header("posting.section.dimensions"),
                    _header("posting.column.text"),
                )
            ),
            rx.table.body(rx.foreach(PostingState.preview_lines, _row)),
            size="1",
            variant="surface",
            min_width="720px",
            data_testid="preview-table",
        ),
        type="auto",
        scrollbars="horizontal",
        width="100%",
        tab_index=0,
        aria_label=t("posting.preview.table_label"),
        role="region",
    )


def _preview() -> rx.Component:
    return rx.vstack(
        rx.heading(t("wizard.posting.preview"), size="4", as_="h2", id="preview"),
        rx.text(
            t("posting.preview.intro"),
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.button(
                rx.icon("eye", size=16, aria_hidden="true"),
                t("wizard.posting.preview"),
                type="button",
                variant="soft",
                loading=PostingState.previewing,
                on_click=PostingState.preview,
            ),
            rx.button(
                rx.icon("refresh-cw", size=16, aria_hidden="true"),
                t("dashboard.sync_now"),
                type="button",
                variant="soft",
                loading=IntegrationsState.syncing_integration == PostingState.posting_id,
                disabled=IntegrationsState.syncing_integration != 0,
                on_click=PostingState.sync_now,
            ),
            wrap="wrap",
            spacing="3",
        ),
        rx.cond(
            PostingState.preview_error != "",
            error_callout(PostingState.preview_error),
        ),
        rx.cond(
            PostingState.preview_done,
            rx.vstack(
                rx.text(
                    PostingState.preview_summary,
                    size="2",
                    weight="medium",
                    data_testid="preview-summary",
                ),
                rx.cond(
                    PostingState.preview_lines.length() > 0,  # type: ignore[attr-defined]
                    rx.vstack(
                        rx.text(
                            t("posting.preview.scroll"),
                            size="1",
                            color_scheme="gray",
                            display={"initial": "block", "md": "none"},
                        ),
                        _preview_table(),
                        spacing="1",
                        width="100%",
                    ),
                ),
                rx.cond(
                    PostingState.preview_problems.length() > 0,  # type: ignore[attr-defined]
                    rx.callout(
                        rx.vstack(
                            rx.text(t("posting.preview.refused"), weight="bold"),
                            rx.el.ul(
                                rx.foreach(
                                    PostingState.preview_problems,
                                    lambda problem: rx.el.li(problem),
                                ),
                                padding_left="1.2em",
                                margin="0",
                            ),
                            spacing="1",
                        ),
                        icon="triangle-alert",
                        color_scheme="amber",
                        width="100%",
                        data_testid="preview-problems",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
        ),
        rx.box(
            rx.cond(
                IntegrationsState.syncing_integration == PostingState.posting_id,
                rx.callout(
                    rx.hstack(
                        rx.spinner(size="2"),
                        rx.text(t("dashboard.syncing"), " ", IntegrationsState.sync_progress),
                    ),
                    color_scheme="blue",
                    data_testid="sync-progress",
                    width="100%",
                ),
                rx.cond(
                    PostingState.sync_pressed & (IntegrationsState.notice != ""),
                    rx.callout(
                        IntegrationsState.notice,
                        icon="info",
                        width="100%",
                        data_testid="sync-notice",
                    ),
                ),
            ),
            role="status",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.cond(
                PostingState.posting_version > 0,
                rx.text(t("posting.saved_version"), " ", PostingState.posting_version, as_="span"),
                rx.text(t("posting.not_saved"), as_="span"),
            ),
            size="2",
            color_scheme="gray",
            data_testid="posting-version",
        ),
        rx.link(t("posting.jump_to_preview"), href="#preview", size="2"),
        posting_fields(PostingState),
        rx.hstack(
            rx.link(
                rx.button(t("credential_form.back"), type="button", variant="ghost"),
                href="/settings/integrations",
            ),
            rx.spacer(),
            save_posting_button(PostingState),
            width="100%",
            wrap="wrap",
            spacing="3",
        ),
        spacing="4",
        width="100%",
    )


def posting_body() -> rx.Component:
    return rx.vstack(
        rx.heading(t("posting.heading"), " ", PostingState.posting_label, size="7", as_="h1"),
        page_states(
            rx.vstack(
                rx.card(_form(), size="3", width="100%"),
                rx.card(_preview(), size="3", width="100%"),
                spacing="4",
                width="100%",
            ),
            loading=PostingState.loading,
            refused=PostingState.refused,
            load_error=PostingState.load_error,
            retry=PostingState.open,
            placeholder=rx.skeleton(rx.card(rx.box(height="200px")), loading=True, width="100%"),
        ),
        spacing="4",
        width="100%",
    )


posting_page = signed_in_page(posting_body)
