"""A value shown once (a new API token, a webhook's signing secret, a one-time link).

The value never enters Reflex state: the page's handler writes it straight into this
read-only field with a client action (``rx.set_value``), so the field is always in the
page, hidden until ``shown``. Copy and Done are the page state's own handlers.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from accountlink_ui.ui.states.locale import t


def shown_once(
    *intro: rx.Component,
    icon: str,
    field_id: str,
    label: rx.Var[str],
    test_id: str,
    shown: Any,
    on_copy: Any,
    on_done: Any,
    after: tuple[rx.Component, ...] = (),
) -> rx.Component:
    """``intro`` says what it is and that it is shown once; ``after`` follows the field."""
    return rx.callout.root(
        rx.callout.icon(rx.icon(icon, aria_hidden="true")),
        rx.vstack(
            *intro,
            rx.flex(
                rx.input(
                    id=field_id,
                    read_only=True,
                    aria_label=label,
                    data_testid=test_id,
                    font_family="monospace",
                    flex="1 1 260px",
                    on_focus=rx.call_script("document.activeElement.select()"),
                ),
                rx.button(
                    rx.icon("copy", size=16, aria_hidden="true"),
                    t("shown_once.copy"),
                    variant="soft",
                    on_click=on_copy,
                ),
                rx.button(t("shown_once.done"), on_click=on_done),
                width="100%",
                spacing="2",
                wrap="wrap",
            ),
            *after,
            spacing="2",
            width="100%",
        ),
        role="status",
        width="100%",
        display=rx.cond(shown, "flex", "none"),
    )
