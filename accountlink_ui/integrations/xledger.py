"""Xledger adapter: GraphQL over HTTPS with ``Authorization: token <API token>``.

Xledger charges per request beyond a monthly allowance, so a connection test
is exactly one request (the first company, which also proves the read scope)
and nothing here retries on its own: the sync service decides when to try
again, guided by ``TransientError.retry_after``.

Xledger reports most failures as HTTP 200 with an ``errors`` list; whether an
unknown token gets 401 or 200 is UNVERIFIED, so both are read the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from accountlink_ui.accounting.chart import Chart, ChartEntry
from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import Voucher, whole_groups
from accountlink_ui.i18n import Message
from accountlink_ui.integrations.contracts import (
    ConnectionConfig,
    ConnectionResult,
    IntegrationError,
    PermanentError,
    PostedLine,
    PushResult,
)
from accountlink_ui.integrations.deadline import Deadline
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
    AuthFlow,
    Endpoint,
    Environment,
    FieldKind,
    FieldSpec,
    IntegrationType,
)
from accountlink_ui.settings import Settings

MAX_NODES = 500
"""Lines per ``addGLImportItems`` call: a voucher's lines always travel in the same call."""
MAX_LINES_PER_VOUCHER = 3
"""Expense, VAT and counter line (``accounting.vouchers``)."""
CHART_FIRST = 1000
"""How many of each list the Posting step reads (one request, Xledger charges per request)."""
PUSH_SECONDS = 60.0
BURST_RETRY_SECONDS = 5.0  # what Xledger's official sample waits after BURST_RATE_LIMIT_REACHED
CONCURRENCY_RETRY_SECONDS = 5.0
_TOKEN = ("api_token",)

PROBE_QUERY = "{ companies(first: 1) { edges { node { dbId description } } } }"
CHART_QUERY = (
    "query Chart($first: Int!) { "
    "accounts(first: $first) { edges { node { code description } } } "
    "taxRules(first: $first) { edges { node { code description } } } "
    "transactionSources(first: $first) { edges { node { code description } } } "
    "glObjectValues(first: $first) { edges { node { code description objectNumber } } } }"
)
"""Names other than ``accounts`` are UNVERIFIED against Xledger's schema; a refusal leaves the
Posting step with free entry (the sync then learns from Xledger's own refusals)."""
ADD_MUTATION = (
    "mutation AddGLImportItems($inputs: [AddGLImportItemsInput!]!) { "
    "addGLImportItems(inputs: $inputs) { edges { node { dbId yourReference } } } }"
)
EXISTING_QUERY = (
    "query ExistingGLImportItems($refs: [String!]!, $first: Int!) { "
    "glImportItems(first: $first, filter: { yourReference_in: $refs }) "
    "{ edges { node { dbId yourReference } } } }"
)


# --- the declaration ------------------------------------------------------------------

XLEDGER = IntegrationType(
    key="xledger",
    order=10,
    label="Xledger",
    summary="Needs an Xledger API token created by a Domain Administrator.",
    probe="reads your first company from the Xledger GraphQL API",
    environments=(
        Environment(
            "sandbox",
            "Demo (sandbox)",
            "demo.xledger.net: a demo token works only here.",
            (Endpoint("graphql", "https://demo.xledger.net/graphql", "/xledger/demo/graphql"),),
        ),
        Environment(
            "production",
            "Production",
            "www.xledger.net: your live Xledger entity.",
            (
                Endpoint(
                    "graphql", "https://www.xledger.net/graphql", "/xledger/production/graphql"
                ),
            ),
        ),
    ),
    batch_size=500,
    adapter=lambda settings: XledgerAdapter(settings),
    common_fields=(),
    environment_is_destination=True,
    auth_flows=(
        AuthFlow(
            key="api_token",
            label="API token",
            description="Sent as 'Authorization: token <API token>'.",
            fields=(
                FieldSpec(
                    key="api_token",
                    label="API token",
                    kind=FieldKind.SECRET,
                    help=(
                        "Create it in Xledger under System Access → GraphQL → API tokens, "
                        "with read and write scope."
                    ),
                    pattern=r"\S{8,}",
                    pattern_message=Message.of("field.xledger.api_token.pattern"),
                    max_length=400,
                ),
            ),
        ),
    ),
)
INTEGRATION_TYPE = XLEDGER


