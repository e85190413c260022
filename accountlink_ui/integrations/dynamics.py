"""Microsoft Dynamics 365 adapter: Business Central and Dataverse through Entra ID.

A connection test is two requests: a client-credentials token from Entra ID
(skipped while a cached token is fresh), then the product's cheapest
authenticated read: Business Central's company list, or Dataverse's WhoAmI.

Posting goes to the Business Central journal chosen in the posting settings,
through OData ``$batch`` (at most 100 operations a request; Business Central
allows 6,000 requests per 5 minutes): a claim is one journal line balanced by
its balancing account (the employee payables account, or the employee), or, if
the settings ask for explicit counter lines, its voucher's lines sharing a
``documentNumber`` in one atomicity group. ``documentNumber`` is the voucher
number; ``externalDocumentNumber`` carries a digest of the claim's idempotency
key, by which :meth:`DynamicsAdapter.find_existing` finds lines already there
(unposted journal lines only: once an accountant posts the journal, the lines
move to ledger entries). Posting to Dataverse is not supported yet and says so.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from accountlink_ui.accounting.chart import Chart, ChartEntry
from accountlink_ui.accounting.posting_settings import (
    COUNTER_EMPLOYEE,
    EXPLICIT_LINES,
    PostingSettings,
)
from accountlink_ui.accounting.vouchers import (
    COUNTER,
    EXPENSE,
    Voucher,
    VoucherLine,
    whole_groups,
)
from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english
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
from accountlink_ui.integrations.entra import (
    AccessToken,
    ClientCertificate,
    ClientSecret,
    Credential,
    CredentialFormatError,
    EntraError,
    EntraTokenClient,
    explain,
)
from accountlink_ui.integrations.http import (
    DeadlineExceeded,
    HttpReply,
    OutboundClient,
    OutboundError,
    from_outbound,
    run_connection_test,
    scrub,
)
from accountlink_ui.integrations.types import (
    DATAVERSE_URL,
    DOMAIN,
    GUID,
    PRODUCTION,
    SANDBOX,
    AuthFlow,
    Destination,
    Endpoint,
    FieldKind,
    FieldSpec,
    IntegrationType,
)
from accountlink_ui.settings import Settings

ENTRA = "Microsoft Entra ID"
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"
PUSH_SECONDS = 120.0
DOCUMENT_NUMBER_MAX = 20  # Business Central's journalLines.documentNumber is Code[20]
DESCRIPTION_MAX = 50
BATCH_OPERATIONS = 100
"""Operations in one ``$batch`` request, Business Central's documented maximum."""
ACCOUNT_TYPES = {"gl_account": "G/L Account", COUNTER_EMPLOYEE: "Employee"}
CHART_SECONDS = 30.0


# --- the declaration ------------------------------------------------------------------

_PRODUCT = FieldSpec(
    key="product",
    label="Dynamics product",
    kind=FieldKind.SELECT,
    options=(
        ("business_central", "Business Central"),
        ("dataverse", "Dataverse (Dynamics 365 Sales / Customer Service)"),
    ),
    default="business_central",
    help="Which Dynamics 365 product holds your accounts.",
)
_BC = (("product", "business_central"),)
_DATAVERSE = (("product", "dataverse"),)

_DYNAMICS_ENDPOINTS = (
    Endpoint("authority", "https://login.microsoftonline.com", "/entra"),
    Endpoint("business_central", "https://api.businesscentral.dynamics.com", "/businesscentral"),
    Endpoint("dataverse", "", "/dataverse"),
)
"""Dataverse has no URL to pin: the admin's environment URL is called (and guarded)."""

