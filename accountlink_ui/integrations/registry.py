"""REST API Adapter Registry: the integration types found, and their adapters by type key.

Every module directly under ``accountlink_ui/integrations/`` that defines
``INTEGRATION_TYPE`` (an :class:`~accountlink_ui.integrations.types.IntegrationType`)
is a system; nothing here lists them. The modules are imported on first use, not when
this module is, so an adapter module may import this one without a cycle.

An adapter turns a configuration (non-secret settings plus decrypted secrets)
into calls to one accounting system. Adapters never touch the database or the
vault; the service hands them what they need for one operation. What they are
handed and answer is in ``contracts.py``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Mapping, Sequence
from functools import cache

from accountlink_ui import integrations
from accountlink_ui.i18n import Message
from accountlink_ui.integrations.contracts import Adapter
from accountlink_ui.integrations.types import IntegrationType, UnknownTypeError
from accountlink_ui.settings import Settings

DECLARATION = "INTEGRATION_TYPE"


@cache
def integration_types() -> tuple[IntegrationType, ...]:
    """Every declared integration type, in the wizard's order."""
    found: dict[str, IntegrationType] = {}
    for module_info in pkgutil.iter_modules(integrations.__path__):
        module = importlib.import_module(f"{integrations.__name__}.{module_info.name}")
        declared = getattr(module, DECLARATION, None)
        if declared is None:
            continue
        if not isinstance(declared, IntegrationType):
            raise TypeError(f"{module.__name__}.{DECLARATION} is not an IntegrationType")
        if declared.key in found:
            raise ValueError(f"Two integration types are declared as '{declared.key}'")
        found[declared.key] = declared
    return tuple(sorted(found.values(), key=lambda t: (t.order, t.key)))


def get_type(key: str) -> IntegrationType:
    for integration_type in integration_types():
        if integration_type.key == key:
            return integration_type
    known = ", ".join(t.key for t in integration_types())
    raise UnknownTypeError(Message.of("types.unknown", key=key, known=known))


REMOVED_VARIABLES = {
    "ACCOUNTLINK_XLEDGER_SANDBOX_URL": "xledger.sandbox.graphql",
    "ACCOUNTLINK_XLEDGER_PRODUCTION_URL": "xledger.production.graphql",
    "ACCOUNTLINK_ENTRA_AUTHORITY_URL": "dynamics.<environment>.authority",
    "ACCOUNTLINK_BUSINESS_CENTRAL_URL": "dynamics.<environment>.business_central",
    "ACCOUNTLINK_DATAVERSE_URL": "dynamics.<environment>.dataverse",
}
"""The per-system variables ``ACCOUNTLINK_ENDPOINTS`` replaced, and the key that replaces each."""


def check_endpoint_overrides(settings: Settings, environ: Mapping[str, str] = os.environ) -> None:
    """Refuse ``ACCOUNTLINK_ENDPOINTS`` keys no declaration has, naming them and the known
    ones, empty values for endpoints that cannot be unset, and the per-system variables it
    replaced (silently ignoring one would send a system's calls somewhere unintended)."""
    stale = [name for name in REMOVED_VARIABLES if name in environ]
    if stale:
        raise ValueError(
            "No longer read: "
            + "; ".join(
                f"{name} (set ACCOUNTLINK_ENDPOINTS key {REMOVED_VARIABLES[name]!r} instead)"
                for name in stale
            )
        )
    known = {key for t in integration_types() for key in t.endpoint_keys()}
    unknown = sorted(set(settings.endpoints) - known)
    if unknown:
        raise ValueError(
            f"ACCOUNTLINK_ENDPOINTS names unknown endpoints {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    for t in integration_types():
        for env in t.environments:
            for endpoint in env.endpoints:
                key = f"{t.key}.{env.key}.{endpoint.key}"
                if settings.endpoints.get(key) == "" and not endpoint.optional:
                    raise ValueError(f"ACCOUNTLINK_ENDPOINTS[{key!r}] cannot be empty")


class UnknownAdapterError(LookupError):
    pass


class AdapterRegistry:
    def __init__(self, adapters: Sequence[Adapter] = ()) -> None:
        self._adapters: dict[str, Adapter] = {}
        for adapter in adapters:
            self.register(adapter)

    def register(self, adapter: Adapter) -> None:
        self._adapters[adapter.type_key] = adapter

    def get(self, type_key: str) -> Adapter:
        try:
            return self._adapters[type_key]
        except KeyError:
            raise UnknownAdapterError(f"No adapter is registered for '{type_key}'") from None

    def __contains__(self, type_key: object) -> bool:
        return type_key in self._adapters


def default_registry(settings: Settings) -> AdapterRegistry:
    """The real adapters, each built by its declaration from the operator's settings."""
    check_endpoint_overrides(settings)
    return AdapterRegistry([t.adapter(settings) for t in integration_types()])
