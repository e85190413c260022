"""Bridges between a :class:`Message` and the places that still keep plain text.

Why this exists: stored records (a connection test's last message, a sync run's error,
audit details, logs) are written once, in English, for operators and for the tests that
read them; the code behind them is what pages, the API and emails render in the reader's
language. ``english`` makes that stored text from the code, so the two never drift.
``as_message`` accepts text from code that has not been given a code yet (a test double,
an exception raised with a string) and carries it verbatim, untranslated.
"""

from __future__ import annotations

from collections.abc import Callable

from accountlink_ui.i18n.catalogue import render
from accountlink_ui.i18n.message import Message

VERBATIM = "text.verbatim"
"""The code for text that arrived as a finished string: shown as it is, in every language."""


def verbatim(text: str) -> Message:
    return Message.of(VERBATIM, text=text)


def as_message(value: Message | str) -> Message:
    return value if isinstance(value, Message) else verbatim(value)


def english(message: Message) -> str:
    """The English rendering, for logs, stored records and ``str(exception)``."""
    return render(message, "en")


def scrub_message(message: Message, scrub: Callable[[str], str]) -> Message:
    """``message`` with ``scrub`` applied to its detail and to every text parameter: both can
    carry what an external system echoed (a header, a token)."""
    params = {
        key: scrub(value) if isinstance(value, str) else value
        for key, value in message.params.items()
    }
    detail = scrub(message.detail) if message.detail else message.detail
    return Message.of(message.code, detail, **params)


def and_list(names: list[str]) -> str | Message:
    """'A', or 'A, B and C' with the conjunction of the reader's language."""
    if len(names) == 1:
        return names[0]
    return Message.of("list.and", items=", ".join(names[:-1]), last=names[-1])