DYNAMICS = IntegrationType(
    key="dynamics",
    order=20,
    label="Microsoft Dynamics 365",
    summary="Needs a Microsoft Entra app registration: tenant, client id, and a secret or certificate.",
    probe="gets a token from Microsoft Entra ID, then lists companies (Business Central) "
    "or calls WhoAmI (Dataverse)",
    environments=(
        replace(SANDBOX, endpoints=_DYNAMICS_ENDPOINTS),
        replace(PRODUCTION, endpoints=_DYNAMICS_ENDPOINTS),
    ),
    batch_size=100,
    adapter=lambda settings: DynamicsAdapter(settings),
    common_fields=(
        _PRODUCT,
        FieldSpec(
            key="tenant_id",
            label="Tenant (directory) ID",
            help="The directory GUID or a verified domain such as contoso.onmicrosoft.com.",
            placeholder="00000000-0000-0000-0000-000000000000",
            pattern=f"(?:{GUID})|(?:{DOMAIN})",
            pattern_message=Message.of("field.dynamics.tenant_id.pattern"),
            max_length=253,
            destination=Destination.NAME,
        ),
        FieldSpec(
            key="client_id",
            label="Application (client) ID",
            help="The app registration's Application (client) ID in Microsoft Entra.",
            placeholder="00000000-0000-0000-0000-000000000000",
            pattern=GUID,
            pattern_message=Message.of("field.dynamics.client_id.pattern"),
            max_length=36,
        ),
        FieldSpec(
            key="bc_environment",
            label="Business Central environment",
            help="The environment name in the Business Central admin center, e.g. 'production' or 'sandbox'.",
            default="production",
            pattern=r"[A-Za-z0-9_-]{1,30}",
            pattern_message=Message.of("field.dynamics.bc_environment.pattern"),
            shown_when=_BC,
            max_length=30,
        ),
        FieldSpec(
            key="bc_company",
            label="Company name",
            required=False,
            help="The company to post journal lines to; empty means the first company.",
            shown_when=_BC,
            max_length=120,
        ),
        FieldSpec(
            key="dataverse_url",
            label="Environment URL",
            kind=FieldKind.URL,
            help="Your Dataverse environment URL, e.g. https://contoso.crm4.dynamics.com or "
            "https://contoso.api.crm4.dynamics.com.",
            placeholder="https://contoso.crm4.dynamics.com",
            pattern=DATAVERSE_URL,
            pattern_message=(Message.of("field.dynamics.dataverse_url.pattern")),
            shown_when=_DATAVERSE,
            max_length=200,
            destination=Destination.ORIGIN,
        ),
    ),
    auth_flows=(
        AuthFlow(
            key="client_secret",
            label="Client secret",
            description="OAuth 2.0 client credentials with an app secret.",
            fields=(
                FieldSpec(
                    key="client_secret",
                    label="Client secret",
                    kind=FieldKind.SECRET,
                    help="The secret's Value (not its ID) from Certificates & secrets.",
                    pattern=r"\S{8,}",
                    pattern_message=Message.of("field.dynamics.client_secret.pattern"),
                    max_length=200,
                ),
            ),
        ),
        AuthFlow(
            key="certificate",
            label="Certificate",
            description="OAuth 2.0 client credentials with a signed client assertion.",
            fields=(
                FieldSpec(
                    key="certificate_pem",
                    label="Certificate (PEM)",
                    kind=FieldKind.PEM,
                    help="The public certificate uploaded to the app registration.",
                    placeholder="-----BEGIN CERTIFICATE-----",
                    max_length=20_000,
                ),
                FieldSpec(
                    key="private_key_pem",
                    label="Private key (PEM)",
                    kind=FieldKind.SECRET_PEM,
                    help="The certificate's RSA private key, unencrypted PEM.",
                    placeholder="-----BEGIN PRIVATE KEY-----",
                    max_length=20_000,
                ),
            ),
        ),
    ),
)
INTEGRATION_TYPE = DYNAMICS


