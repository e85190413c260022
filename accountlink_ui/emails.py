"""What alert emails say: message codes and parameters from the services, worded here in
the recipient's language and the organization's time zone (DESIGN rule 11).

The words are the catalogue's ``email.<template>.subject`` / ``.body`` entries (English and
bokmål). A recipient's language is their ``users.locale`` where that column exists, else
English; times (``since``) are shown in the organization's time zone, else UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from accountlink_ui.i18n import Message, catalogue_keys, translate

TIMES = frozenset({"since"})
"""Parameters that are moments (ISO text in the outbox payload), shown in the reader's zone."""


def render(
    template: str, params: Mapping[str, Any], *, locale: str = "en", tz: str = "UTC"
) -> tuple[str, str]:
    """(subject, body) of an alert email; an unknown code still gives a readable email."""
    values: dict[str, Any] = {
        "integration": Message.of("email.default_integration"),
        "organization": Message.of("email.default_organization"),
        **{key: _value(key, value) for key, value in params.items()},
    }
    subject_code, body_code = f"email.{template}.subject", f"email.{template}.body"
    if subject_code not in catalogue_keys("en"):
        subject_code, body_code = "email.unknown.subject", "email.unknown.body"
        values = {"template": template, "params": str(dict(params))}
    return (
        translate(locale, subject_code, values, tz=tz),
        translate(locale, body_code, values, tz=tz),
    )


def _value(key: str, value: Any) -> Any:
    if key in TIMES and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value
