"""How a page shows what a service said: the one call between a Message and the screen."""

from __future__ import annotations

from accountlink_ui import i18n
from accountlink_ui.i18n import Message


def show(message: Message, locale: str, tz: str = "UTC") -> str:
    """``message`` in the reader's language and time zone (DESIGN rule 11)."""
    return i18n.render(message, locale, tz=tz)