@dataclass(frozen=True)
class _Target:
    """Where one configuration's calls go, and which fields to blame when they fail."""

    product: str
    label: str
    authority: str
    tenant: str
    client_id: str
    scope: str
    api_base: str
    guarded: bool
    """True when the API URL is the one the admin typed (Dataverse without an override)."""

    @classmethod
    def of(cls, config: ConnectionConfig, settings: Settings) -> _Target:
        urls = DYNAMICS.endpoints(config.environment, settings)
        product = _value(config, "product") or "business_central"
        tenant = _required(config, "tenant_id")
        client_id = _required(config, "client_id")
        common = {"authority": urls["authority"], "tenant": tenant, "client_id": client_id}
        if product == "business_central":
            environment = _required(config, "bc_environment")
            base = (
                f"{urls['business_central']}/v2.0/{quote(tenant, safe='')}/"
                f"{quote(environment, safe='')}/api/v2.0"
            )
            return cls(
                product, "Business Central", scope=BC_SCOPE, api_base=base, guarded=False, **common
            )
        if product == "dataverse":
            typed = _required(config, "dataverse_url").rstrip("/")
            base = urls.get("dataverse") or typed
            return cls(
                product,
                "Dataverse",
                scope=f"{dataverse_resource(typed)}/.default",
                api_base=f"{base}/api/data/v9.2",
                guarded="dataverse" not in urls,
                **common,
            )
        raise IntegrationError.of(
            Message.of("dynamics.unknown_product", product=product), ("product",)
        )


def dataverse_resource(url: str) -> str:
    """The resource a Dataverse URL names: ``https://<host>`` for either host form.

    ``<org>.crm<N>.dynamics.com`` and ``<env>.api.<region>.dynamics.com`` both
    appear in Microsoft's samples, and the scope is that URL's ``/.default``.
    Query and fragment are dropped. The validator allows no path on Microsoft
    hosts, so a path survives only in an address an operator allowlisted (the
    sandbox's ``.../dataverse``), which names its resource that way.
    """
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class _Session:
    """Authorized calls for one operation; a cached token the API rejects is renewed once."""

    def __init__(
        self,
        http: OutboundClient,
        sign_in: Callable[[bool], AccessToken],
        config: ConnectionConfig,
        target: _Target,
        deadline: Deadline,
    ) -> None:
        self._http = http
        self._sign_in = sign_in
        self._config = config
        self.target = target
        self._deadline = deadline
        self._token: AccessToken | None = None

    def signed_in(self) -> AccessToken:
        if self._token is None:
            self._token = self._sign_in(False)
        return self._token

    def call(self, method: str, path: str, *, json: Any = None) -> HttpReply:
        token = self.signed_in()
        reply = self._send(method, path, token, json)
        if reply.status_code == 401 and token.from_cache:
            self._token = self._sign_in(True)
            reply = self._send(method, path, self._token, json)
        return reply

    def get_json(self, path: str) -> Any:
        return self.json_of(self.call("GET", path))

    def json_of(self, reply: HttpReply) -> Any:
        if not reply.ok:
            raise api_failure(reply, self.target.product, self._config)
        try:
            return reply.json()
        except OutboundError as exc:
            raise from_outbound(self.target.label, exc) from None

    def _send(self, method: str, path: str, token: AccessToken, json: Any) -> HttpReply:
        try:
            return self._http.request(
                method,
                f"{self.target.api_base}{path}",
                deadline=self._deadline,
                guarded=self.target.guarded,
                headers={"Authorization": f"Bearer {token.value}"},
                json=json,
            )
        except OutboundError as exc:
            fields = ("dataverse_url",) if self.target.guarded else ()
            raise from_outbound(self.target.label, exc, fields) from None


