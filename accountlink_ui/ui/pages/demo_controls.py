"""Settings → Demo controls: for the product team, in demo mode only (the app adds the page
only then, and the service refuses every control otherwise)."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.services.demo_controls import CLAIMS_PER_ADD
from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.states.demo_controls import DemoControlsState, SystemRow
from accountlink_ui.ui.states.locale import t, tf

DEMO_ROUTE = "/settings/demo"


def _fault_form(row: SystemRow) -> rx.Component:
    select_id = "fault-" + row.system
    return rx.form(
        rx.hstack(
            rx.el.input(type="hidden", name="system", value=row.system),
            rx.el.select(
                rx.foreach(
                    row.options,
                    lambda option: rx.el.option(option[1], value=option[0]),
                ),
                id=select_id,
                name="mode",
                default_value=row.armed,
                key=row.system + ":" + row.armed,
                aria_label=tf("demo.fault_for", system=row.label),
                class_name="native-select",
                width="auto",
                min_width="13rem",
            ),
            rx.button(t("demo.switch"), type="submit", size="2", variant="soft"),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        on_submit=DemoControlsState.switch_fault,
        reset_on_submit=False,
    )


def _system_row(row: SystemRow) -> rx.Component:
    """One system: its name and state, then the switch (below it on a narrow screen)."""
    return rx.el.li(
        rx.flex(
            rx.vstack(
                rx.text(row.label, weight="medium"),
                rx.cond(
                    row.armed == "off",
                    rx.badge(t("demo.normal"), color_scheme="green", high_contrast=True),
                    rx.badge(row.armed_label, color_scheme="red", high_contrast=True),
                ),
                spacing="1",
                flex="1 1 14rem",
            ),
            rx.box(_fault_form(row), flex="0 1 auto"),
            justify="between",
            align="center",
            wrap="wrap",
            gap="3",
            width="100%",
        ),
        data_testid="demo-fault-" + row.system,
        padding_y="12px",
        border_top="1px solid var(--gray-a5)",
        list_style="none",
    )


def _faults() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("demo.faults"), size="4", as_="h2"),
            rx.text(
                t("demo.faults_intro"),
                color_scheme="gray",
                size="2",
            ),
            rx.el.ul(
                rx.foreach(DemoControlsState.systems, _system_row),
                aria_label=t("demo.systems"),
                margin="0",
                padding="0",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def _claims() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("nav.claims"), size="4", as_="h2"),
            rx.text(
                tf(
                    "demo.waiting_claims",
                    count=DemoControlsState.waiting_claims.to_string(),  # type: ignore[attr-defined]
                ),
                data_testid="demo-waiting-claims",
            ),
            rx.button(
                rx.icon("plus", size=16, aria_hidden="true"),
                tf("demo.add_claims", count=str(CLAIMS_PER_ADD)),
                on_click=DemoControlsState.add_claims,
            ),
            spacing="3",
            align="start",
        ),
        size="3",
        width="100%",
    )


def _reset() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("demo.start_over"), size="4", as_="h2"),
            rx.text(
                t("demo.start_over_explain"),
                color_scheme="gray",
                size="2",
            ),
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.button(t("demo.reset_button"), color_scheme="red", variant="soft"),
                ),
                rx.alert_dialog.content(
                    rx.alert_dialog.title(t("demo.reset_title")),
                    rx.alert_dialog.description(t("demo.reset_explain")),
                    rx.hstack(
                        rx.alert_dialog.cancel(
                            rx.button(t("wizard.cancel"), variant="soft", color_scheme="gray")
                        ),
                        rx.alert_dialog.action(
                            rx.button(
                                t("demo.reset"),
                                color_scheme="red",
                                on_click=DemoControlsState.reset_demo,
                            )
                        ),
                        justify="end",
                        spacing="3",
                        margin_top="16px",
                    ),
                ),
            ),
            spacing="3",
            align="start",
        ),
        size="3",
        width="100%",
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.cond(
            DemoControlsState.notice != "",
            rx.callout(
                DemoControlsState.notice,
                icon="info",
                role="status",
                width="100%",
                data_testid="demo-notice",
            ),
        ),
        _faults(),
        _claims(),
        _reset(),
        spacing="4",
        width="100%",
    )


def demo_controls_body() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(t("nav.demo_controls"), size="7", as_="h1"),
            rx.text(t("demo.intro"), color_scheme="gray"),
            spacing="1",
        ),
        page_states(
            _content(),
            loading=DemoControlsState.loading,
            refused=DemoControlsState.refused,
            load_error=DemoControlsState.load_error,
        ),
        spacing="5",
        width="100%",
    )


demo_controls_page = signed_in_page(demo_controls_body)
