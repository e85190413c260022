"""Settings → Webhooks: where AccountLink POSTs signed events, and what happened to each."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.services.outbox import EVENT_TYPES
from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.components.shown_once import shown_once
from accountlink_ui.ui.states.locale import t
from accountlink_ui.ui.states.webhooks import (
    EVENT_FIELD_PREFIX,
    NEW_SECRET_FIELD,
    DeliveryRow,
    EndpointRow,
    WebhooksState,
)

EVENT_HELP = {
    "claim.exported": "webhooks.event.claim_exported",
    "claim.refused": "webhooks.event.claim_refused",
    "integration.error": "webhooks.event.integration_error",
    "integration.recovered": "webhooks.event.integration_recovered",
    "credentials.rejected": "webhooks.event.credentials_rejected",
}
"""Catalogue keys explaining each event type a receiver can subscribe to."""


def _new_secret() -> rx.Component:
    """The signing secret, once."""
    return shown_once(
        rx.text(t("webhooks.copy_secret"), weight="medium"),
        icon="key-round",
        field_id=NEW_SECRET_FIELD,
        label=t("webhooks.new_secret"),
        test_id="new-webhook-secret",
        shown=WebhooksState.secret_shown,
        on_copy=WebhooksState.copy_secret,
        on_done=WebhooksState.dismiss_secret,
    )


def _event_choice(event: str) -> rx.Component:
    field_id = f"event-{event.replace('.', '-')}"
    return rx.el.label(
        rx.hstack(
            rx.el.input(
                type="checkbox",
                id=field_id,
                name=f"{EVENT_FIELD_PREFIX}{event}",
                default_checked=event in ("claim.exported", "claim.refused"),
                style={"width": "18px", "height": "18px", "margin": "2px 0 0 0"},
            ),
            rx.vstack(
                rx.code(event, size="2"),
                rx.text(t(EVENT_HELP[event]), size="1", color_scheme="gray"),
                spacing="0",
            ),
            align="start",
            spacing="2",
        ),
        html_for=field_id,
        style={"cursor": "pointer"},
    )


def _add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(t("webhooks.url"), html_for="webhook-url", font_weight="500"),
            rx.input(
                id="webhook-url",
                name="url",
                placeholder=t("webhooks.url_placeholder"),
                max_length=2000,
                aria_invalid=rx.cond(WebhooksState.url_error != "", "true", "false"),
                aria_describedby="webhook-url-help",
                width="100%",
                size="3",
            ),
            rx.cond(
                WebhooksState.url_error != "",
                rx.text(WebhooksState.url_error, color_scheme="red", size="2", role="alert"),
                rx.text(
                    t("webhooks.url_help"),
                    id="webhook-url-help",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.el.fieldset(
                rx.el.legend(
                    t("webhooks.events"), style={"fontWeight": "500", "marginBottom": "6px"}
                ),
                rx.grid(
                    *[_event_choice(event) for event in EVENT_TYPES],
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                style={"border": "none", "padding": "0", "margin": "0", "width": "100%"},
            ),
            rx.cond(
                WebhooksState.events_error != "",
                rx.text(WebhooksState.events_error, color_scheme="red", size="2", role="alert"),
            ),
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"),
                t("webhooks.add"),
                type="submit",
                size="3",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=WebhooksState.add,
        reset_on_submit=False,
        width="100%",
    )


def _endpoint_row(row: EndpointRow) -> rx.Component:
    """A card rather than a table row: a URL needs the width, on a phone too."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(row.url, weight="medium", style={"wordBreak": "break-all"}),
                rx.cond(
                    row.enabled,
                    rx.badge(t("status.active"), color_scheme="green", high_contrast=True),
                    rx.badge(row.state, color_scheme="red", high_contrast=True),
                ),
                justify="between",
                align="start",
                width="100%",
                spacing="3",
            ),
            rx.text(row.events, size="1", color_scheme="gray"),
            rx.hstack(
                rx.button(
                    t("webhooks.send_test"),
                    size="2",
                    variant="soft",
                    disabled=~row.enabled,
                    on_click=WebhooksState.send_test(row.id),
                ),
                rx.button(
                    t("webhooks.delivery_log"),
                    size="2",
                    variant="soft",
                    on_click=WebhooksState.show_log(row.id),
                ),
                rx.button(
                    t("members.remove"),
                    size="2",
                    variant="soft",
                    color_scheme="red",
                    on_click=WebhooksState.remove(row.id),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="webhook-row",
    )


def _endpoints() -> rx.Component:
    return rx.cond(
        WebhooksState.endpoints.length() > 0,  # type: ignore[attr-defined]
        rx.vstack(
            rx.heading(t("webhooks.endpoints"), size="4", as_="h2"),
            rx.foreach(WebhooksState.endpoints, _endpoint_row),
            spacing="2",
            width="100%",
        ),
        rx.text(t("webhooks.none"), color_scheme="gray"),
    )


def _status_badge(row: DeliveryRow) -> rx.Component:
    return rx.match(
        row.status,
        ("delivered", rx.badge(row.status_label, color_scheme="green", high_contrast=True)),
        ("failed", rx.badge(row.status_label, color_scheme="red", high_contrast=True)),
        rx.badge(row.status_label, color_scheme="amber", high_contrast=True),
    )


def _delivery_row(row: DeliveryRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.code(row.event_type, size="1")),
        rx.table.cell(_status_badge(row)),
        rx.table.cell(rx.text(row.code, data_testid="delivery-status-code")),
        rx.table.cell(row.attempts),
        rx.table.cell(rx.text(row.last_try, size="1")),
        rx.table.cell(rx.text(row.error, size="1", style={"wordBreak": "break-word"})),
        rx.table.cell(
            rx.button(
                t("webhooks.redeliver"),
                size="1",
                variant="soft",
                on_click=WebhooksState.redeliver(row.id),
            )
        ),
        data_testid="delivery-row",
    )


