"""The one guarded HTTP client every outbound call goes through (DESIGN rule 6).

What it guarantees:

* Every request has explicit connect/read/write/pool timeouts, each capped by
  what remains of the operation's :class:`Deadline`; the body is read chunk by
  chunk and abandoned once the deadline passes, so a server that drips bytes
  cannot keep a worker busy for long. :func:`run_connection_test` adds the hard
  end-to-end bound: the probe runs in a worker thread and the caller gets an
  answer when the deadline is up, whatever the worker is doing.
* Redirects are followed only to the same host, at most three times, and each
  hop is checked again. A redirect to another host is an error, not a hop.
* URLs typed by admins (``guarded=True``) must be https (plain http only for
  allowlisted hosts) and may only reach public addresses (see ``ssrf.py``).
  The check runs inside the connection itself: a custom httpcore network
  backend resolves the name once, vets every address, and opens the socket to
  the vetted address. There is no second lookup for a rebinding DNS server to
  answer differently, TLS still verifies the certificate against the host name
  (SNI and Host stay the name the admin typed), and every new connection,
  including one opened for a redirect, is vetted the same way. Rewriting the
  URL to the IP instead would also pin, but breaks virtual hosting and shares
  pooled connections across names.
* Failures are named exceptions (:class:`OutboundError` and subclasses, each transient
  or permanent in the one hierarchy of ``contracts.py``) whose
  message an admin can read and which name the host; none carries a header,
  form body or query secret. Debug logs show URLs with secret parameters
  replaced by ``***``. Requests go straight to the transport (no
  ``httpx.Client``), so there is no cookie jar shared between organizations and
  no httpx log line with a raw query string.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

import httpcore
import httpx

from accountlink_ui import redaction
from accountlink_ui.i18n import Message
from accountlink_ui.integrations import ssrf
from accountlink_ui.integrations.contracts import (
    ConnectionConfig,
    ConnectionResult,
    IntegrationError,
    PermanentError,
    TransientError,
)
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.request_ids import HEADER as REQUEST_ID_HEADER
from accountlink_ui.request_ids import current_request_id
from accountlink_ui.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)
MAX_REDIRECTS = 3
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
USER_AGENT = "AccountLink/0.1"
SECRET_PARAMS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "client_secret", "client_assertion",
     "password", "code", "sig", "signature"}
)  # fmt: skip
_REDIRECTS = {301, 302, 303, 307, 308}

Resolver = Callable[[str, int], list[ssrf.IPAddress]]


# --- errors -----------------------------------------------------------------------------------


class OutboundError(IntegrationError):
    """A call to an external system failed before a usable answer arrived.

    Each subclass is also a :class:`TransientError` or a :class:`PermanentError`, which says
    whether retrying later may help."""

    def __init__(self, message: Message | str, *, host: str) -> None:
        super().__init__(message)
        self.host = host


class InvalidUrlError(OutboundError, PermanentError):
    pass


class InsecureUrlError(OutboundError, PermanentError):
    pass


class BlockedAddressError(OutboundError, PermanentError):
    def __init__(self, message: Message | str, *, host: str, address: str) -> None:
        super().__init__(message, host=host)
        self.address = address


class DnsError(OutboundError, TransientError):
    pass


class ConnectError(OutboundError, TransientError):
    pass


class TlsError(OutboundError, PermanentError):
    pass


class ConnectionDroppedError(OutboundError, TransientError):
    pass


class RequestTimeoutError(OutboundError, TransientError):
    pass


class DeadlineExceeded(RequestTimeoutError):
    def __init__(self, message: Message | str, *, host: str, seconds: float) -> None:
        super().__init__(message, host=host)
        self.seconds = seconds


class CrossHostRedirectError(OutboundError, PermanentError):
    pass


class TooManyRedirectsError(OutboundError, PermanentError):
    pass


class ResponseTooLargeError(OutboundError, PermanentError):
    pass


class NotJsonError(OutboundError, TransientError):
    pass


# --- replies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpReply:
    """A fully read answer; reading is done so the caller never holds a connection."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: httpx.URL
    elapsed_ms: int

    @property
    def host(self) -> str:
        return self.url.host

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        """The body as JSON, or :class:`NotJsonError` saying what came instead.

        The body is already capped (``MAX_RESPONSE_BYTES``), but a few hundred KiB of
        ``[[[[...`` nest deeper than the parser recurses: RecursionError is not a
        ValueError, so it is caught here too, or a hostile target would crash the test
        with a stack trace instead of getting a plain answer.
        """
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError):
            kind = self.headers.get("content-type", "").split(";")[0]
            raise NotJsonError(
                Message.of(
                    "http.not_json" if kind else "http.not_json_untyped",
                    host=self.host,
                    status=self.status_code,
                    kind=kind,
                    size=len(self.content),
                ),
                host=self.host,
            ) from None

    def retry_after(self) -> float | None:
        return retry_after_seconds(self.headers)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (delta or HTTP date), or None if absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


