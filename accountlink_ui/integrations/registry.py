"""REST API Adapter Registry: the adapter protocol and the lookup by type key.

An adapter turns a configuration (non-secret settings plus decrypted secrets)
into calls to one accounting system. Adapters never touch the database or the
vault; the service hands them what they need for one operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Protocol

from accountlink_ui import redaction
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.settings import Settings


@dataclass(frozen=True)
class ConnectionConfig:
    """Everything an adapter needs to reach a system; ``secrets`` never leaves the server."""

    type_key: str
    environment: str
    auth_flow: str
    settings: Mapping[str, str]
    secrets: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class ConnectionResult:
    """The outcome of a connection test, written for the admin who pressed the button."""

    ok: bool
    message: str
    fields: tuple[str, ...] = ()
    """Keys of the fields at fault, so the form can highlight them."""
    reached: str | None = None
    """What answered, e.g. the company name, shown on success."""
    latency_ms: int = 0
    code: str | None = None
    """The system's own error code (AADSTS7000215, BURST_RATE_LIMIT_REACHED, ...)."""


class ExportRecord(NamedTuple):
    """One approved expense claim, in the shape every adapter posts from.

    A named tuple rather than a frozen dataclass: a run builds one per claim, thousands at
    a time, and a frozen dataclass costs several times as much to construct.
    """

    idempotency_key: str
    posted_date: date
    amount: Decimal
    currency: str
    account_code: str
    description: str
    claimant: str


@dataclass(frozen=True)
class PushResult:
    """What the target confirmed: accepted keys with their external reference, and failures."""

    accepted: Mapping[str, str]
    failed: Mapping[str, str] = field(default_factory=dict)


class TransientError(Exception):
    """Worth retrying: rate limits, 5xx, timeouts. ``retry_after`` is in seconds when known."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(redaction.scrub(message))  # header values, secret params, issued tokens
        self.retry_after = retry_after


class PermanentError(Exception):
    """Retrying will not help until someone changes the configuration or the data."""

    def __init__(self, message: str, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(redaction.scrub(message))  # header values, secret params, issued tokens
        self.fields = fields


class Adapter(Protocol):
    type_key: str

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        """One cheap probe (two for OAuth: token, then probe), finished before ``deadline``."""
        ...

    def push(self, config: ConnectionConfig, records: Sequence[ExportRecord]) -> PushResult:
        """Post one batch; raise TransientError or PermanentError for whole-batch failures."""
        ...


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