class XledgerAdapter:
    """Tests an Xledger API token and posts GL import items."""

    type_key = XLEDGER.key

    def __init__(self, settings: Settings, *, http: OutboundClient | None = None) -> None:
        self._settings = settings
        self._http = http or OutboundClient(settings)

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        return run_connection_test(lambda: self._probe(config, deadline), deadline, XLEDGER.label)

    def _probe(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        try:
            data = self._graphql(config, PROBE_QUERY, None, deadline)
            edges = ((data.get("companies") or {}).get("edges")) or []
            if not edges:
                raise IntegrationError.of(Message.of("xledger.no_company"), _TOKEN)
            node = edges[0].get("node") or {}
            name = node.get("description") or f"company {node.get('dbId')}"
            code = "xledger.connected_production"
            if config.environment != "production":
                code = "xledger.connected_demo"
            return ConnectionResult(ok=True, said=Message.of(code), reached=str(name))
        except DeadlineExceeded:
            raise  # run_connection_test words it, naming what was awaited
        except IntegrationError as failure:
            return failure.result()

    def push(self, config: ConnectionConfig, vouchers: Sequence[Voucher]) -> PushResult:
        """``addGLImportItems`` calls of at most 500 lines, each voucher whole in one call;
        ``yourReference`` carries the claim's idempotency key on every line of its voucher."""
        posting = config.require_posting()
        accepted: dict[str, str] = {}
        refused: dict[str, Message] = {}
        for chunk in _chunks(vouchers):
            budget = _Budget(4 * len(chunk).bit_length() + 4)
            result = self._push_chunk(
                config, posting, chunk, budget, first=not accepted and not refused
            )
            accepted.update(result.accepted)
            refused.update(result.failed)
        return PushResult(accepted=accepted, failed=refused)

    def _push_chunk(
        self,
        config: ConnectionConfig,
        posting: PostingSettings,
        vouchers: Sequence[Voucher],
        budget: _Budget,
        *,
        first: bool,
    ) -> PushResult:
        """One call; a refusal is narrowed down to the vouchers at fault.

        Xledger stores nothing from a call it refuses. When it names the lines at fault
        (``inputs[i]``) their vouchers are refused and the rest sent again; when it does not
        (the per-line shape is UNVERIFIED), the vouchers are halved until the refused ones
        stand alone, so one bad claim never blocks the others run after run.
        """
        if not vouchers:
            return PushResult(accepted={})
        budget.spend()
        nodes, owners = _nodes(vouchers, posting)
        try:
            data = self._graphql(config, ADD_MUTATION, {"inputs": nodes}, Deadline(PUSH_SECONDS))
        except InvalidNodes as invalid:
            bad = {owners[i] for i in invalid.by_index if i < len(owners)}
            if bad:
                refused = {vouchers[v].key: _reason(invalid, owners, v) for v in sorted(bad)}
                rest = [voucher for i, voucher in enumerate(vouchers) if i not in bad]
                result = self._push_chunk(config, posting, rest, budget, first=False)
                return PushResult(accepted=result.accepted, failed={**refused, **result.failed})
            return self._narrow(config, posting, vouchers, invalid, budget)
        except IntegrationError as failure:
            # Before anything was stored: authorization and scope refusals come first.
            raise failure.push_error(nothing_sent=first and not failure.transient) from None
        return _push_result(data, vouchers)

    def _narrow(
        self,
        config: ConnectionConfig,
        posting: PostingSettings,
        vouchers: Sequence[Voucher],
        invalid: InvalidNodes,
        budget: _Budget,
    ) -> PushResult:
        if len(vouchers) == 1:
            return PushResult(
                accepted={},
                failed={
                    vouchers[0].key: Message.of("xledger.voucher_refused", detail=str(invalid))
                },
            )
        middle = len(vouchers) // 2
        left = self._push_chunk(config, posting, vouchers[:middle], budget, first=False)
        right = self._push_chunk(config, posting, vouchers[middle:], budget, first=False)
        return PushResult(
            accepted={**left.accepted, **right.accepted}, failed={**left.failed, **right.failed}
        )

    def payload_lines(self, config: ConnectionConfig, voucher: Voucher) -> list[PostedLine]:
        nodes, _ = _nodes([voucher], config.require_posting())
        return [_posted(node) for node in nodes]

    def chart(self, config: ConnectionConfig) -> Chart:
        """One request: accounts, tax rules, transaction sources and GL object values."""
        try:
            data = self._graphql(config, CHART_QUERY, {"first": CHART_FIRST}, Deadline(30.0))
        except IntegrationError as failure:
            raise failure.push_error() from None
        objects: dict[str, list[ChartEntry]] = {}
        for node in _nodes_of(data, "glObjectValues"):
            number = str(node.get("objectNumber") or "")
            if number:
                objects.setdefault(f"glObject{number}", []).append(_entry(node))
        return Chart(
            accounts=tuple(_entry(n) for n in _nodes_of(data, "accounts")),
            tax_codes=tuple(_entry(n) for n in _nodes_of(data, "taxRules")),
            transaction_sources=tuple(_entry(n) for n in _nodes_of(data, "transactionSources")),
            dimensions=tuple(
                ChartEntry(key, f"GL object {key.removeprefix('glObject')}")
                for key in sorted(objects)
            ),
            dimension_values={key: tuple(values) for key, values in objects.items()},
        )

    def find_existing(self, config: ConnectionConfig, keys: Sequence[str]) -> dict[str, str]:
        """Vouchers already in Xledger, by ``yourReference`` → the dbId of one of its lines.

        Every line of a voucher carries the key, so a page holds up to
        ``MAX_LINES_PER_VOUCHER`` items per key asked about."""
        found: dict[str, str] = {}
        per_request = MAX_NODES // MAX_LINES_PER_VOUCHER
        for start in range(0, len(keys), per_request):
            chunk = list(keys[start : start + per_request])
            asked = set(chunk)
            variables = {"refs": chunk, "first": MAX_NODES}
            try:
                data = self._graphql(config, EXISTING_QUERY, variables, Deadline(PUSH_SECONDS))
            except IntegrationError as failure:
                raise failure.push_error() from None
            for edge in ((data.get("glImportItems") or {}).get("edges")) or []:
                node = edge.get("node") or {}
                if node.get("yourReference") in asked and node.get("dbId") is not None:
                    found.setdefault(str(node["yourReference"]), str(node["dbId"]))
        return found

    # --- one GraphQL request ------------------------------------------------------------

    def _graphql(
        self,
        config: ConnectionConfig,
        query: str,
        variables: Mapping[str, Any] | None,
        deadline: Deadline,
    ) -> dict[str, Any]:
        """``data`` of a successful answer; anything else raises IntegrationError."""
        token = (config.secrets.get("api_token") or "").strip()
        if not token:
            raise IntegrationError.of(Message.of("xledger.token_missing"), _TOKEN)
        if any(ch.isspace() for ch in token):
            raise IntegrationError.of(Message.of("xledger.token_spaces"), _TOKEN)
        url = XLEDGER.endpoints(config.environment, self._settings)["graphql"]
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        try:
            reply = self._http.request(
                "POST",
                url,
                deadline=deadline,
                headers={"Authorization": f"token {token}"},
                json=body,
            )
        except OutboundError as exc:
            raise from_outbound(XLEDGER.label, exc) from None
        return _data(reply, token, config.environment)


class InvalidNodes(PermanentError):
    """``BAD_REQUEST.INVALID_INPUT`` naming the nodes at fault (``inputs[i]``), by index."""

    def __init__(self, message: Message, code: str, by_index: Mapping[int, str]) -> None:
        super().__init__(message, code=code)
        self.by_index = dict(by_index)


_INPUT_INDEX = re.compile(r"^inputs\[(\d+)\]")


def _invalid_nodes(code: str, message: str, extensions: object) -> InvalidNodes:
    """Group the error's problems by the node they name; any unnamed one blames the batch."""
    problems = extensions.get("problems") if isinstance(extensions, dict) else None
    if not isinstance(problems, list) or not problems:
        problems = message.split("; ")
    by_index: dict[int, list[str]] = {}
    for problem in map(str, problems):
        match = _INPUT_INDEX.match(problem)
        if match is None:
            by_index = {}
            break
        by_index.setdefault(int(match.group(1)), []).append(problem)
    reasons = {index: "; ".join(found)[:300] for index, found in by_index.items()}
    return InvalidNodes(
        Message.of("xledger.refused_request", detail=message[:300], error_code=code), code, reasons
    )


def _push_result(data: Mapping[str, Any], vouchers: Sequence[Voucher]) -> PushResult:
    """Stored vouchers by ``yourReference``; a voucher none of whose lines came back is failed."""
    edges = ((data.get("addGLImportItems") or {}).get("edges")) or []
    wanted = {voucher.key for voucher in vouchers}
    accepted: dict[str, str] = {}
    for edge in edges:
        node = edge.get("node") or {}
        key = node.get("yourReference")
        if key in wanted and node.get("dbId") is not None and key not in accepted:
            accepted[str(key)] = str(node["dbId"])
    failed = {
        voucher.key: Message.of("xledger.voucher_unconfirmed")
        for voucher in vouchers
        if voucher.key not in accepted
    }
    return PushResult(accepted=accepted, failed=failed)


class _Budget:
    """How many calls narrowing a refused chunk may make: about two per halving for a few
    bad vouchers. A refusal that survives every split is not about one voucher (a schema
    Xledger changed, a rule for every line): the batch stops, to be checked before resending,
    rather than cost a request per claim."""

    def __init__(self, calls: int) -> None:
        self.left = calls

    def spend(self) -> None:
        if self.left <= 0:
            raise PermanentError(Message.of("xledger.refused_unexplained"))
        self.left -= 1


def _chunks(vouchers: Sequence[Voucher]) -> list[list[Voucher]]:
    """Vouchers grouped into calls of at most ``MAX_NODES`` lines, never splitting one."""
    return whole_groups(vouchers, MAX_NODES, lambda voucher: len(voucher.lines))


def _nodes(
    vouchers: Sequence[Voucher], posting: PostingSettings
) -> tuple[list[dict[str, Any]], list[int]]:
    """The mutation's inputs, and for each the index of the voucher it belongs to."""
    nodes: list[dict[str, Any]] = []
    owners: list[int] = []
    for index, voucher in enumerate(vouchers):
        for line in voucher.lines:
            node: dict[str, Any] = {
                "account": {"code": line.account},
                "amount": str(line.amount),
                "currency": {"code": voucher.currency},
                "postedDate": voucher.posted_date.isoformat(),
                "text": voucher.text[:200],
                "yourReference": voucher.key,
                "transactionSource": {"code": posting.transaction_source},
                "trRegNumber": voucher.number,
            }
            if line.tax_code:
                node["taxRule"] = {"code": line.tax_code}
            for dimension, value in line.dimensions:
                node[dimension] = {"code": value}
            nodes.append({"node": node})
            owners.append(index)
    return nodes, owners


def _posted(item: Mapping[str, Any]) -> PostedLine:
    node = item["node"]
    return PostedLine(
        voucher=str(node["trRegNumber"]),
        account=str(node["account"]["code"]),
        amount=Decimal(node["amount"]),
        tax_code=str((node.get("taxRule") or {}).get("code", "")),
        dimensions=tuple(
            (key, str(value["code"])) for key, value in node.items() if key.startswith("glObject")
        ),
        text=str(node["text"]),
    )


def _nodes_of(data: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    edges = ((data.get(name) or {}).get("edges")) or []
    return [edge["node"] for edge in edges if isinstance(edge, dict) and edge.get("node")]


def _entry(node: Mapping[str, Any]) -> ChartEntry:
    return ChartEntry(str(node.get("code") or ""), str(node.get("description") or ""))


def _reason(invalid: InvalidNodes, owners: Sequence[int], voucher: int) -> Message:
    found = [why for i, why in invalid.by_index.items() if i < len(owners) and owners[i] == voucher]
    return Message.of("xledger.voucher_refused", detail="; ".join(found)[:400])


def _data(reply: HttpReply, token: str, environment: str) -> dict[str, Any]:
    status = reply.status_code
    try:
        payload = reply.json()
    except OutboundError as exc:
        if status >= 500 or status == 429:
            raise _http_failure(reply) from None
        raise from_outbound(XLEDGER.label, exc) from None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors:
        raise _error_failure(errors[0], reply, token, environment)
    if status == 401:
        raise _error_failure({"code": "UNAUTHORIZED"}, reply, token, environment)
    if status >= 400:
        raise _http_failure(reply)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise IntegrationError.of(Message.of("xledger.no_data"), transient=True)
    return data


def _http_failure(reply: HttpReply) -> IntegrationError:
    status = reply.status_code
    if status == 429:
        wait = reply.retry_after()
        return IntegrationError.of(
            Message.of("xledger.rate_limited_for", seconds=wait)
            if wait is not None
            else Message.of("xledger.rate_limited"),
            code="429",
            transient=True,
            retry_after=wait,
        )
    if status >= 500:
        return IntegrationError.of(
            Message.of("xledger.server_error", status=status),
            code=str(status),
            transient=True,
        )
    return IntegrationError.of(Message.of("xledger.http_status", status=status), code=str(status))


def _error_failure(
    entry: Mapping[str, Any], reply: HttpReply, token: str, environment: str
) -> IntegrationError:
    """Xledger's first error, worded for the admin, with the token field when it is at fault.

    Xledger's own codes sit in the top-level ``code``; GraphQL validation errors carry
    theirs in ``extensions.code`` (e.g. ``INVALID_VALUE``): both are read."""
    extensions = entry.get("extensions")
    extension_code = str(extensions.get("code") or "") if isinstance(extensions, dict) else ""
    code = str(entry.get("code") or "") or extension_code
    message = scrub(str(entry.get("message") or ""), [token])
    upper = f"{code} {extension_code}".upper()
    if "BAD_TOKEN_FORMAT" in upper or message.startswith("Bad format for API Token"):
        return IntegrationError.of(
            Message.of("xledger.bad_token_format"),
            _TOKEN,
            code=code or "BAD_TOKEN_FORMAT",
        )
    if "INVALID_TOKEN" in upper or upper == "UNAUTHORIZED" or reply.status_code == 401:
        code_of = "xledger.token_unknown_production"
        if environment != "production":
            code_of = "xledger.token_unknown_demo"
        return IntegrationError.of(
            Message.of(code_of),
            _TOKEN,
            code=code or "UNAUTHORIZED",
        )
    if "MISSING_SCOPE" in upper or "FORBIDDEN" in upper:
        scope = extensions.get("scope") if isinstance(extensions, dict) else None
        return IntegrationError.of(
            Message.of("xledger.missing_scope", scope=str(scope), said=message[:200])
            if scope
            else Message.of("xledger.missing_write_scope", said=message[:200]),
            _TOKEN,
            code=code,
        )
    if "BURST_RATE_LIMIT" in upper:
        return IntegrationError.of(
            Message.of("xledger.burst_limit"),
            code=code,
            transient=True,
            retry_after=BURST_RETRY_SECONDS,
        )
    if "CONCURRENCY_LIMIT" in upper:
        return IntegrationError.of(
            Message.of("xledger.concurrency_limit"),
            code=code,
            transient=True,
            retry_after=CONCURRENCY_RETRY_SECONDS,
        )
    if "INSUFFICIENT_CREDITS" in upper:
        return _credits_failure(code, entry.get("extensions"))
    if "QUERY_TIMEOUT" in upper or "timed out" in message.lower():
        return IntegrationError.of(
            Message.of("xledger.query_timeout"),
            code=code or "QUERY_TIMEOUT",
            transient=True,
        )
    if reply.status_code == 429 or reply.status_code >= 500:
        return _http_failure(reply)
    if "INVALID_INPUT" in upper or "INVALID_VALUE" in upper or "GRAPHQL_VALIDATION" in upper:
        return _invalid_nodes(code, message, extensions)
    return IntegrationError.of(
        Message.of("xledger.refused_request", detail=message[:300], error_code=code), code=code
    )


def _credits_failure(code: str, extensions: object) -> IntegrationError:
    reset_at = _parse_time(
        (extensions or {}).get("resetAt") if isinstance(extensions, dict) else None
    )
    if reset_at is None:
        said, wait = Message.of("xledger.no_credits"), None
    else:
        wait = max(0.0, (reset_at - dt.datetime.now(dt.UTC)).total_seconds())
        said = Message.of(
            "xledger.no_credits_until",
            # As Xledger states it (UTC); the reader's zone would need the org's, not known here.
            at=f"{reset_at:%Y-%m-%d %H:%M}",
            wait=_duration(wait),
        )
    return IntegrationError.of(
        said,
        code=code,
        transient=True,
        retry_after=wait,
    )


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _duration(seconds: float) -> Message:
    minutes = round(seconds / 60)
    if minutes < 1:
        return Message.of("duration.a_minute")
    if minutes == 1:
        return Message.of("duration.one_minute")
    if minutes < 90:
        return Message.of("duration.minutes", count=minutes)
    return Message.of("duration.hours", count=round(minutes / 60))