# --- redaction ----------------------------------------------------------------------------------


def redact_url(url: httpx.URL, secret_params: Collection[str] = ()) -> str:
    """The URL for a log line: secret query values become ``***``, user info is dropped."""
    hidden = SECRET_PARAMS | {name.lower() for name in secret_params}
    pairs = [
        f"{name}={'***' if name.lower() in hidden else value}"
        for name, value in url.params.multi_items()
    ]
    bare = str(url.copy_with(query=None, fragment=None, username=None, password=None))
    return f"{bare}?{'&'.join(pairs)}" if pairs else bare


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without ``secrets``, anything derived from them, or credential-shaped values.

    The one scrubber (``accountlink_ui.redaction``); servers sometimes echo input.
    """
    return redaction.scrub(text, secrets)


IDENTITY_FIELDS = ("username", "client_id", "user", "login")
"""Fields whose value pairs with a secret in ``identity:secret`` (Basic auth)."""


def scrub_config(text: str, config: ConnectionConfig) -> str:
    """``text`` scrubbed of everything one configuration's secrets could have become."""
    identities = [
        value
        for key in IDENTITY_FIELDS
        for value in (config.settings.get(key), config.secrets.get(key))
        if value
    ]
    params = [config.settings.get("query_param") or "", config.settings.get("header_name") or ""]
    return redaction.scrub(
        text, config.secrets.values(), identities=identities, params=[p for p in params if p]
    )


# --- connecting -----------------------------------------------------------------------------------


def system_resolver(host: str, port: int) -> list[ssrf.IPAddress]:
    """Every address the system resolver gives for ``host``, in its order, without repeats."""
    seen: dict[ssrf.IPAddress, None] = {}
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = ssrf.decode_ip_literal(str(sockaddr[0]))
        if address is not None:
            seen[address] = None
    return list(seen)


class _ResolvingBackend(httpcore.NetworkBackend):
    """Resolves once, optionally vets the addresses, and connects to the vetted address."""

    def __init__(self, resolver: Resolver, allowed_hosts: Collection[str] | None) -> None:
        self._resolver = resolver
        self._allowed_hosts = allowed_hosts  # None: trusted, no vetting
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise DnsError(
                Message.of("http.dns_failed", host=host, reason=_reason(exc)), host=host
            ) from None
        if not addresses:
            raise DnsError(Message.of("http.dns_empty", host=host), host=host)
        if self._allowed_hosts is not None:
            refusal = ssrf.find_refusal(host, addresses, self._allowed_hosts, port=port)
            if refusal is not None:
                raise blocked_error(host, refusal, port)
        failure: OutboundError | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectTimeout:
                failure = RequestTimeoutError(
                    Message.of(
                        "http.connect_timeout", host=host, port=str(port), seconds=timeout or 0
                    ),
                    host=host,
                )
            except httpcore.ConnectError as exc:
                failure = ConnectError(_connect_message(host, port, exc), host=host)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise ConnectError(Message.of("http.unix_socket"), host=path)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def blocked_error(host: str, refusal: ssrf.Refusal, port: int) -> BlockedAddressError:
    address = str(refusal.address)
    code = "http.blocked_address" if host.strip("[]") == address else "http.blocked_host"
    return BlockedAddressError(
        Message.of(
            code,
            host=host,
            address=address,
            reason=ssrf.blocked_reason_message(refusal.address) or refusal.reason,
            entry=ssrf.host_port(host.strip("[]"), port),
        ),
        host=host,
        address=address,
    )


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _connect_message(host: str, port: int, exc: BaseException) -> Message:
    cause = exc.__cause__ or exc.__context__ or exc
    if isinstance(cause, ConnectionRefusedError):
        return Message.of("http.connection_refused", host=host, port=str(port))
    return Message.of("http.connect_failed", host=host, port=str(port), reason=_reason(cause))


