"""The pages nobody is signed in on besides sign-in: accept an invitation, choose a new
password from a reset link, and ask for a reset link ("Forgot password?")."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.services.members_service import PASSWORD_MIN_LENGTH
from accountlink_ui.ui.components.shell import language_switch
from accountlink_ui.ui.states.links import (
    ACCEPT_SCRIPT,
    FORGOT_FORM_ID,
    FORGOT_SCRIPT,
    LINK_FORM_ID,
    RESET_SCRIPT,
    OneTimeLinkState,
)
from accountlink_ui.ui.states.locale import t, tf


def _card(*children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("link-2", size=26, aria_hidden="true"),
                    rx.heading("AccountLink", size="6", as_="p"),
                    rx.spacer(),
                    language_switch(),
                    align="center",
                ),
                *children,
                spacing="3",
                align="stretch",
                width="100%",
            ),
            width="100%",
            max_width="460px",
            size="4",
        ),
        min_height="100vh",
        padding="16px",
        background="var(--gray-2)",
    )


def _field(
    label: rx.Var[str],
    field_id: str,
    error: rx.Var[str],
    *,
    input_type: str = "text",
    auto_complete: str = "",
    help_text: rx.Var[str] | str = "",
) -> rx.Component:
    help_id = f"{field_id}-help"
    return rx.vstack(
        rx.el.label(label, html_for=field_id, font_weight="500"),
        rx.input(
            id=field_id,
            name=field_id,
            type=input_type,
            auto_complete=auto_complete,
            required=True,
            width="100%",
            size="3",
            aria_invalid=rx.cond(error != "", "true", "false"),
            aria_describedby=help_id,
        ),
        rx.cond(
            error != "",
            rx.text(error, id=help_id, color_scheme="red", size="2", role="alert"),
            rx.text(help_text, id=help_id, color_scheme="gray", size="2"),
        ),
        spacing="1",
        width="100%",
    )


def _problem() -> rx.Component:
    return rx.vstack(
        rx.callout(
            OneTimeLinkState.link_problem,
            icon="triangle-alert",
            color_scheme="red",
            role="alert",
            width="100%",
            data_testid="link-problem",
        ),
        rx.link(t("links.go_to_sign_in"), href="/login"),
        spacing="3",
        width="100%",
    )


def _password_fields() -> list[rx.Component]:
    return [
        _field(
            t("login.password"),
            "password",
            OneTimeLinkState.password_error,
            input_type="password",
            auto_complete="new-password",
            help_text=tf("links.password_help", minimum=str(PASSWORD_MIN_LENGTH)),
        ),
        _field(
            t("links.password_again"),
            "confirm",
            OneTimeLinkState.confirm_error,
            input_type="password",
            auto_complete="new-password",
        ),
    ]


def _form(*fields: rx.Component, button: rx.Var[str], script: str) -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(
                OneTimeLinkState.form_error != "",
                rx.callout(
                    OneTimeLinkState.form_error,
                    icon="triangle-alert",
                    color_scheme="red",
                    role="alert",
                    width="100%",
                ),
            ),
            # The account's email, for password managers to file the new password under.
            rx.el.input(
                type="hidden",
                name="username",
                auto_complete="username",
                value=OneTimeLinkState.link_email,
            ),
            *fields,
            rx.button(button, type="submit", size="3", width="100%"),
            spacing="3",
            align="stretch",
        ),
        id=LINK_FORM_ID,
        on_submit=rx.call_script(script, callback=OneTimeLinkState.one_time_link_answered),
        reset_on_submit=False,
        width="100%",
    )


def _checking(content: rx.Component) -> rx.Component:
    return rx.cond(
        OneTimeLinkState.link_checked,
        rx.cond(OneTimeLinkState.link_problem != "", _problem(), content),
        rx.skeleton(rx.box(height="200px"), loading=True, width="100%"),
    )


def accept_invitation_page() -> rx.Component:
    return _card(
        rx.heading(
            rx.cond(
                OneTimeLinkState.link_organization != "",
                tf("links.join_organization", organization=OneTimeLinkState.link_organization),
                t("links.join_accountlink"),
            ),
            size="5",
            as_="h1",
        ),
        _checking(
            rx.vstack(
                rx.text(
                    t("links.invited_as"),
                    " ",
                    rx.text.strong(OneTimeLinkState.link_email),
                    ". ",
                    t("links.choose_name"),
                    color_scheme="gray",
                ),
                _form(
                    _field(
                        t("links.your_name"),
                        "name",
                        OneTimeLinkState.name_error,
                        auto_complete="name",
                        help_text=t("links.your_name_help"),
                    ),
                    *_password_fields(),
                    button=t("links.join_and_sign_in"),
                    script=ACCEPT_SCRIPT,
                ),
                spacing="3",
                width="100%",
            )
        ),
    )


def reset_password_page() -> rx.Component:
    return _card(
        rx.heading(t("links.choose_password"), size="5", as_="h1"),
        _checking(
            rx.vstack(
                rx.text(
                    t("links.for"),
                    " ",
                    rx.text.strong(OneTimeLinkState.link_email),
                    ". ",
                    t("links.signs_out_elsewhere"),
                    color_scheme="gray",
                ),
                _form(
                    *_password_fields(),
                    button=t("links.set_password_and_sign_in"),
                    script=RESET_SCRIPT,
                ),
                spacing="3",
                width="100%",
            )
        ),
    )


def forgot_password_page() -> rx.Component:
    return _card(
        rx.heading(t("links.forgot_heading"), size="5", as_="h1"),
        rx.cond(
            OneTimeLinkState.reset_requested,
            rx.callout(
                t("links.reset_requested"),
                icon="mail",
                role="status",
                width="100%",
                data_testid="reset-requested",
            ),
            rx.form(
                rx.vstack(
                    rx.text(t("links.forgot_intro"), color_scheme="gray"),
                    rx.cond(
                        OneTimeLinkState.form_error != "",
                        rx.callout(
                            OneTimeLinkState.form_error,
                            icon="triangle-alert",
                            color_scheme="red",
                            role="alert",
                            width="100%",
                        ),
                    ),
                    rx.el.label(t("login.email"), html_for="email", font_weight="500"),
                    rx.input(
                        id="email",
                        name="email",
                        type="email",
                        auto_complete="username",
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.button(t("links.send_reset_link"), type="submit", size="3", width="100%"),
                    spacing="3",
                    align="stretch",
                ),
                id=FORGOT_FORM_ID,
                on_submit=rx.call_script(
                    FORGOT_SCRIPT, callback=OneTimeLinkState.reset_request_answered
                ),
                reset_on_submit=False,
                width="100%",
            ),
        ),
        rx.link(t("links.back_to_sign_in"), href="/login"),
    )
