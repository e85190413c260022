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
from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import as_message, english, scrub_message
from accountlink_ui.integrations.deadline import Deadline

# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionResult:
    """The outcome of a connection test, for the admin who pressed the button.

    Adapters give ``said`` (a message code; DESIGN rule 11) and the page renders it in the
    admin's language; ``message`` is its English rendering, kept for the stored test
    outcome, the audit entry and logs. A result built with only ``message`` (a test double)
    carries that text verbatim.
    """

    ok: bool
    message: str = ""
    fields: tuple[str, ...] = ()
    """Keys of the fields at fault, so the form can highlight them."""
    reached: str | None = None
    """What answered, e.g. the company name, shown on success."""
    latency_ms: int = 0
    code: str | None = None
    """The system's own error code (AADSTS7000215, BURST_RATE_LIMIT_REACHED, ...)."""
    said: Message | None = None

    def __post_init__(self) -> None:
        if self.said is None:
            object.__setattr__(self, "said", as_message(self.message))
        elif not self.message:
            object.__setattr__(self, "message", english(self.said))

    @property
    def message_code(self) -> Message:
        """``said``, never None (``__post_init__`` fills it)."""
        return self.said or as_message(self.message)


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
    failed: Mapping[str, Message] = field(default_factory=dict)
    """Key → why the target refused it (the target's own words in ``Message.detail``)."""


# --- failures ------------------------------------------------------------------------------


class IntegrationError(Exception):
    """A call to an accounting system failed; the subclass says whether a retry can help.

    ``said`` is the message code for the admin, its text parameters and raw detail scrubbed
    (header values, secret parameters, issued tokens) as it is made; ``message`` is its
    English rendering (logs, stored sync errors). ``fields``: keys of the form fields at fault. ``code``:
    the system's own error code. ``retry_after``: seconds, when the system said.
    ``nothing_sent``: the target refused before it could have stored any of the batch
    (authorization, a missing journal, a missing scope), so its claims still wait rather
    than await confirmation.
    """

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: Message | str,
        fields: tuple[str, ...] = (),
        *,
        code: str | None = None,
        retry_after: float | None = None,
        nothing_sent: bool = False,
    ) -> None:
        self.said = scrub_message(as_message(message), redaction.scrub)
        text = english(self.said)
        super().__init__(text)
        self.message = text
        self.fields = tuple(fields)
        self.code = code
        self.retry_after = retry_after
        self.nothing_sent = nothing_sent

    @classmethod
    def of(
        cls,
        message: Message | str,
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
        return ConnectionResult(
            ok=False, message=self.message, said=self.said, fields=self.fields, code=self.code
        )

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
            raise PermanentError(Message.of("posting.not_set_up"), nothing_sent=True)
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
