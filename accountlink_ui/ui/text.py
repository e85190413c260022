"""A service's :class:`Message` as text for the page, in the reader's language and time zone."""

from __future__ import annotations

from accountlink_ui import i18n
from accountlink_ui.i18n import Message


def show(message: Message, locale: str, tz: str = "UTC") -> str:
    return i18n.render(message, locale, tz=tz)
