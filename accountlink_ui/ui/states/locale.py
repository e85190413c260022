"""The page's language: the base state every page's state inherits, and the lookups pages use.

Why a dict var and not text rendered on the server: Reflex compiles pages once, so a page
cannot hold English or Norwegian words; it holds lookups (``t("nav.integrations")``
compiles to ``texts["nav.integrations"]`` in the browser) and the state ships the
catalogue of the chosen language. Switching language replaces that one dict: every label
changes at once, without a reload, and no other var (a half-filled wizard) is touched.

Text a state computes at event time (dates in the organization's zone, amounts, a card's
summary) is computed with :meth:`LocaleState._reader`; pages whose state holds such text
register a handler with :func:`relocalize_on` that recomputes it after a switch.
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

from accountlink_ui.i18n import DEFAULT_LOCALE, LOCALES, negotiate_locale
from accountlink_ui.i18n.catalogue import domain_catalogue
from accountlink_ui.ui.format import Reader

UI_DOMAIN = "ui"
LANGUAGE_NAMES = {"nb": "Norsk", "en": "English"}
"""Each language named in itself, so a person who cannot read the current one finds theirs."""

_RELOCALIZERS: list[tuple[re.Pattern[str], Any]] = []


def ui_texts(locale: str) -> dict[str, str]:
    """The page strings of ``locale`` (English where a key lacks a translation)."""
    return {**domain_catalogue(DEFAULT_LOCALE, UI_DOMAIN), **domain_catalogue(locale, UI_DOMAIN)}


def preferred_locale(
    saved: str | None, accept_language: str | None, organization_default: str | None
) -> str:
    """The person's saved choice, else the browser's Accept-Language, else the
    organization's default, else English."""
    return (
        (saved if saved in LOCALES else None)
        or negotiate_locale(accept_language)
        or (organization_default if organization_default in LOCALES else None)
        or DEFAULT_LOCALE
    )


def relocalize_on(route: str, handler: Any) -> None:
    """After a language switch on a page whose path matches ``route`` (a regex), run
    ``handler``: it recomputes the text its state formatted at event time."""
    _RELOCALIZERS.append((re.compile(route), handler))


def relocalizers_for(path: str) -> list[Any]:
    return [handler for pattern, handler in _RELOCALIZERS if pattern.fullmatch(path)]


def set_document_language(locale: str) -> Any:
    """``<html lang>`` follows the chosen language (Reflex writes it once, at build time)."""
    return rx.call_script(f"document.documentElement.lang = {locale!r}")


class LocaleState(rx.State):
    locale: str = DEFAULT_LOCALE
    time_zone: str = "UTC"
    """The organization's IANA zone: every date on the page is shown in it."""
    texts: dict[str, str] = ui_texts(DEFAULT_LOCALE)

    def _apply_locale(self, locale: str, time_zone: str | None = None) -> None:
        """Show ``locale`` (assigning only what changed: each assignment re-sends the var)."""
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        if self.locale != locale:
            self.locale = locale
            self.texts = ui_texts(locale)
        if time_zone is not None and self.time_zone != time_zone:
            self.time_zone = time_zone

    def _reader(self) -> Reader:
        return Reader(self.locale, self.time_zone)

    def _t(self, key: str, **params: Any) -> str:
        """A catalogue string filled in server-side, for text a handler computes."""
        return self._reader().t(key, **params)


def t(key: str) -> rx.Var[str]:
    """The page text for ``key`` in the current language (a lookup compiled into the page)."""
    return LocaleState.texts[key]  # type: ignore[return-value]


def tf(key: str, **values: rx.Var | str) -> rx.Var[str]:
    """``t(key)`` with its ``{placeholders}`` filled from vars in the browser."""
    text: Any = LocaleState.texts[key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text  # type: ignore[no-any-return]