class DynamicsAdapter:
    """Business Central and Dataverse, signed in with a client secret or a certificate."""

    type_key = DYNAMICS.key

    def __init__(
        self,
        settings: Settings,
        *,
        http: OutboundClient | None = None,
        tokens: EntraTokenClient | None = None,
    ) -> None:
        self._settings = settings
        self._http = http or OutboundClient(settings)
        self.tokens = tokens or EntraTokenClient(self._http)

    # --- connection test ----------------------------------------------------------------

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        stage = [ENTRA]
        return run_connection_test(
            lambda: self._probe(config, deadline, stage), deadline, lambda: stage[0]
        )

    def _probe(
        self, config: ConnectionConfig, deadline: Deadline, stage: list[str]
    ) -> ConnectionResult:
        try:
            target = _Target.of(config, self._settings)
            session = self._session(config, target, deadline)
            session.signed_in()
            stage[0] = target.label
            if target.product == "business_central":
                company = self._company(session, config)
                name = company.get("displayName") or company.get("name") or company.get("id")
                environment = _value(config, "bc_environment")
                return ConnectionResult(
                    ok=True,
                    said=Message.of("dynamics.connected_bc", environment=environment),
                    reached=str(name),
                )
            who = session.get_json("/WhoAmI")
            organization = who.get("OrganizationId") if isinstance(who, dict) else None
            if not organization:
                raise IntegrationError.of(Message.of("dynamics.whoami_incomplete"))
            return ConnectionResult(
                ok=True,
                said=Message.of("dynamics.connected_dataverse"),
                reached=english(
                    Message.of("dynamics.dataverse_organization", organization=str(organization))
                ),
            )
        except DeadlineExceeded:
            raise  # run_connection_test words it, naming what was awaited
        except IntegrationError as failure:
            return failure.result()

    # --- push ---------------------------------------------------------------------------

    def push(self, config: ConnectionConfig, vouchers: Sequence[Voucher]) -> PushResult:
        """``$batch`` requests of at most 100 journal lines, each voucher whole in one.

        A line Business Central refuses fails its voucher (its lines form one atomicity
        group). Throttling or an outage raises even if earlier requests were booked: the
        sync reconciles with :meth:`find_existing` before sending the batch again.
        """
        posting = config.require_posting()
        accepted: dict[str, str] = {}
        failed: dict[str, Message] = {}
        try:
            session = self._posting_session(config)
            path = self._journal_lines_path(session, config, posting)
            for chunk in _batches(vouchers, posting):
                result = self._send_batch(session, config, path, chunk, posting)
                accepted.update(result.accepted)
                failed.update(result.failed)
        except OutboundError as exc:
            raise from_outbound("Business Central", exc).push_error() from None
        except IntegrationError as failure:
            raise failure.push_error(nothing_sent=not accepted and not failed) from None
        return PushResult(accepted=accepted, failed=failed)

    def _send_batch(
        self,
        session: _Session,
        config: ConnectionConfig,
        path: str,
        vouchers: Sequence[Voucher],
        posting: PostingSettings,
    ) -> PushResult:
        requests: list[dict[str, Any]] = []
        owner: dict[str, Voucher] = {}
        for index, voucher in enumerate(vouchers):
            lines = journal_lines(voucher, posting)
            for number, line in enumerate(lines):
                request_id = f"{index}-{number}"
                owner[request_id] = voucher
                request: dict[str, Any] = {
                    "method": "POST",
                    "id": request_id,
                    "url": path.lstrip("/"),
                    "headers": {"Content-Type": "application/json"},
                    "body": line,
                }
                if len(lines) > 1:
                    request["atomicityGroup"] = f"voucher-{index}"
                requests.append(request)
        reply = session.call("POST", "/$batch", json={"requests": requests})
        if not reply.ok:
            raise api_failure(reply, "business_central", config)
        try:
            body = reply.json()
        except OutboundError as exc:
            raise from_outbound("Business Central", exc) from None
        answers = body.get("responses") if isinstance(body, dict) else None
        if not isinstance(answers, list):
            raise IntegrationError.of(Message.of("dynamics.batch_without_responses"))
        accepted: dict[str, str] = {}
        refused: dict[str, Message] = {}
        for answer in answers:
            if not isinstance(answer, dict) or str(answer.get("id")) not in owner:
                continue
            voucher = owner[str(answer["id"])]
            status = int(answer.get("status") or 0)
            body = answer.get("body")
            inner: dict[str, Any] = body if isinstance(body, dict) else {}
            if 200 <= status < 300:
                accepted.setdefault(voucher.key, str(inner.get("id") or voucher.number))
            elif status == 429 or status >= 500:
                raise TransientError(Message.of("dynamics.batch_part_failed", status=status))
            elif status in (401, 403):
                raise IntegrationError.of(_inner_error(inner, status), code=str(status))
            elif status == 404 and not accepted and not refused:
                raise IntegrationError.of(
                    Message.of("dynamics.journal_missing"),
                    ("journal",),
                    code="404",
                )
            else:
                refused[voucher.key] = Message.of(
                    "dynamics.voucher_refused",
                    detail=_inner_error(inner, status),
                    number=voucher.number,
                )
        for key in refused:
            accepted.pop(key, None)  # a voucher is all its lines or nothing
        failed = {
            v.key: Message.of("dynamics.voucher_unconfirmed")
            for v in vouchers
            if v.key not in accepted and v.key not in refused
        }
        return PushResult(accepted=accepted, failed={**refused, **failed})

    def payload_lines(self, config: ConnectionConfig, voucher: Voucher) -> list[PostedLine]:
        return [_posted(line) for line in journal_lines(voucher, config.require_posting())]

    def chart(self, config: ConnectionConfig) -> Chart:
        """Accounts, tax groups, dimensions with values, journals and employees of the
        company: a handful of GETs, once when the Posting step opens."""
        try:
            target = _Target.of(config, self._settings)
            if target.product != "business_central":
                return Chart()
            session = self._session(config, target, Deadline(CHART_SECONDS))
            company = self._company(session, config)
            base = f"/companies({quote(str(company['id']), safe='')})"

            def rows(path: str) -> list[dict[str, Any]]:
                body = session.get_json(f"{base}/{path}")
                values = body.get("value", []) if isinstance(body, dict) else []
                return [row for row in values if isinstance(row, dict)]

            dimensions = rows("dimensions")
            values = {
                str(d.get("code")): tuple(
                    _entry(v, "code")
                    for v in rows(f"dimensions({quote(str(d.get('id')), safe='')})/dimensionValues")
                )
                for d in dimensions
            }
            return Chart(
                accounts=tuple(
                    _entry(a, "number", detail=str(a.get("category") or ""))
                    for a in rows("accounts")
                    if not a.get("blocked")
                ),
                tax_codes=tuple(_entry(t, "code") for t in rows("taxGroups")),
                dimensions=tuple(_entry(d, "code") for d in dimensions),
                dimension_values=values,
                journals=tuple(
                    ChartEntry(
                        str(j.get("id")),
                        str(j.get("displayName") or j.get("code")),
                        detail=str(j.get("code") or ""),
                    )
                    for j in rows("journals")
                ),
                employees=tuple(_entry(e, "number") for e in rows("employees")),
                company_id=str(company["id"]),
            )
        except OutboundError as exc:
            raise from_outbound("Business Central", exc).push_error() from None
        except IntegrationError as failure:
            raise failure.push_error() from None

    def find_existing(self, config: ConnectionConfig, keys: Sequence[str]) -> dict[str, str]:
        """Journal lines already in Business Central, by idempotency key → line id (by the
        key's digest in ``externalDocumentNumber``).

        One filtered GET per key: ``or`` filters are not accepted everywhere (the
        sandbox takes ``and`` only), and reconciling is rare and small.
        """
        try:
            session = self._posting_session(config)
            path = self._journal_lines_path(session, config, config.require_posting())
            found: dict[str, str] = {}
            for key in keys:
                number = document_number(key)
                clause = quote(f"externalDocumentNumber eq '{_odata(number)}'")
                lines = session.get_json(f"{path}?$filter={clause}")
                for line in lines.get("value", []) if isinstance(lines, dict) else []:
                    if line.get("externalDocumentNumber") == number:
                        found[key] = str(line.get("id", ""))
            return found
        except OutboundError as exc:
            raise from_outbound("Business Central", exc).push_error() from None
        except IntegrationError as failure:
            raise failure.push_error() from None

    # --- helpers --------------------------------------------------------------------------

    def _posting_session(self, config: ConnectionConfig) -> _Session:
        target = _Target.of(config, self._settings)
        if target.product != "business_central":
            raise PermanentError(Message.of("dynamics.dataverse_posting"), fields=("product",))
        return self._session(config, target, Deadline(PUSH_SECONDS))

    def _session(self, config: ConnectionConfig, target: _Target, deadline: Deadline) -> _Session:
        def sign_in(refresh: bool) -> AccessToken:
            return self._token(config, target, deadline, refresh=refresh)

        return _Session(self._http, sign_in, config, target, deadline)

    def _company(self, session: _Session, config: ConnectionConfig) -> dict[str, Any]:
        reply = session.call("GET", "/companies")
        if reply.status_code == 404:
            # The companies list is the environment's root: whatever the body says
            # (NoEnvironment, BadRequest_ResourceNotFound, nothing, an HTML page),
            # a 404 here means no such environment in this tenant.
            raise _no_environment(reply, config)
        body = session.json_of(reply)
        companies = (
            [c for c in body.get("value", []) if isinstance(c, dict)]
            if isinstance(body, dict)
            else []
        )
        environment = _value(config, "bc_environment")
        if not companies:
            raise IntegrationError.of(
                Message.of("dynamics.no_companies", environment=environment), ("bc_environment",)
            )
        wanted = _value(config, "bc_company")
        if not wanted:
            return companies[0]
        for company in companies:
            names = {str(company.get(k, "")).casefold() for k in ("name", "displayName")}
            if wanted.casefold() in names:
                return company
        known = ", ".join(str(c.get("displayName") or c.get("name")) for c in companies[:10])
        raise IntegrationError.of(
            Message.of("dynamics.no_company", environment=environment, wanted=wanted, known=known),
            ("bc_company",),
        )

    def _journal_lines_path(
        self, session: _Session, config: ConnectionConfig, posting: PostingSettings
    ) -> str:
        """The chosen journal's lines: never another journal in its place. The company id
        was stored with the posting settings; it is looked up only when it was not."""
        if not posting.journal:
            raise IntegrationError.of(Message.of("dynamics.choose_journal"), ("journal",))
        company = posting.company_id or str(self._company(session, config)["id"])
        return (
            f"/companies({quote(company, safe='')})/journals({quote(posting.journal, safe='')})"
            "/journalLines"
        )

    def _token(
        self,
        config: ConnectionConfig,
        target: _Target,
        deadline: Deadline,
        *,
        refresh: bool = False,
    ) -> AccessToken:
        try:
            return self.tokens.token(
                authority=target.authority,
                tenant=target.tenant,
                client_id=target.client_id,
                scope=target.scope,
                credential=_credential(config),
                deadline=deadline,
                refresh=refresh,
            )
        except CredentialFormatError as exc:
            raise IntegrationError.of(exc.said, exc.fields) from None
        except EntraError as exc:
            raise _entra_failure(exc, config, target) from None
        except OutboundError as exc:
            raise from_outbound(ENTRA, exc) from None


