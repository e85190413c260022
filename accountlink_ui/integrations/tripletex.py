"""Tripletex: its declaration and its adapter (REST, session token, Basic auth with user 0).

A consumer token (the integration's) and an employee token (made by an administrator
in the customer's company) are exchanged for a session token
(``PUT /token/session/:create``); every other call sends HTTP Basic with user ``0``
(the token owner's own company) and the session token as password. Session tokens
are kept per (API, credentials) for a while and renewed once when Tripletex answers
401 (an expired session), so a sync never stops because its session ran out.

A connection test is the session plus ``GET /token/session/>whoAmI`` asking for the
company's name (``?fields=company(name)``: the field syntax is Tripletex's own; that
the company's name is expanded this way is UNVERIFIED against a live account).

A sync posts each claim as one voucher (``POST /ledger/voucher``) built from the posting
settings (``accounting/vouchers.build_voucher``): the expense posting carries the gross
amount and the VAT type (Tripletex derives the VAT posting from it; only gross amounts
are used), the counter posting the opposite, so every voucher balances. Accounts and VAT
types are sent by id, looked up by number once per batch (``GET /ledger/account?number=
6800,2910``: comma-separated numbers, as public clients send them, UNVERIFIED). The
claim's idempotency key travels as ``externalVoucherNumber``; before anything uncertain
is sent again the sync asks ``GET /ledger/voucher/>externalVoucherNumber`` which claims
Tripletex already holds (``find_existing``). Cost centres and projects are not sent yet
(Tripletex wants department and project ids).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from accountlink_ui.accounting.chart import Chart, ChartEntry
from accountlink_ui.accounting.money import to_major
from accountlink_ui.accounting.posting_settings import COUNTER_EMPLOYEE, PostingSettings
from accountlink_ui.accounting.vouchers import COUNTER, EXPENSE, VAT, Voucher
from accountlink_ui.i18n import Message
from accountlink_ui.integrations.contracts import (
    ConnectionConfig,
    ConnectionResult,
    IntegrationError,
    PermanentError,
    PostedLine,
    PushResult,
    TransientError,
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
    scrub_config,
)
from accountlink_ui.integrations.types import (
    AuthFlow,
    Endpoint,
    Environment,
    FieldKind,
    FieldSpec,
    IntegrationType,
)
from accountlink_ui.settings import Settings

CONSUMER = "consumer_token"
EMPLOYEE = "employee_token"
_TOKENS = (CONSUMER, EMPLOYEE)
SESSION_DAYS = 2
"""A new session token's ``expirationDate``: the day after tomorrow, so it never runs out
mid-day; the adapter renews it well before (``SESSION_REUSE_SECONDS``) or on a 401."""
SESSION_REUSE_SECONDS = 12 * 3600.0
PUSH_SECONDS = 30.0
CHART_COUNT = 1000
_SECRET_PARAMS = ("consumerToken", "employeeToken")
_FIELD_OF_PARAM = {"consumerToken": CONSUMER, "employeeToken": EMPLOYEE}

TRIPLETEX = IntegrationType(
    key="tripletex",
    order=25,
    label="Tripletex",
    summary="Needs the integration's consumer token and an employee token made by a Tripletex "
    "administrator.",
    probe="opens a session with your tokens, then asks Tripletex who you are "
    "(GET /token/session/>whoAmI) for the company's name",
    environments=(
        Environment(
            "sandbox",
            "Test (api-test.tripletex.tech)",
            "Tripletex's test environment: tokens from a test account work only here.",
            (Endpoint("api", "https://api-test.tripletex.tech/v2", "/tripletex/test/v2"),),
        ),
        Environment(
            "production",
            "Production",
            "tripletex.no: your live Tripletex company.",
            (Endpoint("api", "https://tripletex.no/v2", "/tripletex/production/v2"),),
        ),
    ),
    common_fields=(),
    environment_is_destination=True,
    auth_flows=(
        AuthFlow(
            key="session_token",
            label="Consumer and employee token",
            description="Exchanged for a session token; calls use Basic auth with user 0.",
            fields=(
                FieldSpec(
                    key=CONSUMER,
                    label="Consumer token",
                    kind=FieldKind.SECRET,
                    help="Identifies the integration; Tripletex issues it to the integrator "
                    "(your AccountLink operator gives it to you).",
                    pattern=r"\S{8,}",
                    pattern_message=Message.of("field.tripletex.consumer_token.pattern"),
                    max_length=400,
                ),
                FieldSpec(
                    key=EMPLOYEE,
                    label="Employee token",
                    kind=FieldKind.SECRET,
                    help="Created by an administrator in your Tripletex company for this "
                    "integration, with access to the accounts and vouchers.",
                    pattern=r"\S{8,}",
                    pattern_message=Message.of("field.tripletex.employee_token.pattern"),
                    max_length=400,
                ),
            ),
        ),
    ),
    batch_size=100,
    adapter=lambda settings: TripletexAdapter(settings),
)
INTEGRATION_TYPE = TRIPLETEX


class TripletexAdapter:
    """Tests a Tripletex employee token and posts each claim as a balanced voucher."""

    type_key = TRIPLETEX.key

    def __init__(
        self,
        settings: Settings,
        *,
        http: OutboundClient | None = None,
        sessions: TokenCache | None = None,
    ) -> None:
        self._settings = settings
        self._http = http or OutboundClient(settings)
        self._sessions = sessions or TokenCache()

    # --- connection test ------------------------------------------------------------------

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        return run_connection_test(lambda: self._probe(config, deadline), deadline, TRIPLETEX.label)

    def _probe(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        try:
            reply = self._request(
                config,
                "GET",
                "/token/session/>whoAmI",
                deadline,
                params={"fields": "employeeId,companyId,company(name)"},
            )
            if not reply.ok:
                raise _refusal(reply, config, Message.of("tripletex.what.whoami"))
            value = _value(reply)
            company = value.get("company") if isinstance(value.get("company"), dict) else {}
            name = (company or {}).get("name") or f"company {value.get('companyId', '?')}"
            code = "tripletex.connected_production"
            if config.environment != "production":
                code = "tripletex.connected_test"
            return ConnectionResult(ok=True, said=Message.of(code), reached=str(name))
        except DeadlineExceeded:
            raise  # run_connection_test words it, naming what was awaited
        except IntegrationError as failure:
            return failure.result()

    # --- push -----------------------------------------------------------------------------

    def push(self, config: ConnectionConfig, vouchers: Sequence[Voucher]) -> PushResult:
        """One ``POST /ledger/voucher`` per voucher, after one lookup of the account and VAT
        type ids the batch needs. A voucher Tripletex refuses (422) fails alone; an outage
        or a refused session raises, and the sync asks ``find_existing`` before resending."""
        posting = config.require_posting()
        accepted: dict[str, str] = {}
        failed: dict[str, Message] = {}
        if not vouchers:
            return PushResult(accepted={})
        try:
            drafts = [(voucher, _postings(voucher, posting)) for voucher in vouchers]
            accounts = self._ids(
                config, "/ledger/account", {p["account"] for _, ps in drafts for p in ps}
            )
            vat_types = self._ids(
                config, "/ledger/vatType", {p["vat"] for _, ps in drafts for p in ps if p["vat"]}
            )
            for voucher, postings in drafts:
                missing = _missing(postings, accounts, vat_types)
                if missing:
                    failed[voucher.key] = missing
                    continue
                reply = self._request(
                    config,
                    "POST",
                    "/ledger/voucher",
                    Deadline(PUSH_SECONDS),
                    json=_wire(voucher, postings, accounts, vat_types),
                )
                if reply.ok:
                    accepted[voucher.key] = str(_value(reply).get("id", ""))
                elif reply.status_code == 422:
                    said = _said(reply, config)
                    failed[voucher.key] = (
                        Message.of("tripletex.voucher_refused_said", detail=said)
                        if said
                        else Message.of("tripletex.voucher_refused")
                    )
                else:
                    raise _refusal(reply, config, Message.of("tripletex.what.voucher"))
        except OutboundError as exc:
            raise from_outbound(TRIPLETEX.label, exc).push_error() from None
        except IntegrationError as failure:
            raise failure.push_error(nothing_sent=not accepted and not failed) from None
        return PushResult(accepted=accepted, failed=failed)

    def find_existing(self, config: ConnectionConfig, keys: Sequence[str]) -> dict[str, str]:
        """Vouchers Tripletex holds by ``externalVoucherNumber`` (= the claim's key) → id."""
        found: dict[str, str] = {}
        try:
            for key in keys:
                reply = self._request(
                    config,
                    "GET",
                    "/ledger/voucher/>externalVoucherNumber",
                    Deadline(PUSH_SECONDS),
                    params={"externalVoucherNumber": key, "fields": "id,externalVoucherNumber"},
                )
                if not reply.ok:
                    raise _refusal(reply, config, Message.of("tripletex.what.voucher_lookup"))
                for item in _values(reply):
                    if item.get("externalVoucherNumber") == key and item.get("id") is not None:
                        found.setdefault(key, str(item["id"]))
        except OutboundError as exc:
            raise from_outbound(TRIPLETEX.label, exc).push_error() from None
        except IntegrationError as failure:
            raise failure.push_error() from None
        return found

    def payload_lines(self, config: ConnectionConfig, voucher: Voucher) -> list[PostedLine]:
        postings = _postings(voucher, config.require_posting())
        return [
            PostedLine(
                voucher=voucher.key,
                account=p["account"],
                amount=p["amount"],
                tax_code=p["vat"],
                text=voucher.text,
            )
            for p in postings
        ]

    def chart(self, config: ConnectionConfig) -> Chart:
        """Accounts and VAT types, by number (two requests)."""
        try:
            accounts = self._list(config, "/ledger/account", "number,name,isInactive")
            vat_types = self._list(config, "/ledger/vatType", "number,name")
        except OutboundError as exc:
            raise from_outbound(TRIPLETEX.label, exc).push_error() from None
        return Chart(
            accounts=tuple(
                ChartEntry(str(a.get("number", "")), str(a.get("name") or ""))
                for a in accounts
                if a.get("number") is not None and not a.get("isInactive")
            ),
            tax_codes=tuple(
                ChartEntry(str(t.get("number", "")), str(t.get("name") or ""))
                for t in vat_types
                if t.get("number") not in (None, "")
            ),
        )

    # --- requests -------------------------------------------------------------------------

    def _list(self, config: ConnectionConfig, path: str, fields: str) -> list[dict[str, Any]]:
        reply = self._request(
            config,
            "GET",
            path,
            Deadline(PUSH_SECONDS),
            params={"fields": fields, "count": str(CHART_COUNT)},
        )
        if not reply.ok:
            raise _refusal(reply, config, f"GET {path}")
        return _values(reply)

    def _ids(self, config: ConnectionConfig, path: str, numbers: Iterable[str]) -> dict[str, int]:
        """Number → id of the accounts (or VAT types) named, in one request."""
        wanted = sorted(set(numbers))
        if not wanted:
            return {}
        reply = self._request(
            config,
            "GET",
            path,
            Deadline(PUSH_SECONDS),
            params={"number": ",".join(wanted), "fields": "id,number", "count": str(len(wanted))},
        )
        if not reply.ok:
            raise _refusal(reply, config, f"GET {path}")
        return {
            str(item["number"]): int(item["id"])
            for item in _values(reply)
            if item.get("number") is not None and isinstance(item.get("id"), int)
        }

    def _request(
        self,
        config: ConnectionConfig,
        method: str,
        path: str,
        deadline: Deadline,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> HttpReply:
        """One call with the session; a 401 (expired session) renews it once and retries."""
        base = self._base(config)
        for attempt in (1, 2):
            token = self._session(config, base, deadline, renew=attempt == 2)
            pair = base64.b64encode(f"0:{token}".encode()).decode()
            try:
                reply = self._http.request(
                    method,
                    f"{base}{path}",
                    deadline=deadline,
                    headers={"Authorization": f"Basic {pair}", "Accept": "application/json"},
                    params=params,
                    json=json,
                )
            except OutboundError as exc:
                raise from_outbound(TRIPLETEX.label, exc) from None
            if reply.status_code != 401:
                return reply
            self._sessions.discard(self._cache_key(config, base))
        raise PermanentError(
            Message.of("tripletex.session_dropped"),
            (EMPLOYEE,),
            code="401",
        )

    def _base(self, config: ConnectionConfig) -> str:
        return TRIPLETEX.endpoints(config.environment, self._settings)["api"]

    def _cache_key(self, config: ConnectionConfig, base: str) -> tuple[str, ...]:
        consumer, employee = (_token(config, key) for key in _TOKENS)
        return ("tripletex", base, credential_fingerprint(consumer, employee))

    def _session(
        self, config: ConnectionConfig, base: str, deadline: Deadline, *, renew: bool
    ) -> str:
        key = self._cache_key(config, base)
        if not renew and (cached := self._sessions.get(key)):
            return cached
        expires = dt.date.today() + dt.timedelta(days=SESSION_DAYS)
        try:
            reply = self._http.request(
                "PUT",
                f"{base}/token/session/:create",
                deadline=deadline,
                params={
                    "consumerToken": _token(config, CONSUMER),
                    "employeeToken": _token(config, EMPLOYEE),
                    "expirationDate": expires.isoformat(),
                },
                secret_params=_SECRET_PARAMS,
            )
        except OutboundError as exc:
            raise from_outbound(TRIPLETEX.label, exc) from None
        if not reply.ok:
            raise _session_refusal(reply, config)
        token = _value(reply).get("token")
        if not isinstance(token, str) or not token:
            raise TransientError(Message.of("tripletex.session_without_token"))
        self._sessions.put(key, token, SESSION_REUSE_SECONDS)
        return token


# --- vouchers -----------------------------------------------------------------------------


def _postings(voucher: Voucher, posting: PostingSettings) -> list[dict[str, Any]]:
    """The voucher as Tripletex postings: gross expense (with its VAT type), then the counter."""
    expense, vat, counter = voucher.line(EXPENSE), voucher.line(VAT), voucher.line(COUNTER)
    if expense is None or counter is None:
        raise PermanentError(Message.of("tripletex.voucher_incomplete", number=voucher.number))
    if counter.account_type == COUNTER_EMPLOYEE or posting.counter_account_type == (
        COUNTER_EMPLOYEE
    ):
        raise PermanentError(
            Message.of("tripletex.employee_account"),
            nothing_sent=True,
        )
    gross = expense.minor + (vat.minor if vat is not None else 0)
    return [
        {"row": 1, "account": expense.account, "amount": to_major(gross), "vat": expense.tax_code},
        {"row": 2, "account": counter.account, "amount": to_major(counter.minor), "vat": ""},
    ]


def _missing(
    postings: Sequence[Mapping[str, Any]], accounts: Mapping[str, int], vats: Mapping[str, int]
) -> Message | None:
    for p in postings:
        if p["account"] not in accounts:
            return Message.of("tripletex.no_account", account=str(p["account"]))
        if p["vat"] and p["vat"] not in vats:
            return Message.of("tripletex.no_vat_type", vat=str(p["vat"]))
    return None


def _wire(
    voucher: Voucher,
    postings: Sequence[Mapping[str, Any]],
    accounts: Mapping[str, int],
    vats: Mapping[str, int],
) -> dict[str, Any]:
    def one(p: Mapping[str, Any]) -> dict[str, Any]:
        amount = float(Decimal(p["amount"]))
        wire: dict[str, Any] = {
            "row": p["row"],
            "date": voucher.posted_date.isoformat(),
            "description": voucher.text[:200],
            "account": {"id": accounts[p["account"]]},
            "amountGross": amount,
            "amountGrossCurrency": amount,
        }
        if p["vat"]:
            wire["vatType"] = {"id": vats[p["vat"]]}
        return wire

    return {
        "date": voucher.posted_date.isoformat(),
        "description": f"{voucher.number} {voucher.text}"[:200],
        "externalVoucherNumber": voucher.key,
        "postings": [one(p) for p in postings],
    }


# --- answers ------------------------------------------------------------------------------


def _token(config: ConnectionConfig, key: str) -> str:
    value = (config.secrets.get(key) or "").strip()
    if not value:
        raise PermanentError(Message.of("tripletex.token_missing", token=_token_name(key)), (key,))
    if any(ch.isspace() for ch in value):
        raise PermanentError(Message.of("tripletex.token_spaces", token=_token_name(key)), (key,))
    return value


def _body(reply: HttpReply) -> dict[str, Any]:
    try:
        body = reply.json()
    except OutboundError:
        return {}
    return body if isinstance(body, dict) else {}


def _value(reply: HttpReply) -> dict[str, Any]:
    value = _body(reply).get("value")
    if not isinstance(value, dict):
        raise TransientError(
            Message.of("tripletex.missing_member", status=reply.status_code, member="value")
        )
    return value


def _values(reply: HttpReply) -> list[dict[str, Any]]:
    values = _body(reply).get("values")
    if not isinstance(values, list):
        raise TransientError(
            Message.of("tripletex.missing_member", status=reply.status_code, member="values")
        )
    return [item for item in values if isinstance(item, dict)]


def _validation(reply: HttpReply) -> list[tuple[str, str]]:
    messages = _body(reply).get("validationMessages") or []
    return [
        (str(m.get("field") or ""), str(m.get("message") or ""))
        for m in messages
        if isinstance(m, dict)
    ]


def _said(reply: HttpReply, config: ConnectionConfig) -> str:
    """Tripletex's own words: the message, the validation messages and the requestId."""
    body = _body(reply)
    parts = [str(body.get("message") or "").strip()]
    parts += [f"{field}: {message}" if field else message for field, message in _validation(reply)]
    text = "; ".join(part for part in parts if part)
    if body.get("requestId"):
        text = (
            f"{text} (requestId {body['requestId']})" if text else f"requestId {body['requestId']}"
        )
    return scrub_config(text[:500], config)


def _session_refusal(reply: HttpReply, config: ConnectionConfig) -> IntegrationError:
    status = reply.status_code
    if status == 429 or status >= 500:
        return _refusal(reply, config, Message.of("tripletex.what.session"))
    named = tuple(
        dict.fromkeys(
            _FIELD_OF_PARAM[field] for field, _ in _validation(reply) if field in _FIELD_OF_PARAM
        )
    )
    fields = named or _TOKENS
    said = _said(reply, config)
    said_part = f": {said}" if said else ""
    return PermanentError(
        Message.of(
            "tripletex.session_refused_one",
            token=_token_name(fields[0]),
            status=status,
            said=said_part,
        )
        if len(fields) == 1
        else Message.of("tripletex.session_refused_both", status=status, said=said_part),
        fields,
        code=str(status),
        nothing_sent=True,
    )


def _token_name(key: str) -> Message:
    """'consumer token' / 'employee token', as a noun inside a sentence."""
    return Message.of(f"tripletex.token.{key}")


def _refusal(reply: HttpReply, config: ConnectionConfig, what: str | Message) -> IntegrationError:
    status = reply.status_code
    said = _said(reply, config)
    detail = f": {said}" if said else ""
    if status == 429:
        return TransientError(
            Message.of("tripletex.rate_limited", said=detail),
            code="429",
            retry_after=reply.retry_after(),
        )
    if status >= 500:
        return TransientError(
            Message.of("tripletex.server_error", what=what, status=status, said=detail),
            code=str(status),
            retry_after=reply.retry_after(),
        )
    if status == 403:
        return PermanentError(
            Message.of("tripletex.forbidden", what=what, said=detail),
            (EMPLOYEE,),
            code="403",
        )
    return PermanentError(
        Message.of("tripletex.refused", what=what, status=status, said=detail), code=str(status)
    )
