"""Status shown by icon and words as well as colour, so it never relies on colour alone."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.theme import STATUS_COLORS, STATUS_ICONS


def status_badge(status: rx.Var[str], label: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        *[
            (
                key,
                rx.badge(
                    rx.icon(STATUS_ICONS[key], size=14, aria_hidden="true"),
                    label,
                    color_scheme=color,
                    size="2",
                    variant="soft",
                ),
            )
            for key, color in STATUS_COLORS.items()
        ],
        rx.badge(label, size="2"),
    )
