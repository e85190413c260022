"""What the services and the adapters hand each other, and how an adapter fails.

This module imports nothing else from ``integrations`` that could import it back:
the registry, the HTTP client and every adapter import their contracts from here.

One failure hierarchy: :class:`IntegrationError` carries what every failure needs
(a message already worded for the admin and scrubbed of secrets, the fields at
fault, the system's code, ``retry_after``, ``nothing_sent``); its two kinds say
whether a retry can help: :class:`TransientError` (rate limits, 5xx, timeouts) and
:class:`PermanentError` (fix the configuration or the data first). The HTTP client's
failures (``http.OutboundError`` and its subclasses) are each one of the two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Protocol

from accountlink_ui import redaction
from accountlink_ui.accounting.chart import Chart
from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import Voucher
from accountlink_ui.integrations.deadline import Deadline

# --- results -----------------------------------------------------------------------------


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


# --- failures ------------------------------------------------------------------------------


class IntegrationError(Exception):
    """A call to an accounting system failed; the subclass says whether a retry can help.

    ``message`` is worded for the admin and scrubbed (header values, secret parameters,
    issued tokens) as it is made. ``fields``: keys of the form fields at fault. ``code``:
    the system's own error code. ``retry_after``: seconds, when the system said.
    ``nothing_sent``: the target refused before it could have stored any of the batch
    (authorization, a missing journal, a missing scope), so its claims still wait rather
    than await confirmation.
    """

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        fields: tuple[str, ...] = (),
        *,
        code: str | None = None,
        retry_after: float | None = None,
        nothing_sent: bool = False,
    ) -> None:
        message = redaction.scrub(message)
        super().__init__(message)
        self.message = message
        self.fields = tuple(fields)
        self.code = code
        self.retry_after = retry_after
        self.nothing_sent = nothing_sent

    @classmethod
    def of(
        cls,
        message: str,
        fields: tuple[str, ...] = (),
        *,
        code: str | None = None,
        transient: bool = False,
        retry_after: float | None = None,
        nothing_sent: bool = False,
    ) -> IntegrationError:
        """A :class:`TransientError` or a :class:`PermanentError`, as ``transient`` says."""
        kind: type[IntegrationError] = TransientError if transient else PermanentError
        return kind(message, fields, code=code, retry_after=retry_after, nothing_sent=nothing_sent)

    @property
    def transient(self) -> bool:
        return self.retryable

    def result(self) -> ConnectionResult:
        """The failed connection test this failure stands for."""
        return ConnectionResult(ok=False, message=self.message, fields=self.fields, code=self.code)

    def push_error(self, *, nothing_sent: bool = False) -> IntegrationError:
        """This failure as a sync sees it; ``nothing_sent`` (kept only where a retry cannot
        help) when the target cannot have stored any of the batch."""
        if not self.retryable and nothing_sent:
            self.nothing_sent = True
        return self


class TransientError(IntegrationError):
    """Worth retrying: rate limits, 5xx, timeouts. ``retry_after`` is in seconds when known."""

    retryable = True


class PermanentError(IntegrationError):
    """Retrying will not help until someone changes the configuration or the data."""

    retryable = False


# --- what an adapter is given and offers -----------------------------------------------------


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
