"""Credential Management Form ("Edit Credentials")."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.connection_form import connection_fields, test_result
from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.states.credentials import CredentialsState
from accountlink_ui.ui.states.locale import t


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(
                t("credential_form.stored"),
                " ",
                CredentialsState.credentials_summary,
                size="2",
                color_scheme="gray",
            ),
            rx.text(
                t("credential_form.next_sync"),
                " ",
                rx.el.span(CredentialsState.next_sync, custom_attrs={"data-testid": "next-sync"}),
                size="2",
                color_scheme="gray",
            ),
            connection_fields(CredentialsState),
            rx.cond(
                CredentialsState.form_error != "",
                rx.callout(
                    CredentialsState.form_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    role="alert",
                    width="100%",
                ),
            ),
            test_result(CredentialsState),
            rx.cond(
                CredentialsState.saved_message != "",
                rx.callout(
                    CredentialsState.saved_message,
                    icon="circle-check",
                    color_scheme="green",
                    role="status",
                    data_testid="saved-message",
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.link(
                    rx.button(t("credential_form.back"), type="button", variant="ghost"),
                    href="/settings/integrations",
                ),
                rx.spacer(),
                rx.button(
                    rx.icon("plug-zap", size=16, aria_hidden="true"),
                    t("form.test_connection"),
                    type="submit",
                    variant="soft",
                    loading=CredentialsState.testing,
                ),
                rx.button(
                    rx.icon("save", size=16, aria_hidden="true"),
                    t("credential_form.save"),
                    type="button",
                    disabled=~CredentialsState.can_save,
                    loading=CredentialsState.saving,
                    on_click=CredentialsState.save,
                ),
                width="100%",
                wrap="wrap",
                spacing="3",
            ),
            rx.text(
                t("credential_form.explain"),
                size="1",
                color_scheme="gray",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=CredentialsState.test_form,
        reset_on_submit=False,
        no_validate=True,
        width="100%",
    )


def credentials_body() -> rx.Component:
    return rx.vstack(
        rx.heading(
            t("credential_form.heading"), " ", CredentialsState.type_label, size="7", as_="h1"
        ),
        page_states(
            rx.card(_form(), size="3", width="100%"),
            loading=CredentialsState.opening,
            refused=CredentialsState.refused,
            placeholder=rx.skeleton(rx.card(rx.box(height="200px")), loading=True, width="100%"),
        ),
        spacing="4",
        width="100%",
    )


credentials_page = signed_in_page(credentials_body)