def _credential(config: ConnectionConfig) -> Credential:
    if config.auth_flow == "certificate":
        return ClientCertificate(
            certificate_pem=_required(config, "certificate_pem", strip=False),
            private_key_pem=_required(config, "private_key_pem", strip=False),
        )
    return ClientSecret(_required(config, "client_secret"))


def _value(config: ConnectionConfig, key: str, *, strip: bool = True) -> str:
    raw = config.settings.get(key) or config.secrets.get(key) or ""
    return raw.strip() if strip else raw


def _required(config: ConnectionConfig, key: str, *, strip: bool = True) -> str:
    value = _value(config, key, strip=strip)
    if not value.strip():
        label = next((f.label for f in DYNAMICS.fields_for(config.auth_flow) if f.key == key), key)
        raise IntegrationError.of(Message.of("validate.required", field=label), (key,))
    return value


def journal_lines(voucher: Voucher, posting: PostingSettings) -> list[dict[str, Any]]:
    """The journal lines ``voucher`` is sent as: one balanced by its balancing account, or
    (explicit counter lines) one per voucher line, sharing the document number."""
    common = {
        "postingDate": voucher.posted_date.isoformat(),
        "documentNumber": voucher.number,
        "externalDocumentNumber": document_number(voucher.key),
        "description": voucher.text[:DESCRIPTION_MAX],
    }
    if posting.counter_line == EXPLICIT_LINES:
        return [
            {**_account(line), "amount": _number(line.minor), **common, **_dims(line)}
            for line in voucher.lines
        ]
    expense = voucher.line(EXPENSE)
    counter = voucher.line(COUNTER)
    assert expense is not None and counter is not None  # every voucher has both
    line: dict[str, Any] = {
        **_account(expense),
        "amount": _number(voucher.gross_minor),
        **common,
        "balanceAccountType": ACCOUNT_TYPES[counter.account_type],
        "balancingAccountNumber": counter.account,
    }
    if expense.tax_code:
        line["taxCode"] = expense.tax_code  # Business Central splits the VAT off itself
    return [{**line, **_dims(expense)}]


