"""What an integration type's declaration says to a person, in the reader's language.

A declaration (``integrations/<system>.py``) stays the one place a system is described,
in English: its summary, probe, environments, auth flows and fields. Other languages
find those texts in the catalogue under keys derived from where the text sits in the
declaration (``system.<type>.field.<key>.help``), so adding a system needs no other
file to speak English, and ``tests/unit/test_system_texts.py`` names every text that
lacks a translation or whose English copy in ``systems.po`` drifted from the declaration.
"""

from __future__ import annotations

from collections.abc import Iterator

from accountlink_ui.i18n.catalogue import DEFAULT_LOCALE, LOCALES, _catalogue
from accountlink_ui.integrations.types import IntegrationType


def system_text(locale: str, type_key: str, path: str, english: str) -> str:
    """The declaration's ``english`` text at ``path`` of ``type_key``, in ``locale``."""
    if not english or locale == DEFAULT_LOCALE or locale not in LOCALES:
        return english
    return _catalogue(locale).get(f"system.{type_key}.{path}", english)


def declared_texts(integration_type: IntegrationType) -> Iterator[tuple[str, str]]:
    """Every (path, English text) a person may read from this declaration."""
    yield "summary", integration_type.summary
    yield "probe", integration_type.probe
    for environment in integration_type.environments:
        yield f"env.{environment.key}.label", environment.label
        yield f"env.{environment.key}.description", environment.description
    specs = list(integration_type.common_fields)
    for flow in integration_type.auth_flows:
        yield f"flow.{flow.key}.label", flow.label
        yield f"flow.{flow.key}.description", flow.description
        specs.extend(flow.fields)
    for spec in specs:
        yield f"field.{spec.key}.label", spec.label
        if spec.help:
            yield f"field.{spec.key}.help", spec.help
        for value, label in spec.options:
            yield f"field.{spec.key}.option.{value}", label
