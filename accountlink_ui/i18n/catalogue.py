"""Catalogues (gettext .po files read with Babel) and rendering with locale-aware formats.

Why .po files read at start-up rather than compiled .mo files: translators and reviewers
work in .po, Babel reads it directly, and nothing binary or generated is committed or has
to be built before `make run`. Keys are codes (``"wizard.step.type"``); the English
catalogue holds the English text, so a missing English entry is a bug a test catches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from accountlink_ui.i18n.message import Message

LOCALES: tuple[str, ...] = ("en", "nb")
DEFAULT_LOCALE = "en"
_LOCALE_DIR = Path(__file__).parent / "locales"
_UTC = ZoneInfo("UTC")


@cache
def domain_catalogue(locale: str, domain: str) -> Mapping[str, str]:
    """One ``locales/<locale>/<domain>.po`` (``ui`` is what the page's state ships to the
    browser: only the page's own strings, not every service code)."""
    entries: dict[str, str] = {}
    path = _LOCALE_DIR / locale / f"{domain}.po"
    if not path.exists():
        return entries
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    for message in catalog:
        if message.id and message.string and not message.fuzzy:
            entries[str(message.id)] = str(message.string)
    return entries


@cache
def _catalogue(locale: str) -> Mapping[str, str]:
    """Every ``locales/<locale>/*.po`` merged: ``ui.po`` for page text, ``messages.po`` for
    service codes, one file per domain so the two grow without touching each other."""
    entries: dict[str, str] = {}
    for path in sorted((_LOCALE_DIR / locale).glob("*.po")):
        for key, text in domain_catalogue(locale, path.stem).items():
            if key in entries:
                raise ValueError(f"{path}: key {key!r} is defined twice in {locale}")
            entries[key] = text
    return entries


def catalogue_keys(locale: str) -> frozenset[str]:
    """Every key the locale's catalogue translates (tests compare the two catalogues)."""
    return frozenset(_catalogue(locale))


def negotiate_locale(preferences: Iterable[str] | str | None) -> str | None:
    """The first supported locale in an ``Accept-Language`` header or a list of tags.

    ``no``, ``nn`` and ``nb-NO`` all mean bokmål here (the only Norwegian catalogue);
    returns ``None`` when nothing matches so the caller can fall back further.
    """
    if preferences is None:
        return None
    if isinstance(preferences, str):
        ranked = []
        for position, part in enumerate(preferences.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            if tag and quality > 0:
                ranked.append((-quality, position, tag.strip()))
        tags = [tag for _, _, tag in sorted(ranked)]
    else:
        tags = list(preferences)
    for tag in tags:
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in ("nb", "no", "nn"):
            return "nb"
        if primary in LOCALES:
            return primary
    return None


def _format_value(value: Any, locale: str, tz: tzinfo) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=_UTC)
        return format_datetime(moment, format="medium", tzinfo=tz, locale=locale)
    if isinstance(value, date):
        return format_date(value, format="medium", locale=locale)
    if isinstance(value, int | Decimal | float):
        return format_decimal(value, locale=locale)
    return str(value)


def translate(
    locale: str,
    code: str,
    params: Mapping[str, Any] | None = None,
    *,
    tz: tzinfo | str | None = None,
) -> str:
    """The text for ``code`` in ``locale`` with its parameters filled in.

    Falls back to English, then to the code itself (visible, so a missing entry is
    noticed rather than shown as an empty string).
    """
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or _UTC)
    template = _catalogue(locale).get(code) or _catalogue(DEFAULT_LOCALE).get(code) or code
    if not params:
        return template
    values = {key: _format_value(value, locale, zone) for key, value in params.items()}
    wanted = {name for _, name, _, _ in Formatter().parse(template) if name}
    return template.format_map({name: values.get(name, "{" + name + "}") for name in wanted})


def render(message: Message, locale: str, *, tz: tzinfo | str | None = None) -> str:
    """A message in the reader's language; an external detail follows after a colon."""
    text = translate(locale, message.code, message.params, tz=tz)
    return f"{text}: {message.detail}" if message.detail else text


def locale_display_name(locale: str) -> str:
    """'Norsk bokmål' / 'English', each in its own language (for the language switch)."""
    return Locale.parse(locale).get_display_name(locale) or locale