def _account(line: VoucherLine) -> dict[str, Any]:
    return {"accountType": ACCOUNT_TYPES[line.account_type], "accountNumber": line.account}


def _dims(line: VoucherLine) -> dict[str, Any]:
    if not line.dimensions:
        return {}
    return {"dimensionSetLines": [{"code": c, "valueCode": v} for c, v in line.dimensions]}


def _number(minor: int) -> float:
    """OData ``Edm.Decimal`` as a JSON number; two decimals are exact in a float's repr."""
    return minor / 100


def _posted(line: Mapping[str, Any]) -> PostedLine:
    return PostedLine(
        voucher=str(line["documentNumber"]),
        account=str(line["accountNumber"]),
        amount=Decimal(str(line["amount"])).quantize(Decimal("0.01")),
        balancing_account=str(line.get("balancingAccountNumber", "")),
        tax_code=str(line.get("taxCode", "")),
        dimensions=tuple((d["code"], d["valueCode"]) for d in line.get("dimensionSetLines", [])),
        text=str(line["description"]),
        account_type=str(line["accountType"]),
    )


def _batches(vouchers: Sequence[Voucher], posting: PostingSettings) -> list[list[Voucher]]:
    """Vouchers grouped into ``$batch`` requests of at most 100 operations, never split."""
    explicit = posting.counter_line == EXPLICIT_LINES
    return whole_groups(vouchers, BATCH_OPERATIONS, lambda v: len(v.lines) if explicit else 1)


