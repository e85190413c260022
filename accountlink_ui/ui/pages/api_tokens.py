"""Settings → API tokens: what scripts and monitors use to call the AccountLink API."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.components.shown_once import shown_once
from accountlink_ui.ui.states.api_tokens import NEW_TOKEN_FIELD, ApiTokensState, TokenRow
from accountlink_ui.ui.states.locale import t, tf


def _new_token() -> rx.Component:
    """The token, once: after Done (or leaving the page) only its prefix is ever shown."""
    return shown_once(
        rx.text(tf("tokens.copy_now", name=ApiTokensState.new_token_name), weight="medium"),
        icon="key-round",
        field_id=NEW_TOKEN_FIELD,
        label=t("tokens.new_token"),
        test_id="new-token",
        shown=ApiTokensState.token_shown,
        on_copy=ApiTokensState.copy_token,
        on_done=ApiTokensState.dismiss_token,
        after=(rx.code(t("tokens.curl_example"), size="1"),),
    )


def _create_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(t("tokens.name"), html_for="token-name", font_weight="500"),
            rx.hstack(
                rx.input(
                    id="token-name",
                    name="name",
                    placeholder=t("tokens.name_placeholder"),
                    max_length=120,
                    aria_describedby="token-name-help",
                    aria_invalid=rx.cond(ApiTokensState.name_error != "", "true", "false"),
                    width="100%",
                    size="3",
                ),
                rx.button(
                    rx.icon("plus", size=16, aria_hidden="true"),
                    t("tokens.create"),
                    type="submit",
                    size="3",
                ),
                width="100%",
                spacing="2",
            ),
            rx.cond(
                ApiTokensState.name_error != "",
                rx.text(ApiTokensState.name_error, color_scheme="red", size="2", role="alert"),
                rx.text(
                    t("tokens.name_help"),
                    id="token-name-help",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=ApiTokensState.create,
        reset_on_submit=False,
        width="100%",
    )


def _revoke_button(row: TokenRow) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(t("tokens.revoke"), variant="soft", color_scheme="red", size="1"),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tf("tokens.revoke_title", name=row.name)),
            rx.alert_dialog.description(t("tokens.revoke_explain")),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(t("wizard.cancel"), variant="soft", color_scheme="gray")
                ),
                rx.alert_dialog.action(
                    rx.button(
                        t("tokens.revoke_token"),
                        color_scheme="red",
                        on_click=ApiTokensState.revoke(row.id),
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
    )


def _token_row(row: TokenRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(rx.code(row.prefix)),
        rx.table.cell(row.created_by),
        rx.table.cell(row.created),
        rx.table.cell(row.last_used),
        rx.table.cell(
            rx.cond(
                row.active,
                rx.badge(t("status.active"), color_scheme="green", high_contrast=True),
                rx.badge(row.state, color_scheme="gray", high_contrast=True),
            )
        ),
        rx.table.cell(rx.cond(row.active, _revoke_button(row))),
        data_testid="token-row",
    )


def _table() -> rx.Component:
    return rx.cond(
        ApiTokensState.tokens.length() > 0,  # type: ignore[attr-defined]
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[
                        rx.table.column_header_cell(label)
                        for label in (
                            t("tokens.column.name"),
                            t("tokens.column.prefix"),
                            t("tokens.column.created_by"),
                            t("tokens.column.created"),
                            t("tokens.column.last_used"),
                            t("tokens.column.state"),
                            rx.el.span(t("table.actions"), class_name="sr-only"),
                        )
                    ]
                )
            ),
            rx.table.body(rx.foreach(ApiTokensState.tokens, _token_row)),
            variant="surface",
            width="100%",
        ),
        rx.text(t("tokens.none"), color_scheme="gray"),
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ApiTokensState.notice != "",
            rx.callout(ApiTokensState.notice, icon="info", role="status", width="100%"),
        ),
        _new_token(),
        rx.card(_create_form(), width="100%", size="3"),
        rx.box(_table(), width="100%", overflow_x="auto"),
        spacing="4",
        width="100%",
    )


def api_tokens_body() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(t("nav.api_tokens"), size="7", as_="h1"),
            rx.text(t("tokens.intro"), color_scheme="gray"),
            spacing="1",
        ),
        page_states(
            _content(),
            loading=ApiTokensState.loading,
            refused=ApiTokensState.refused,
            load_error=ApiTokensState.load_error,
        ),
        spacing="5",
        width="100%",
    )


api_tokens_page = signed_in_page(api_tokens_body)
