"""REST API Adapter Registry: the lookup of adapters by type key.

An adapter turns a configuration (non-secret settings plus decrypted secrets)
into calls to one accounting system. Adapters never touch the database or the
vault; the service hands them what they need for one operation. What they are
handed and answer is in ``contracts.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from accountlink_ui.integrations.contracts import Adapter
from accountlink_ui.settings import Settings


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
    """The real adapters, configured from the operator's settings."""
    from accountlink_ui.integrations.dynamics import DynamicsAdapter
    from accountlink_ui.integrations.generic_rest import GenericRestAdapter
    from accountlink_ui.integrations.xledger import XledgerAdapter

    return AdapterRegistry(
        [XledgerAdapter(settings), DynamicsAdapter(settings), GenericRestAdapter(settings)]
    )