def _entry(row: Mapping[str, Any], key: str, *, detail: str = "") -> ChartEntry:
    return ChartEntry(str(row.get(key) or ""), str(row.get("displayName") or ""), detail)


def _inner_error(body: Mapping[str, Any], status: int) -> str:
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, dict):
        return f"{str(error.get('message') or '')[:300]} ({error.get('code') or status})"
    return f"HTTP {status}"


def document_number(idempotency_key: str) -> str:
    """The key itself when it fits Business Central's 20 characters, else a stable digest.

    The digest (``AL`` + 18 base32 characters of SHA-256, 90 bits) is the same on
    every retry, so ``find_existing`` still finds a line posted before a failure.
    """
    if len(idempotency_key) <= DOCUMENT_NUMBER_MAX:
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return "AL" + base64.b32encode(digest).decode()[: DOCUMENT_NUMBER_MAX - 2]


def _odata(text: str) -> str:
    return text.replace("'", "''")


def _entra_failure(
    error: EntraError, config: ConnectionConfig, target: _Target
) -> IntegrationError:
    bc = target.product == "business_central"
    message, fields = explain(
        error,
        tenant=target.tenant,
        client_id=target.client_id,
        resource=Message.of(
            "entra.resource.business_central" if bc else "entra.resource.dataverse"
        ),
        resource_fields=("bc_environment",) if bc else ("dataverse_url",),
        credential_fields=_CERT_FIELDS if config.auth_flow == "certificate" else ("client_secret",),
    )
    transient = error.status == 429 or error.status >= 500
    code = f"AADSTS{error.aadsts}" if error.aadsts else (error.error or None)
    return IntegrationError.of(
        message, fields, code=code, transient=transient, retry_after=error.retry_after
    )