class _Transport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that uses the resolving backend."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: httpcore.NetworkBackend) -> None:
        super().__init__(verify=ssl_context)
        # httpx 0.28 has no public seam for the network backend; ``_pool`` is the one
        # attribute its handle_request uses (pinned version; the SSRF tests fail if it moves).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=50,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


@lru_cache(maxsize=1)
def default_ssl_context() -> ssl.SSLContext:
    """One verifying context per process: building it loads the CA bundle (milliseconds)."""
    return httpx.create_ssl_context()


# --- the client -----------------------------------------------------------------------------------


class OutboundClient:
    """Sends requests for one adapter; ``guarded=True`` for URLs an admin typed."""

    def __init__(
        self,
        settings: Settings,
        *,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Resolver = system_resolver,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._allowed_hosts = tuple(settings.allowed_hosts)
        self._timeout = timeout
        context = ssl_context or default_ssl_context()
        self._trusted = _Transport(context, _ResolvingBackend(resolver, None))
        self._guarded = _Transport(context, _ResolvingBackend(resolver, self._allowed_hosts))

    def close(self) -> None:
        self._trusted.close()
        self._guarded.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        deadline: Deadline,
        guarded: bool = False,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        secret_params: Collection[str] = (),
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> HttpReply:
        """One logical request: same-host redirects followed, body read, errors named."""
        started = time.monotonic()
        target = self._parse(url)
        request = self._build(method, target, headers, params, json, data, content)
        for hop in range(MAX_REDIRECTS + 1):
            self._check_url(request.url, guarded)
            response = self._send(request, deadline, guarded)
            location = response.headers.get("location")
            if response.status_code not in _REDIRECTS or not location:
                content = self._read(response, request.url.host, deadline, max_bytes)
                elapsed = int((time.monotonic() - started) * 1000)
                log.info(
                    "outbound %s %s -> %s in %d ms",
                    request.method,
                    redact_url(request.url, secret_params),
                    response.status_code,
                    elapsed,
                )
                return HttpReply(
                    response.status_code, response.headers, content, request.url, elapsed
                )
            response.close()
            if hop == MAX_REDIRECTS:
                break
            request = self._follow(request, response.status_code, location)
        raise TooManyRedirectsError(
            Message.of("http.too_many_redirects", host=target.host, count=MAX_REDIRECTS),
            host=target.host,
        )

    # -- steps --

    @staticmethod
    def _parse(url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise InvalidUrlError(
                Message.of("http.unusable_url", url=url[:200], reason=str(exc)), host=""
            ) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidUrlError(Message.of("http.url_needs_host"), host=parsed.host)
        return parsed

    @staticmethod
    def _build(
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        json_body: Any,
        data: Mapping[str, str] | None,
        content: bytes | None = None,
    ) -> httpx.Request:
        """``content``: exact body bytes (a signed webhook must arrive as it was signed)."""
        merged = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        request_id = current_request_id()
        if request_id:
            # The target's support can find our call in their logs by the id in ours.
            merged.setdefault(REQUEST_ID_HEADER, request_id)
        return httpx.Request(
            method, url, headers=merged, params=params, json=json_body, data=data, content=content
        )

    def _check_url(self, url: httpx.URL, guarded: bool) -> None:
        if url.scheme not in ("http", "https"):
            raise InvalidUrlError(Message.of("http.scheme", scheme=url.scheme), host=url.host)
        if not guarded:
            return
        port = url.port or ssrf.default_port(url.scheme)
        literal = ssrf.decode_ip_literal(url.host)
        if literal is not None:  # refuse a literal IP before any DNS lookup or socket
            refusal = ssrf.find_refusal(url.host, [literal], self._allowed_hosts, port=port)
            if refusal is not None:
                raise blocked_error(url.host, refusal, port)
        if url.scheme != "https" and not ssrf.is_allowlisted(url.host, port, self._allowed_hosts):
            raise InsecureUrlError(Message.of("http.use_https", host=url.host), host=url.host)

    def _send(self, request: httpx.Request, deadline: Deadline, guarded: bool) -> httpx.Response:
        host = request.url.host
        remaining = deadline.remaining()
        if remaining <= 0:
            raise _deadline_error(deadline, host)
        timeout = self._timeout
        request.extensions["timeout"] = httpx.Timeout(
            connect=min(timeout.connect or remaining, remaining),
            read=min(timeout.read or remaining, remaining),
            write=min(timeout.write or remaining, remaining),
            pool=min(timeout.pool or remaining, remaining),
        ).as_dict()
        transport = self._guarded if guarded else self._trusted
        try:
            return transport.handle_request(request)
        except httpx.TimeoutException as exc:
            raise _timeout_error(deadline, host, exc) from None
        except (httpx.ConnectError, httpx.ReadError, httpx.WriteError) as exc:
            raise _transport_error(request.url, exc) from None
        except httpx.RemoteProtocolError as exc:
            raise ConnectionDroppedError(
                Message.of("http.broken_answer", host=host, reason=str(exc)), host=host
            ) from None

    @staticmethod
    def _read(response: httpx.Response, host: str, deadline: Deadline, max_bytes: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    raise ResponseTooLargeError(
                        Message.of("http.too_large", host=host, kib=max_bytes // 1024),
                        host=host,
                    )
                if deadline.expired:
                    raise _deadline_error(deadline, host)
        except httpx.TimeoutException as exc:
            raise _timeout_error(deadline, host, exc) from None
        except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
            raise ConnectionDroppedError(
                Message.of("http.dropped", host=host, reason=str(exc)), host=host
            ) from None
        finally:
            response.close()
        return b"".join(chunks)

    @staticmethod
    def _follow(request: httpx.Request, status: int, location: str) -> httpx.Request:
        target = request.url.join(location)
        if target.host.lower() != request.url.host.lower():
            raise CrossHostRedirectError(
                Message.of("http.cross_host_redirect", host=request.url.host, target=target.host),
                host=request.url.host,
            )
        headers = httpx.Headers(request.headers)
        del headers["host"]
        if status == 303 or (status in (301, 302) and request.method == "POST"):
            for name in ("content-length", "content-type", "transfer-encoding"):
                headers.pop(name, None)
            return httpx.Request("GET", target, headers=headers)
        return httpx.Request(request.method, target, headers=headers, content=request.content)


def _deadline_error(deadline: Deadline, host: str) -> DeadlineExceeded:
    return DeadlineExceeded(
        Message.of("http.deadline", seconds=deadline.seconds, host=host),
        host=host,
        seconds=deadline.seconds,
    )


def _timeout_error(deadline: Deadline, host: str, exc: BaseException) -> RequestTimeoutError:
    if deadline.remaining() <= 0.05:
        return _deadline_error(deadline, host)
    codes: dict[type[BaseException], str] = {
        httpx.ConnectTimeout: "http.slow_connect",
        httpx.WriteTimeout: "http.slow_request",
        httpx.PoolTimeout: "http.slow_pool",
    }
    code = codes.get(type(exc), "http.slow_answer")
    return RequestTimeoutError(Message.of(code, host=host), host=host)


def _transport_error(url: httpx.URL, exc: BaseException) -> OutboundError:
    host = url.host
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if tls is not None:
        detail = getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or str(tls)
        return TlsError(Message.of("http.tls", host=host, reason=str(detail)), host=host)
    if isinstance(exc, httpx.ConnectError):
        port = url.port or (443 if url.scheme == "https" else 80)
        return ConnectError(_connect_message(host, port, exc), host=host)
    return ConnectionDroppedError(
        Message.of("http.broke", host=host, reason=_reason(exc)), host=host
    )


# --- failures written for the admin ---------------------------------------------------------


def from_outbound(
    system_label: str | Message, exc: OutboundError, fields: tuple[str, ...] = ()
) -> IntegrationError:
    """``exc`` (already secret-free) worded for the admin: prefixed with the system it
    happened talking to, of the same kind (transient or permanent)."""
    if isinstance(exc, BlockedAddressError | InsecureUrlError | InvalidUrlError):
        return PermanentError(exc.said, fields, code=type(exc).__name__)
    if isinstance(exc, DeadlineExceeded):
        return TransientError(_timed_out_message(exc.seconds, system_label), fields, code="TIMEOUT")
    code = "TIMEOUT" if isinstance(exc, RequestTimeoutError) else None
    return IntegrationError.of(
        Message.of("outbound.at_system", system=system_label, said=exc.said),
        fields,
        code=code,
        transient=exc.retryable,
    )


# --- connection tests -----------------------------------------------------------------------------


class _Workers:
    """Daemon threads for probes: an idle one is reused, else a new one starts.

    Reuse matters (a fresh thread per test costs about half a millisecond, as
    much as the probe itself on a LAN); never queueing matters more: a probe
    stuck on a dead server must not delay anyone else's test.
    """

    def __init__(self, keep_idle: int = 8) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._keep_idle = keep_idle

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            reuse = self._idle > 0
            if reuse:
                self._idle -= 1
        self._jobs.put(job)
        if not reuse:
            threading.Thread(target=self._work, name="connection-test", daemon=True).start()

    def _work(self) -> None:
        while True:
            self._jobs.get()()
            with self._lock:
                if self._idle >= self._keep_idle:
                    return
                self._idle += 1


_WORKERS = _Workers()


def run_connection_test(
    probe: Callable[[], ConnectionResult],
    deadline: Deadline,
    system_label: str | Callable[[], str],
) -> ConnectionResult:
    """Run ``probe`` in a worker thread; answer by the deadline whatever the worker does.

    Timeouts inside the probe are capped by the same deadline, so an abandoned
    worker stops on its own shortly after. An :class:`OutboundError` the probe
    did not handle becomes a failed result with its (secret-free) message.
    ``system_label`` may be a callable, for probes with stages (sign-in, then API):
    it is read when the deadline passes, so the message names what was awaited.
    """
    outcome: Future[ConnectionResult] = Future()

    def work() -> None:
        if not outcome.set_running_or_notify_cancel():
            return
        try:
            outcome.set_result(probe())
        except BaseException as exc:
            outcome.set_exception(exc)

    # The caller's context (its request id) goes with the probe to the worker thread.
    _WORKERS.submit(functools.partial(contextvars.copy_context().run, work))
    try:
        result = outcome.result(timeout=deadline.remaining())
    except (FutureTimeout, DeadlineExceeded):
        label = system_label() if callable(system_label) else system_label
        result = timed_out(deadline, label)
    except OutboundError as exc:
        result = ConnectionResult(ok=False, said=exc.said)
    except IntegrationError as worded:
        result = worded.result()
    return replace(result, latency_ms=int(deadline.elapsed() * 1000))


def timed_out(deadline: Deadline, system_label: str | Message) -> ConnectionResult:
    return ConnectionResult(
        ok=False, said=_timed_out_message(deadline.seconds, system_label), code="TIMEOUT"
    )


def _timed_out_message(seconds: float, system_label: str | Message) -> Message:
    return Message.of("http.timed_out", seconds=seconds, system=system_label)
