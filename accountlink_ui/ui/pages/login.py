"""Sign-in page.

The form posts to the backend's ``/auth/sign-in`` route (SIGN_IN_SCRIPT), which
sets the HttpOnly session cookie; the password never enters the Reflex state.
"""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.shell import language_switch
from accountlink_ui.ui.states.locale import t
from accountlink_ui.ui.states.session import SIGN_IN_FORM_ID, SIGN_IN_SCRIPT, SessionState


def login() -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(
                        rx.icon("link-2", size=26, aria_hidden="true"),
                        rx.heading("AccountLink", size="6", as_="h1"),
                        rx.spacer(),
                        language_switch(),
                        align="center",
                    ),
                    rx.text(t("login.intro"), color_scheme="gray"),
                    rx.cond(
                        SessionState.sign_in_error != "",
                        rx.callout(
                            SessionState.sign_in_error,
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
                        placeholder=t("login.email_placeholder"),
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.el.label(t("login.password"), html_for="password", font_weight="500"),
                    rx.input(
                        id="password",
                        name="password",
                        type="password",
                        auto_complete="current-password",
                        required=True,
                        width="100%",
                        size="3",
                    ),
                    rx.button(t("login.sign_in"), type="submit", size="3", width="100%"),
                    rx.link(t("login.forgot"), href="/forgot-password", size="2"),
                    spacing="3",
                    align="stretch",
                ),
                id=SIGN_IN_FORM_ID,
                on_submit=rx.call_script(SIGN_IN_SCRIPT, callback=SessionState.sign_in_answered),
                reset_on_submit=False,
            ),
            width="100%",
            max_width="420px",
            size="4",
        ),
        min_height="100vh",
        padding="16px",
        background="var(--gray-2)",
    )
