"""What a page shows before its content: loading, refused, or failed to load.

Every settings page has the same three states, designed once here so they look
and read alike everywhere (and screen readers hear refusals as alerts).
"""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.states.locale import LocaleState, t, tf


def refusal_callout(message: rx.Var[str]) -> rx.Component:
    return rx.callout(
        message, icon="lock", color_scheme="amber", role="alert", size="3", width="100%"
    )


def error_callout(message: rx.Var[str] | str, *extra: rx.Component) -> rx.Component:
    return rx.callout(
        rx.hstack(rx.text(message), *extra, align="center", wrap="wrap"),
        icon="triangle-alert",
        color_scheme="red",
        role="alert",
        width="100%",
    )


def page_states(
    content: rx.Component,
    *,
    loading: rx.Var[bool],
    refused: rx.Var[str],
    load_error: rx.Var[str] | None = None,
    retry: rx.EventHandler | None = None,
    skeleton_height: str = "160px",
    placeholder: rx.Component | None = None,
) -> rx.Component:
    """``content`` once loaded and allowed; otherwise the matching state."""
    body = content
    if load_error is not None:
        extra = (rx.button(t("page.retry"), size="1", on_click=retry),) if retry is not None else ()
        # load_error holds the catalogue key naming what failed to load (see page_load.py).
        failed = tf("page.load_failed", what=LocaleState.texts[load_error])  # type: ignore[index]
        body = rx.cond(load_error != "", error_callout(failed, *extra), content)
    return rx.cond(
        loading,
        placeholder or rx.skeleton(rx.box(height=skeleton_height), loading=True, width="100%"),
        rx.cond(refused != "", refusal_callout(refused), body),
    )
