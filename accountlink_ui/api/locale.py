"""The API's language: English unless the caller's ``Accept-Language`` asks for Norwegian.

Every JSON refusal keeps its stable machine ``code`` (what a client program branches on)
and renders ``detail``/``message`` for the person reading it (DESIGN rule 11).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from accountlink_ui.i18n import DEFAULT_LOCALE, Message, negotiate_locale, render


def request_locale(request: HTTPConnection) -> str:
    return negotiate_locale(request.headers.get("accept-language")) or DEFAULT_LOCALE


def say(request: HTTPConnection, message: Message) -> str:
    """``message`` in the caller's language (API times are UTC, as its timestamps are)."""
    return render(message, request_locale(request))
