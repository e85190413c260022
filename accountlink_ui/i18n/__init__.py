"""Messages as codes, and the catalogues that turn them into English or Norwegian bokmål.

Below `ui/` nothing writes a finished sentence for a person (DESIGN rule 11): services,
adapters and the validator return a :class:`Message` (a code and its parameters, plus
the external system's raw text as a separate detail). The page, the API and emails call
:func:`render` with the reader's locale and time zone.
"""

from accountlink_ui.i18n.catalogue import (
    DEFAULT_LOCALE,
    LOCALES,
    catalogue_keys,
    negotiate_locale,
    render,
    translate,
)
from accountlink_ui.i18n.message import Message

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "Message",
    "catalogue_keys",
    "negotiate_locale",
    "render",
    "translate",
]
