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
from dataclasses import dataclass

from accountlink_ui.i18n.catalogue import DEFAULT_LOCALE, LOCALES, domain_catalogue
from accountlink_ui.integrations.types import AuthFlow, Environment, FieldSpec, IntegrationType

DOMAIN = "systems"
"""``locales/<locale>/systems.po``."""


def _env(environment: Environment, part: str) -> str:
    return f"env.{environment.key}.{part}"


def _flow(flow: AuthFlow, part: str) -> str:
    return f"flow.{flow.key}.{part}"


def _field(spec: FieldSpec, part: str) -> str:
    return f"field.{spec.key}.{part}"


def _key(integration_type: IntegrationType, path: str) -> str:
    return f"system.{integration_type.key}.{path}"


@dataclass(frozen=True)
class SystemTexts:
    """One declaration's texts in one language (the key scheme is the helpers above)."""

    locale: str
    integration_type: IntegrationType

    def _say(self, path: str, english: str) -> str:
        if not english or self.locale == DEFAULT_LOCALE or self.locale not in LOCALES:
            return english
        key = _key(self.integration_type, path)
        return domain_catalogue(self.locale, DOMAIN).get(key, english)

    @property
    def summary(self) -> str:
        return self._say("summary", self.integration_type.summary)

    @property
    def probe(self) -> str:
        return self._say("probe", self.integration_type.probe)

    def environment(self, environment: Environment) -> tuple[str, str]:
        """Label and description."""
        return (
            self._say(_env(environment, "label"), environment.label),
            self._say(_env(environment, "description"), environment.description),
        )

    def flow(self, flow: AuthFlow) -> tuple[str, str]:
        """Label and description."""
        return (
            self._say(_flow(flow, "label"), flow.label),
            self._say(_flow(flow, "description"), flow.description),
        )

    def field_label(self, spec: FieldSpec) -> str:
        return self._say(_field(spec, "label"), spec.label)

    def field_help(self, spec: FieldSpec) -> str:
        return self._say(_field(spec, "help"), spec.help)

    def option(self, spec: FieldSpec, value: str, label: str) -> str:
        return self._say(_field(spec, f"option.{value}"), label)


def declared_texts(integration_type: IntegrationType) -> Iterator[tuple[str, str]]:
    """Every (catalogue key, English text) a person may read from this declaration."""
    for path, english in _declared_paths(integration_type):
        yield _key(integration_type, path), english


def _declared_paths(integration_type: IntegrationType) -> Iterator[tuple[str, str]]:
    yield "summary", integration_type.summary
    yield "probe", integration_type.probe
    for environment in integration_type.environments:
        yield _env(environment, "label"), environment.label
        yield _env(environment, "description"), environment.description
    specs = list(integration_type.common_fields)
    for flow in integration_type.auth_flows:
        yield _flow(flow, "label"), flow.label
        yield _flow(flow, "description"), flow.description
        specs.extend(flow.fields)
    for spec in specs:
        yield _field(spec, "label"), spec.label
        if spec.help:
            yield _field(spec, "help"), spec.help
        for value, label in spec.options:
            yield _field(spec, f"option.{value}"), label