def _log() -> rx.Component:
    return rx.cond(
        WebhooksState.log_endpoint_id != 0,
        rx.vstack(
            rx.heading(t("webhooks.delivery_log"), size="4", as_="h2"),
            rx.text(
                WebhooksState.log_endpoint_url,
                size="2",
                color_scheme="gray",
                style={"wordBreak": "break-all"},
            ),
            rx.cond(
                WebhooksState.deliveries.length() > 0,  # type: ignore[attr-defined]
                rx.box(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                *[
                                    rx.table.column_header_cell(label)
                                    for label in (
                                        t("webhooks.column.event"),
                                        t("webhooks.column.status"),
                                        t("webhooks.column.http"),
                                        t("webhooks.column.tries"),
                                        t("webhooks.column.last_try"),
                                        t("webhooks.column.error"),
                                        rx.el.span(t("table.actions"), class_name="sr-only"),
                                    )
                                ]
                            )
                        ),
                        rx.table.body(rx.foreach(WebhooksState.deliveries, _delivery_row)),
                        variant="surface",
                        width="100%",
                        min_width="640px",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
                rx.text(t("webhooks.nothing_sent"), color_scheme="gray"),
            ),
            spacing="2",
            width="100%",
        ),
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.cond(
            WebhooksState.notice != "",
            rx.callout(
                WebhooksState.notice,
                icon="info",
                role="status",
                width="100%",
                style={"overflowWrap": "anywhere"},
            ),
        ),
        _new_secret(),
        rx.card(_add_form(), width="100%", size="3"),
        _endpoints(),
        _log(),
        spacing="4",
        width="100%",
    )


def webhooks_body() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(t("nav.webhooks"), size="7", as_="h1"),
            rx.text(t("webhooks.intro"), color_scheme="gray"),
            spacing="1",
        ),
        page_states(
            _content(),
            loading=WebhooksState.loading,
            refused=WebhooksState.refused,
            load_error=WebhooksState.load_error,
        ),
        spacing="5",
        width="100%",
    )


webhooks_page = signed_in_page(webhooks_body)
