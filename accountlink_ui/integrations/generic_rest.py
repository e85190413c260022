"""Generic REST adapter: any JSON API the admin describes with a base URL and an auth flow.

Both the base URL and the OAuth token URL are typed by an org admin, so every
call goes through the guarded client (``guarded=True``): https only, public
addresses only, unless the operator allowlisted the host.

A connection test is one GET of the health path (plus one token request for
OAuth client credentials while no cached token is fresh; authlib builds it and
the guarded client sends it, see ``oauth.py``). Records are POSTed
as ``{"records": [...]}`` with an ``Idempotency-Key`` header per batch, derived
from the records' own keys so a retried batch carries the same header.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from accountlink_ui.accounting.chart import Chart
from accountlink_ui.accounting.money import to_major
from accountlink_ui.accounting.vouchers import EXPENSE, Voucher
from accountlink_ui.integrations.contracts import (
    ConnectionConfig,
    ConnectionResult,
    IntegrationError,
    PostedLine,
    PushResult,
)
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.entra import TokenCache, credential_fingerprint
from accountlink_ui.integrations.http import (
    DeadlineExceeded,
    HttpReply,
    OutboundClient,
    OutboundError,
    from_outbound,
    run_connection_test,
    scrub,
    scrub_config,
)
from accountlink_ui.integrations.oauth import TokenRefused, client_credentials_token
from accountlink_ui.integrations.types import (
    PRODUCTION,
    SANDBOX,
    AuthFlow,
    Destination,
    FieldKind,
    FieldSpec,
    IntegrationType,
)
from accountlink_ui.settings import Settings

PUSH_SECONDS = 60.0
DEFAULT_TOKEN_SECONDS = 3600.0

# The fields to highlight when the API says 401/403, per auth flow.
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "api_key_header": ("api_key", "header_name"),
    "api_key_query": ("api_key", "query_param"),
    "bearer": ("bearer_token",),
    "basic": ("username", "password"),
    "oauth2_client_credentials": ("client_id", "client_secret", "scope"),
}


# --- the declaration ------------------------------------------------------------------

_BASE_URL = FieldSpec(
    key="base_url",
    label="Base URL",
    kind=FieldKind.URL,
    help="The API's root, e.g. https://api.example.com/v1.",
    placeholder="https://api.example.com/v1",
    max_length=500,
    destination=Destination.ORIGIN,
)
_SECRET_CHARS = r"\S{4,}"
_API_KEY = FieldSpec(
    key="api_key",
    label="API key",
    kind=FieldKind.SECRET,
    pattern=_SECRET_CHARS,
    pattern_message="The key has no spaces.",
    max_length=1000,
)

GENERIC_REST = IntegrationType(
    key="generic_rest",
    order=30,
    label="Generic REST API",
    summary="Needs the API's base URL and how it authenticates (key, token, basic or OAuth2).",
    probe="calls the health path and checks the status code",
    environments=(SANDBOX, PRODUCTION),
    batch_size=500,
    adapter=lambda settings: GenericRestAdapter(settings),
    common_fields=(
        _BASE_URL,
        FieldSpec(
            key="health_path",
            label="Health check path",
            help="A cheap GET that needs authentication.",
            default="/health",
            pattern=r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*",
            pattern_message="Start the path with '/', e.g. /health.",
            max_length=300,
        ),
        FieldSpec(
            key="expected_status",
            label="Expected status",
            help="The HTTP status the health check answers when all is well.",
            default="200",
            pattern=r"[1-5][0-9]{2}",
            pattern_message="Enter an HTTP status code such as 200.",
            max_length=3,
        ),
        FieldSpec(
            key="records_path",
            label="Records path",
            help="Where approved expense claims are POSTed as JSON.",
            default="/expenses",
            pattern=r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*",
            pattern_message="Start the path with '/', e.g. /expenses.",
            max_length=300,
        ),
    ),
    auth_flows=(
        AuthFlow(
            key="api_key_header",
            label="API key in a header",
            description="Each request carries the key in a header you name.",
            fields=(
                FieldSpec(
                    key="header_name",
                    label="Header name",
                    default="X-API-Key",
                    pattern=r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}",
                    pattern_message="A header name uses letters, digits and - (no spaces or colons).",
                    max_length=100,
                    destination=Destination.NAME,
                ),
                _API_KEY,
            ),
        ),
        AuthFlow(
            key="api_key_query",
            label="API key in the query",
            description="Each request carries the key as a query parameter.",
            fields=(
                FieldSpec(
                    key="query_param",
                    label="Query parameter",
                    default="api_key",
                    pattern=r"[A-Za-z0-9._~-]{1,100}",
                    pattern_message="A parameter name uses letters, digits, '.', '_', '~' and '-'.",
                    max_length=100,
                    destination=Destination.EXACT,
                ),
                _API_KEY,
            ),
        ),
        AuthFlow(
            key="bearer",
            label="Bearer token",
            description="'Authorization: Bearer <token>' with a token you paste.",
            fields=(
                FieldSpec(
                    key="bearer_token",
                    label="Bearer token",
                    kind=FieldKind.SECRET,
                    pattern=_SECRET_CHARS,
                    pattern_message="The token has no spaces.",
                    max_length=4000,
                ),
            ),
        ),
        AuthFlow(
            key="basic",
            label="Basic auth",
            description="A user name and password.",
            fields=(
                FieldSpec(
                    key="username",
                    label="User name",
                    max_length=200,
                    pattern=r"[^:]+",
                    pattern_message="A user name cannot contain ':'.",
                ),
                FieldSpec(key="password", label="Password", kind=FieldKind.SECRET, max_length=400),
            ),
        ),
        AuthFlow(
            key="oauth2_client_credentials",
            label="OAuth 2.0 client credentials",
            description="A token from your token URL, renewed before it expires.",
            fields=(
                FieldSpec(
                    key="token_url",
                    label="Token URL",
                    kind=FieldKind.URL,
                    placeholder="https://auth.example.com/oauth2/token",
                    max_length=500,
                    destination=Destination.ORIGIN,
                ),
                FieldSpec(key="client_id", label="Client ID", max_length=300),
                FieldSpec(
                    key="client_secret",
                    label="Client secret",
                    kind=FieldKind.SECRET,
                    max_length=1000,
                ),
                FieldSpec(
                    key="scope",
                    label="Scope",
                    required=False,
                    max_length=500,
                    help="Space-separated scopes, if the API asks for any.",
                ),
            ),
        ),
    ),
)
INTEGRATION_TYPE = GENERIC_REST


@dataclass
class _Auth:
    """How one request carries the credentials."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    secret_params: tuple[str, ...] = ()
    from_cache: bool = False


