"""Theme tokens in one place: colours, spacing and the status badge palette."""

from __future__ import annotations

import reflex as rx

ACCENT = "indigo"
APP_THEME = rx.theme(accent_color=ACCENT, gray_color="slate", radius="medium", scaling="100%")

PAGE_MAX_WIDTH = "1100px"
FONT_STACK = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', sans-serif"
)

STATUS_COLORS: dict[str, str] = {
    "active": "green",
    "error": "red",
    "disabled": "gray",
    "not_configured": "amber",
}
STATUS_LABELS: dict[str, str] = {
    "active": "status.active",
    "error": "status.error",
    "disabled": "status.disabled",
    "not_configured": "status.not_configured",
}
"""Catalogue keys of the status words (the badge shows words as well as colour)."""
STATUS_ICONS: dict[str, str] = {
    "active": "circle-check",
    "error": "circle-alert",
    "disabled": "circle-pause",
    "not_configured": "circle-dashed",
}

GLOBAL_STYLE: dict = {
    "font_family": FONT_STACK,
    ":focus-visible": {"outline": f"2px solid var(--{ACCENT}-9)", "outline_offset": "2px"},
}
