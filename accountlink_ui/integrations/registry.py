"""REST API Adapter Registry: the adapter protocol and the lookup by type key.

An adapter turns a configuration (non-secret settings plus decrypted secrets)
into calls to one accounting system. Adapters never touch the database or the
vault; the service hands them what they need for one operation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from accountlink_ui import redaction
from accountlink_ui.accounting.chart import Chart
from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import Voucher
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
    posting: PostingSettings | None = None
    """How claims become postings; None until the integration's Posting step is done."""

    def require_posting(self) -> PostingSettings:
        """The posting settings, or a refusal that leaves every claim waiting."""
        if self.posting is None:
            raise PermanentError(
                "Posting is not set up for this integration: choose the accounts on its "
                "Posting settings first.",
                nothing_sent=True,
            )
        return self.posting


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


@dataclass(frozen=True)
class PostedLine:
    """One line as a target receives it, in neutral words, for the preview and for tests
    that compare the preview with what the target received."""

    voucher: str
    account: str
    amount: Decimal
    """Debit positive, credit negative; for a balanced single line (Business Central with a
    balancing account) the amount on ``account``, the balancing account taking the opposite."""
    balancing_account: str = ""
    tax_code: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    text: str = ""
    account_type: str = ""


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
    """Retrying will not help until someone changes the configuration or the data.

    ``nothing_sent``: the target refused before it could have stored any of the batch
    (authorization, a missing journal, a missing scope), so its claims still wait rather
    than await confirmation."""

    def __init__(
        self, message: str, *, fields: tuple[str, ...] = (), nothing_sent: bool = False
    ) -> None:
        super().__init__(redaction.scrub(message))  # header values, secret params, issued tokens
        self.fields = fields
        self.nothing_sent = nothing_sent


class Adapter(Protocol):
    type_key: str

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        """One cheap probe (two for OAuth: token, then probe), finished before ``deadline``."""
        ...

    def push(self, config: ConnectionConfig, vouchers: Sequence[Voucher]) -> PushResult:
        """Post one batch of vouchers, keyed by ``Voucher.key``; never split a voucher across
        two calls. Raise TransientError or PermanentError for whole-batch failures, with
        ``nothing_sent`` when the target cannot hold any of the batch."""
        ...

    def payload_lines(self, config: ConnectionConfig, voucher: Voucher) -> list[PostedLine]:
        """The lines ``push`` sends for ``voucher``, read back from the very payload it
        builds: what the posting preview shows."""
        ...

    def chart(self, config: ConnectionConfig) -> Chart:
        """Accounts, tax codes, dimensions and journals the target offers (one request where
        the protocol allows it); an empty Chart when the system cannot list them."""
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
