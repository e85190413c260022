"""The page shell every signed-in page shares: header, settings navigation, content."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from accountlink_ui.services.demo_controls import demo_controls_enabled
from accountlink_ui.settings import get_settings
from accountlink_ui.ui.states.locale import LANGUAGE_NAMES, t
from accountlink_ui.ui.states.session import SIGN_OUT_SCRIPT, SessionState
from accountlink_ui.ui.theme import PAGE_MAX_WIDTH


def _brand() -> rx.Component:
    return rx.hstack(
        rx.icon("link-2", size=22, aria_hidden="true"),
        rx.text("AccountLink", weight="bold", size="4"),
        align="center",
        spacing="2",
    )


def _organization_switcher() -> rx.Component:
    return rx.cond(
        SessionState.organizations.length() > 1,  # type: ignore[attr-defined]
        rx.el.select(
            rx.foreach(
                SessionState.organizations,
                lambda org: rx.el.option(org["name"], value=org["id"]),
            ),
            value=SessionState.organization_id.to_string(),
            on_change=SessionState.switch_organization,
            aria_label=t("header.organization"),
        ),
        rx.text(SessionState.organization_name, weight="medium", size="2"),
    )


def language_switch() -> rx.Component:
    """Norsk / English, each named in its own language; the choice is saved for the person."""
    return rx.hstack(
        *[
            rx.button(
                name,
                lang=code,
                size="1",
                variant=rx.cond(SessionState.locale == code, "solid", "soft"),
                aria_pressed=rx.cond(SessionState.locale == code, "true", "false"),
                on_click=SessionState.choose_locale(code),
                data_testid=f"language-{code}",
            )
            for code, name in LANGUAGE_NAMES.items()
        ],
        spacing="1",
        role="group",
        aria_label=t("header.language"),
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            _brand(),
            rx.spacer(),
            rx.hstack(
                _organization_switcher(),
                rx.text(SessionState.user_name, size="2", color_scheme="gray"),
                language_switch(),
                rx.button(
                    rx.icon("log-out", size=16, aria_hidden="true"),
                    t("header.sign_out"),
                    variant="soft",
                    size="2",
                    # Only the backend can end the session and clear the HttpOnly cookie.
                    on_click=rx.call_script(SIGN_OUT_SCRIPT),
                ),
                align="center",
                spacing="3",
                wrap="wrap",
                justify="end",
            ),
            align="center",
            width="100%",
            max_width=PAGE_MAX_WIDTH,
            margin_x="auto",
            padding_x="16px",
            padding_y="12px",
            wrap="wrap",
            spacing="3",
        ),
        border_bottom="1px solid var(--gray-a5)",
        background="var(--color-panel-solid)",
    )


SETTINGS_PAGES = (
    ("nav.integrations", "/settings/integrations"),
    ("nav.claims", "/settings/claims"),
    ("nav.api_tokens", "/settings/api-tokens"),
    ("nav.members", "/settings/members"),
    ("nav.webhooks", "/settings/webhooks"),
    ("nav.audit", "/settings/audit"),
)
"""(catalogue key of the label, path)"""
DEMO_CONTROLS_PAGE = ("nav.demo_controls", "/settings/demo")


def settings_pages() -> tuple[tuple[str, str], ...]:
    """The settings sections; Demo controls only in demo mode (decided when the app is built,
    which happens at every start)."""
    if demo_controls_enabled(get_settings()):
        return (*SETTINGS_PAGES, DEMO_CONTROLS_PAGE)
    return SETTINGS_PAGES


def settings_nav() -> rx.Component:
    """Settings sections; the current one is marked for screen readers and by weight."""
    current = rx.State.router.url.path  # type: ignore[attr-defined]

    def link(label_key: str, href: str) -> rx.Component:
        here = current.startswith(href)  # type: ignore[attr-defined]
        return rx.link(
            t(label_key),
            href=href,
            size="2",
            weight=rx.cond(here, "bold", "regular"),
            underline=rx.cond(here, "always", "hover"),
            aria_current=rx.cond(here, "page", "false"),
        )

    return rx.el.nav(
        rx.hstack(
            rx.text(t("nav.settings"), color_scheme="gray", size="2"),
            rx.icon("chevron-right", size=14, aria_hidden="true"),
            *[link(label, href) for label, href in settings_pages()],
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        aria_label=t("nav.settings"),
    )


def page_shell(*children: rx.Component) -> rx.Component:
    return rx.box(
        header(),
        rx.el.main(
            rx.vstack(
                settings_nav(),
                *children,
                spacing="5",
                width="100%",
                max_width=PAGE_MAX_WIDTH,
                margin_x="auto",
                padding_x="16px",
                padding_y="24px",
                align="stretch",
            ),
        ),
        min_height="100vh",
        background="var(--gray-2)",
    )


def signed_in_page(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    """Wrap a page body in the shell; access itself is decided by the service."""

    def page() -> rx.Component:
        return page_shell(content())

    page.__name__ = content.__name__
    return page