class GenericRestAdapter:
    """Health-checks and posts to a REST API described by the admin."""

    type_key = GENERIC_REST.key

    def __init__(
        self,
        settings: Settings,
        *,
        http: OutboundClient | None = None,
        tokens: TokenCache | None = None,
    ) -> None:
        self._http = http or OutboundClient(settings)
        self.tokens = tokens or TokenCache()

    # --- connection test ------------------------------------------------------------------

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        label = _host_label(_setting(config, "base_url"))
        return run_connection_test(lambda: self._probe(config, deadline), deadline, label)

    def _probe(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        path = _setting(config, "health_path") or "/health"
        expected = _setting(config, "expected_status") or "200"
        try:
            reply = self._call(config, "GET", path, deadline)
            label = _host_label(str(reply.url))
            if str(reply.status_code) == expected:
                return ConnectionResult(
                    ok=True,
                    message=f"{label} answered GET {path} with HTTP {expected} as expected.",
                    reached=label,
                )
            raise _status_failure(reply, config, f"GET {path}", expected=expected)
        except DeadlineExceeded:
            raise  # run_connection_test words it, naming what was awaited
        except IntegrationError as failure:
            return failure.result()

    # --- push -----------------------------------------------------------------------------

    def push(self, config: ConnectionConfig, vouchers: Sequence[Voucher]) -> PushResult:
        """POST the batch, one record per voucher with its balanced lines; the API's
        per-record answer, when given, decides accepted/failed."""
        if not vouchers:
            return PushResult(accepted={})
        path = _setting(config, "records_path") or "/expenses"
        keys = [voucher.key for voucher in vouchers]
        try:
            reply = self._call(
                config,
                "POST",
                path,
                Deadline(PUSH_SECONDS),
                json={"records": [_record(voucher) for voucher in vouchers]},
                headers={"Idempotency-Key": batch_idempotency_key(keys)},
            )
            if not reply.ok:
                raise _status_failure(reply, config, f"POST {path}")
            return _push_result(reply, keys)
        except IntegrationError as failure:
            raise failure.push_error() from None

    def payload_lines(self, config: ConnectionConfig, voucher: Voucher) -> list[PostedLine]:
        record = _record(voucher)
        return [
            PostedLine(
                voucher=record["voucher_number"],
                account=line["account"],
                amount=Decimal(line["amount"]),
                tax_code=line["tax_code"],
                dimensions=tuple(line["dimensions"].items()),
                text=record["description"],
            )
            for line in record["lines"]
        ]

    def chart(self, config: ConnectionConfig) -> Chart:
        """A generic API has no chart to list: the Posting step takes codes as typed."""
        return Chart()

    # --- requests -------------------------------------------------------------------------

    def _call(
        self,
        config: ConnectionConfig,
        method: str,
        path: str,
        deadline: Deadline,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpReply:
        """One authorized request; an OAuth token from the cache that fails 401 is renewed once."""
        base = _setting(config, "base_url")
        if not base:
            raise IntegrationError.of("Enter the API's base URL.", ("base_url",))
        url = f"{base.rstrip('/')}/{path.lstrip('/')}"
        auth = self._auth(config, deadline)
        reply = self._send(method, url, deadline, auth, json, headers)
        if reply.status_code == 401 and auth.from_cache:
            auth = self._auth(config, deadline, refresh=True)
            reply = self._send(method, url, deadline, auth, json, headers)
        return reply

    def _send(
        self,
        method: str,
        url: str,
        deadline: Deadline,
        auth: _Auth,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> HttpReply:
        try:
            return self._http.request(
                method,
                url,
                deadline=deadline,
                guarded=True,
                headers={**auth.headers, **(headers or {})},
                params=auth.params or None,
                json=json,
                secret_params=auth.secret_params,
            )
        except OutboundError as exc:
            raise from_outbound(_host_label(url), exc, ("base_url",)) from None

    def _auth(
        self, config: ConnectionConfig, deadline: Deadline, *, refresh: bool = False
    ) -> _Auth:
        flow = config.auth_flow
        if flow == "api_key_header":
            name = _setting(config, "header_name") or "X-API-Key"
            return _Auth(headers={name: _secret(config, "api_key")})
        if flow == "api_key_query":
            name = _setting(config, "query_param") or "api_key"
            return _Auth(params={name: _secret(config, "api_key")}, secret_params=(name,))
        if flow == "bearer":
            return _Auth(headers={"Authorization": f"Bearer {_secret(config, 'bearer_token')}"})
        if flow == "basic":
            pair = f"{_required(config, 'username')}:{_secret(config, 'password')}"
            encoded = base64.b64encode(pair.encode()).decode()
            return _Auth(headers={"Authorization": f"Basic {encoded}"})
        if flow == "oauth2_client_credentials":
            token, from_cache = self._oauth_token(config, deadline, refresh=refresh)
            return _Auth(headers={"Authorization": f"Bearer {token}"}, from_cache=from_cache)
        raise IntegrationError.of(f"Unknown sign-in method '{flow}'.")

    def _oauth_token(
        self, config: ConnectionConfig, deadline: Deadline, *, refresh: bool
    ) -> tuple[str, bool]:
        token_url = _required(config, "token_url")
        client_id = _required(config, "client_id")
        secret = _secret(config, "client_secret")
        scope = _setting(config, "scope")
        key = ("rest", token_url, client_id, scope, credential_fingerprint("secret", secret))
        if refresh:
            self.tokens.discard(key)
        cached = self.tokens.get(key)
        if cached is not None:
            return cached, True
        try:
            body = client_credentials_token(
                self._http,
                token_url,
                deadline=deadline,
                guarded=True,  # typed by the admin: the SSRF pin applies to it too
                client_id=client_id,
                client_secret=secret,
                scope=scope,
            )
        except OutboundError as exc:
            raise from_outbound(
                f"the token URL ({_host_label(token_url)})", exc, ("token_url",)
            ) from None
        except TokenRefused as refused:
            raise _token_failure(refused.reply, refused.body, secret) from None
        token = str(body["access_token"])
        self.tokens.put(key, token, float(body.get("expires_in") or DEFAULT_TOKEN_SECONDS))
        return token, False


# --- answers → failures and results ---------------------------------------------------------


def _status_failure(
    reply: HttpReply, config: ConnectionConfig, what: str, *, expected: str | None = None
) -> IntegrationError:
    status = reply.status_code
    label = _host_label(str(reply.url))
    if status in (401, 403):
        fields = CREDENTIAL_FIELDS.get(config.auth_flow, ())
        labels = _labels(config, fields)
        word = "rejected" if status == 401 else "accepted but did not authorize"
        return IntegrationError.of(
            f"{label} {word} the credentials (HTTP {status} for {what}). Check the {labels}.",
            fields,
            code=str(status),
        )
    if status == 404:
        field_key = "health_path" if what.startswith("GET") else "records_path"
        return IntegrationError.of(
            f"{label} has no {what.split(' ', 1)[1]} (HTTP 404). Check the path and the base URL.",
            (field_key, "base_url"),
            code="404",
        )
    if status == 429:
        wait = reply.retry_after()
        return IntegrationError.of(
            f"{label} is limiting requests (HTTP 429); try again "
            + (f"in {wait:g} s." if wait is not None else "shortly."),
            code="429",
            transient=True,
            retry_after=wait,
        )
    if status >= 500:
        got = f"expected HTTP {expected}, got {status}" if expected else f"HTTP {status}"
        return IntegrationError.of(
            f"{label} had a server error ({got} for {what}). Try again later.",
            code=str(status),
            transient=True,
        )
    if expected is not None:
        return IntegrationError.of(
            f"{label} answered {what} with HTTP {status}, but HTTP {expected} was expected. "
            "Check the health check path and the expected status.",
            ("expected_status", "health_path"),
            code=str(status),
        )
    detail = _problem_detail(reply, config)
    return IntegrationError.of(f"{label} refused {what} (HTTP {status}){detail}.", code=str(status))


def _token_failure(reply: HttpReply, body: object, secret: str) -> IntegrationError:
    status = reply.status_code
    error = str(body.get("error") or "") if isinstance(body, dict) else ""
    description = (
        scrub(str(body.get("error_description") or ""), [secret])[:200]
        if isinstance(body, dict)
        else ""
    )
    said = (
        f" ({error}: {description})" if error and description else (f" ({error})" if error else "")
    )
    if error == "invalid_client" or (status == 401 and not error):
        return IntegrationError.of(
            f"The token URL rejected the client ID or secret{said}.",
            ("client_id", "client_secret"),
            code=error or "401",
        )
    if error == "invalid_scope":
        return IntegrationError.of(
            f"The token URL did not accept the scope{said}.", ("scope",), code=error
        )
    if error in ("unauthorized_client", "unsupported_grant_type"):
        return IntegrationError.of(
            f"This client may not use the client-credentials grant{said}.",
            ("client_id",),
            code=error,
        )
    if status == 404:
        return IntegrationError.of(
            "The token URL answered 'not found' (HTTP 404).", ("token_url",), code="404"
        )
    if status == 429 or status >= 500:
        return IntegrationError.of(
            f"The token URL is not answering normally (HTTP {status}). Try again later.",
            code=str(status),
            transient=True,
            retry_after=reply.retry_after(),
        )
    if body is None:
        return IntegrationError.of(
            f"The token URL answered HTTP {status} with something that is not JSON. Check "
            "that it is the OAuth token endpoint.",
            ("token_url",),
        )
    return IntegrationError.of(
        f"The token URL refused the request (HTTP {status}){said}.",
        ("token_url",),
        code=error or None,
    )


_REFUSED_STATUSES = frozenset({"error", "failed", "rejected", "invalid"})


def _push_result(reply: HttpReply, keys: list[str]) -> PushResult:
    """Read per-record results when the API gives them; otherwise the 2xx accepts all.

    A result names its record by ``idempotency_key`` or by ``index`` in the batch,
    and its external reference by ``id`` or ``ledger_id``; a duplicate counts as
    accepted (the API already has it). One flat loop: it runs for every record a
    sync sends, on the thread that waits for the next answer.
    """
    body = _json_or_none(reply)
    entries = body.get("results") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        return PushResult(accepted={key: key for key in keys})
    accepted: dict[str, str] = {}
    failed: dict[str, str] = {}
    known = set(keys)  # a 500-record batch: a list lookup per entry would be quadratic
    count = len(keys)
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        key = entry.get("idempotency_key")
        if key not in known:
            index = entry.get("index")
            if type(index) is not int or not 0 <= index < count:  # bool is not an index
                continue
            key = keys[index]
        error = entry.get("error")
        status = entry.get("status")
        if error or (status and str(status).lower() in _REFUSED_STATUSES):
            failed[key] = str(error or status)[:300]
        else:
            accepted[key] = str(entry.get("id") or entry.get("ledger_id") or key)
    for key in keys:
        if key not in accepted and key not in failed:
            failed[key] = "The API did not confirm this record."
    return PushResult(accepted=accepted, failed=failed)


def batch_idempotency_key(keys: Sequence[str]) -> str:
    """The same batch of records (in any order) always gets the same header."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()
    return f"accountlink-{digest[:40]}"


def _record(voucher: Voucher) -> dict[str, Any]:
    """One voucher as the generic API receives it: the gross amount and expense account at the
    top (what earlier versions sent), and the balanced lines, debit positive."""
    expense = voucher.line(EXPENSE)
    return {
        "idempotency_key": voucher.key,
        "voucher_number": voucher.number,
        "posted_date": voucher.posted_date.isoformat(),
        "amount": str(to_major(voucher.gross_minor)),
        "currency": voucher.currency,
        "account_code": expense.account if expense else "",
        "description": voucher.text,
        "lines": [
            {
                "role": line.role,
                "account": line.account,
                "account_type": line.account_type,
                "amount": str(line.amount),
                "tax_code": line.tax_code,
                "dimensions": dict(line.dimensions),
            }
            for line in voucher.lines
        ],
    }


def _json_or_none(reply: HttpReply) -> Any:
    try:
        return reply.json()
    except OutboundError:
        return None


def _problem_detail(reply: HttpReply, config: ConnectionConfig) -> str:
    body = _json_or_none(reply)
    if not isinstance(body, dict):
        return ""
    text = body.get("detail") or body.get("message") or body.get("error") or body.get("title")
    return f": {scrub_config(str(text), config)[:200]}" if text else ""


def _host_label(url: str) -> str:
    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, TypeError):  # reported properly when the client parses it
        host = ""
    return host or "the API"


def _labels(config: ConnectionConfig, keys: tuple[str, ...]) -> str:
    specs = {spec.key: spec.label for spec in GENERIC_REST.fields_for(config.auth_flow)}
    names = [specs.get(key, key) for key in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _setting(config: ConnectionConfig, key: str) -> str:
    return (config.settings.get(key) or "").strip()


def _required(config: ConnectionConfig, key: str) -> str:
    value = _setting(config, key) or (config.secrets.get(key) or "").strip()
    if not value:
        raise IntegrationError.of(f"{_labels(config, (key,))} is required.", (key,))
    return value


def _secret(config: ConnectionConfig, key: str) -> str:
    value = (config.secrets.get(key) or "").strip()
    if not value:
        raise IntegrationError.of(f"{_labels(config, (key,))} is required.", (key,))
    return value