_CERT_FIELDS = ("certificate_pem", "private_key_pem")


def api_failure(reply: HttpReply, product: str, config: ConnectionConfig) -> IntegrationError:
    """A Business Central or Dataverse error answer, worded for the admin."""
    label = "Business Central" if product == "business_central" else "Dataverse"
    status = reply.status_code
    code, detail = _odata_error(reply, config)
    said = f" ({code}: {detail})" if code and detail else (f" ({detail})" if detail else "")
    if status == 429:
        wait = reply.retry_after()
        return IntegrationError.of(
            Message.of("dynamics.throttled_for", label=label, seconds=wait)
            if wait is not None
            else Message.of("dynamics.throttled", label=label),
            code=code or "429",
            transient=True,
            retry_after=wait,
        )
    if status >= 500:
        return IntegrationError.of(
            Message.of("dynamics.server_error", label=label, status=status, said=said),
            code=code,
            transient=True,
        )
    if status == 401:
        token_refused = "dynamics.token_refused_dataverse"
        if product == "business_central":
            token_refused = "dynamics.token_refused_bc"
        return IntegrationError.of(Message.of(token_refused, said=said), ("client_id",), code=code)
    if status == 403:
        return IntegrationError.of(
            Message.of("dynamics.forbidden", label=label, said=said),
            ("client_id",),
            code=code,
        )
    if status == 404 and product == "business_central" and code != "NoEnvironment":
        return IntegrationError.of(
            Message.of("dynamics.bc_not_found", said=said),
            ("bc_company",),
            code=code,
        )
    if status == 404 and product == "business_central":
        return _no_environment(reply, config)
    if status == 404:
        return IntegrationError.of(
            Message.of("dynamics.dataverse_not_found", said=said),
            ("dataverse_url",),
            code=code,
        )
    return IntegrationError.of(
        Message.of("dynamics.http_status", label=label, status=status, said=said), code=code
    )


_BC_ENVIRONMENT_FIELDS = ("bc_environment", "tenant_id")


def _no_environment(reply: HttpReply, config: ConnectionConfig) -> IntegrationError:
    """Business Central's 404 for the environment: blame the environment and the tenant."""
    code, detail = _odata_error(reply, config)
    said = f" ({code}: {detail})" if code and detail else (f" ({detail})" if detail else "")
    environment = _value(config, "bc_environment")
    tenant = _value(config, "tenant_id")
    return IntegrationError.of(
        Message.of("dynamics.no_environment", environment=environment, tenant=tenant, said=said),
        _BC_ENVIRONMENT_FIELDS,
        code=code or "404",
    )


def _odata_error(reply: HttpReply, config: ConnectionConfig) -> tuple[str | None, str]:
    """The OData error's code and first sentence, without correlation ids or secrets."""
    try:
        body = reply.json()
    except OutboundError:
        return None, ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    message = str(error.get("message") or "").split("  CorrelationId")[0]
    message = message.split(" CorrelationId:")[0].strip()
    return (str(error["code"]) if error.get("code") else None), scrub(
        message[:300], config.secrets.values()
    )
