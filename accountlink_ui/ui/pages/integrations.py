"""Integration Configuration Dashboard: Settings → External Integrations."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.components.status import status_badge
from accountlink_ui.ui.format import IntegrationCard
from accountlink_ui.ui.states.integrations import IntegrationsState
from accountlink_ui.ui.states.locale import t, tf

INTERVALS = (
    (5, "dashboard.interval.5"),
    (15, "dashboard.interval.15"),
    (30, "dashboard.interval.30"),
    (60, "dashboard.interval.60"),
    (240, "dashboard.interval.240"),
    (1440, "dashboard.interval.1440"),
)
"""Sync intervals offered (minutes, catalogue key of the words after "Sync every")."""


def _fact(label_key: str, value: rx.Var[str]) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(t(label_key), min_width="130px"),
        rx.data_list.value(value),
    )


def _recent_errors(item: IntegrationCard) -> rx.Component:
    return rx.cond(
        item.recent_errors.length() > 0,  # type: ignore[attr-defined]
        rx.box(
            rx.text(t("dashboard.recent_errors"), weight="medium", size="2"),
            rx.el.ul(
                rx.foreach(
                    item.recent_errors,
                    lambda error: rx.el.li(
                        rx.text(error["at"], size="1", color_scheme="gray"),
                        rx.text(error["message"], size="2", color_scheme="red"),
                    ),
                ),
                padding_left="1em",
            ),
            width="100%",
        ),
        rx.text(t("dashboard.no_recent_errors"), size="2", color_scheme="gray"),
    )


def _interval_picker(item: IntegrationCard) -> rx.Component:
    select_id = f"interval-{item.type_key}"
    return rx.hstack(
        rx.el.label(t("dashboard.sync_every"), html_for=select_id, font_size="14px"),
        rx.el.select(
            *[rx.el.option(t(label_key), value=str(minutes)) for minutes, label_key in INTERVALS],
            id=select_id,
            value=item.sync_interval,
            on_change=lambda minutes: IntegrationsState.set_interval(item.integration_id, minutes),
            class_name="native-select",
            width="auto",
        ),
        align="center",
        spacing="2",
    )


def _configured_details(item: IntegrationCard) -> rx.Component:
    return rx.vstack(
        rx.data_list.root(
            _fact("dashboard.environment", item.environment),
            _fact("dashboard.sign_in_method", item.auth_flow),
            _fact("dashboard.credentials", item.credentials),
            _fact(
                "dashboard.last_test",
                rx.cond(item.has_test, item.last_test, t("dashboard.not_tested")),
            ),
            _fact("dashboard.last_sync", item.last_sync),
            _fact("dashboard.records_synced", item.records_synced),
            _fact("dashboard.next_sync", item.next_sync),
            orientation={"initial": "vertical", "sm": "horizontal"},
            size="2",
        ),
        rx.cond(
            IntegrationsState.syncing_integration == item.integration_id,
            rx.callout(
                rx.hstack(
                    rx.spinner(size="2"),
                    rx.text(t("dashboard.syncing"), " ", IntegrationsState.sync_progress),
                ),
                color_scheme="blue",
                role="status",
                data_testid="sync-progress",
                width="100%",
            ),
        ),
        _recent_errors(item),
        _interval_picker(item),
        rx.hstack(
            rx.link(
                rx.button(
                    rx.icon("key-round", size=16, aria_hidden="true"),
                    t("dashboard.edit_credentials"),
                    variant="soft",
                ),
                href=f"/settings/integrations/{item.integration_id}/credentials",
            ),
            rx.link(
                rx.button(
                    rx.icon("book-open-check", size=16, aria_hidden="true"),
                    t("dashboard.posting_and_preview"),
                    variant="soft",
                ),
                href=f"/settings/integrations/{item.integration_id}/posting",
            ),
            rx.button(
                rx.icon("plug-zap", size=16, aria_hidden="true"),
                t("dashboard.test_again"),
                variant="soft",
                loading=IntegrationsState.busy_integration == item.integration_id,
                on_click=IntegrationsState.test_again(item.integration_id),
            ),
            rx.button(
                rx.icon("refresh-cw", size=16, aria_hidden="true"),
                t("dashboard.sync_now"),
                variant="soft",
                loading=IntegrationsState.syncing_integration == item.integration_id,
                disabled=(~item.enabled) | (IntegrationsState.syncing_integration != 0),
                on_click=IntegrationsState.sync_now(item.integration_id),
            ),
            rx.cond(
                item.enabled,
                rx.button(
                    rx.icon("pause", size=16, aria_hidden="true"),
                    t("dashboard.disable"),
                    variant="outline",
                    color_scheme="gray",
                    on_click=IntegrationsState.set_enabled(item.integration_id, False),
                ),
                rx.button(
                    rx.icon("play", size=16, aria_hidden="true"),
                    t("dashboard.enable"),
                    variant="outline",
                    on_click=IntegrationsState.set_enabled(item.integration_id, True),
                ),
            ),
            wrap="wrap",
            spacing="2",
        ),
        spacing="3",
        align="start",
        width="100%",
    )


def _unconfigured_details(item: IntegrationCard) -> rx.Component:
    return rx.vstack(
        rx.text(item.type_summary, size="2", color_scheme="gray"),
        rx.link(
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"), t("dashboard.set_up"), variant="soft"
            ),
            href=f"/settings/integrations/new?type={item.type_key}",
            aria_label=tf("dashboard.set_up_system", system=item.type_label),
        ),
        spacing="3",
        align="start",
    )


def _integration_card(item: IntegrationCard) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading(item.type_label, size="4", as_="h2"),
                    rx.cond(
                        item.configured & (item.display_name != item.type_label),
                        rx.text(item.display_name, size="2", color_scheme="gray"),
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                status_badge(item.status, item.status_label),
                align="start",
                width="100%",
            ),
            rx.cond(item.configured, _configured_details(item), _unconfigured_details(item)),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid=f"integration-{item.type_key}",
        size="3",
    )


def _loading() -> rx.Component:
    return rx.vstack(
        *[
            rx.skeleton(rx.card(rx.box(height="110px")), loading=True, width="100%")
            for _ in range(3)
        ],
        width="100%",
        aria_busy="true",
        aria_label=t("dashboard.loading"),
        role="status",
    )


def _dashboard() -> rx.Component:
    return rx.vstack(
        rx.cond(
            IntegrationsState.notice != "",
            rx.callout(IntegrationsState.notice, icon="info", role="status", width="100%"),
        ),
        rx.foreach(
            IntegrationsState.incidents,
            lambda sentence: rx.callout(
                sentence,
                icon="triangle-alert",
                color_scheme="red",
                role="alert",
                width="100%",
                data_testid="incident-notice",
            ),
        ),
        rx.foreach(IntegrationsState.cards, _integration_card),
        spacing="4",
        width="100%",
    )


def integrations_body() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.heading(t("dashboard.heading"), size="7", as_="h1"),
                rx.text(t("dashboard.intro"), color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(
                IntegrationsState.is_admin & (IntegrationsState.refused == ""),
                rx.link(
                    rx.button(
                        rx.icon("plus", size=16, aria_hidden="true"),
                        t("dashboard.add_integration"),
                        size="3",
                    ),
                    href="/settings/integrations/new",
                ),
            ),
            width="100%",
            align="end",
            wrap="wrap",
            spacing="3",
        ),
        page_states(
            _dashboard(),
            loading=IntegrationsState.loading,
            refused=IntegrationsState.refused,
            load_error=IntegrationsState.load_error,
            retry=IntegrationsState.load,
            placeholder=_loading(),
        ),
        spacing="5",
        width="100%",
    )


integrations_page = signed_in_page(integrations_body)
