"""Every text a declaration shows a person exists in both languages (i18n/systems.py).

A half-translated system fails here by name: the missing key, or the English copy in
``systems.po`` that no longer matches its declaration (fix the copy, then the bokmål).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from accountlink_ui.i18n import catalogue_keys, translate
from accountlink_ui.i18n.systems import SystemTexts, declared_texts
from accountlink_ui.integrations.registry import get_type, integration_types

DECLARED = {key: text for kind in integration_types() for key, text in declared_texts(kind)}


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_each_declared_text_is_in_both_catalogues_and_english_matches(key: str) -> None:
    for locale in ("en", "nb"):
        assert key in catalogue_keys(locale), f"{key} missing from locales/{locale}/systems.po"
    assert translate("en", key) == DECLARED[key], f"{key}: systems.po's English differs"


def test_no_catalogue_entry_outlives_its_declaration() -> None:
    stale = {key for key in catalogue_keys("en") if key.startswith("system.")} - set(DECLARED)
    assert stale == set(), f"systems.po keys no declaration has: {sorted(stale)}"


def test_the_page_reads_the_readers_language_and_english_from_the_declaration() -> None:
    xledger = get_type("xledger")
    production = next(e for e in xledger.environments if e.key == "production")
    assert SystemTexts("nb", xledger).environment(production)[0] == "Produksjon"
    assert SystemTexts("en", xledger).environment(production)[0] == "Production"
    # Not in the catalogue (a system added without translations): the declaration's English.
    unlisted = replace(xledger, key="nosuch", summary="Plain English")
    assert SystemTexts("nb", unlisted).summary == "Plain English"
