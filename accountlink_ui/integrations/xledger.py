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
from typing import Any

from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import (
    AdapterFailure,
    HttpReply,
    OutboundClient,
    OutboundError,
    run_connection_test,
    scrub,
)
from accountlink_ui.integrations.registry import (
    ConnectionConfig,
    ConnectionResult,
    ExportRecord,
    PushResult,
)
from accountlink_ui.integrations.types import XLEDGER, endpoints
from accountlink_ui.settings import Settings

MAX_NODES = 500
PUSH_SECONDS = 60.0
BURST_RETRY_SECONDS = 5.0  # what Xledger's official sample waits after BURST_RATE_LIMIT_REACHED
CONCURRENCY_RETRY_SECONDS = 5.0
LABEL = "Xledger"
_TOKEN = ("api_token",)

PROBE_QUERY = "{ companies(first: 1) { edges { node { dbId description } } } }"
ADD_MUTATION = (
    "mutation AddGLImportItems($inputs: [AddGLImportItemsInput!]!) { "
    "addGLImportItems(inputs: $inputs) { edges { node { dbId yourReference } } } }"
)
EXISTING_QUERY = (
    "query ExistingGLImportItems($refs: [String!]!, $first: Int!) { "
    "glImportItems(first: $first, filter: { yourReference_in: $refs }) "
    "{ edges { node { dbId yourReference } } } }"
)


class XledgerAdapter:
    """Tests an Xledger API token and posts GL import items."""

    type_key = XLEDGER.key

    def __init__(self, settings: Settings, *, http: OutboundClient | None = None) -> None:
        self._settings = settings
        self._http = http or OutboundClient(settings)

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        return run_connection_test(lambda: self._probe(config, deadline), deadline, LABEL)

    def _probe(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        try:
            data = self._graphql(config, PROBE_QUERY, None, deadline)
            edges = ((data.get("companies") or {}).get("edges")) or []
            if not edges:
                raise AdapterFailure(
                    "The API token works but sees no company. Create the token in the "
                    "Xledger entity AccountLink should post to.",
                    _TOKEN,
                )
            node = edges[0].get("node") or {}
            name = node.get("description") or f"company {node.get('dbId')}"
            environment = "demo" if config.environment != "production" else "production"
            return ConnectionResult(
                ok=True, message=f"Connected to Xledger ({environment}).", reached=str(name)
            )
        except AdapterFailure as failure:
            return failure.result()

    def push(self, config: ConnectionConfig, records: Sequence[ExportRecord]) -> PushResult:
        """One ``addGLImportItems`` call; ``yourReference`` carries the idempotency key."""
        if len(records) > MAX_NODES:
            raise ValueError(
                f"Xledger accepts at most {MAX_NODES} nodes per mutation; got {len(records)}. "
                "Split the batch before calling push."
            )
        if not records:
            return PushResult(accepted={})
        refused: dict[str, str] = {}
        remaining = list(records)
        while remaining:  # each pass drops at least one node, so this ends
            inputs = [{"node": _node(record)} for record in remaining]
            try:
                data = self._graphql(
                    config, ADD_MUTATION, {"inputs": inputs}, Deadline(PUSH_SECONDS)
                )
            except InvalidNodes as invalid:
                # Xledger stores nothing from a batch with an invalid node: refuse those
                # claims and send the rest again, so one bad claim does not stop every run.
                bad = {i: why for i, why in invalid.by_index.items() if i < len(remaining)}
                if not bad:
                    raise invalid.push_error() from None
                refused.update({remaining[i].idempotency_key: why for i, why in bad.items()})
                remaining = [r for i, r in enumerate(remaining) if i not in bad]
                continue
            except AdapterFailure as failure:
                raise failure.push_error() from None
            return _push_result(data, remaining, refused)
        return PushResult(accepted={}, failed=refused)

    def find_existing(self, config: ConnectionConfig, keys: Sequence[str]) -> dict[str, str]:
        """GL import items already in Xledger, by ``yourReference`` → dbId (one request per 500)."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), MAX_NODES):
            chunk = list(keys[start : start + MAX_NODES])
            asked = set(chunk)
            variables = {"refs": chunk, "first": len(chunk)}
            try:
                data = self._graphql(config, EXISTING_QUERY, variables, Deadline(PUSH_SECONDS))
            except AdapterFailure as failure:
                raise failure.push_error() from None
            for edge in ((data.get("glImportItems") or {}).get("edges")) or []:
                node = edge.get("node") or {}
                if node.get("yourReference") in asked and node.get("dbId") is not None:
                    found[str(node["yourReference"])] = str(node["dbId"])
        return found

    # --- one GraphQL request ------------------------------------------------------------

    def _graphql(
        self,
        config: ConnectionConfig,
        query: str,
        variables: Mapping[str, Any] | None,
        deadline: Deadline,
    ) -> dict[str, Any]:
        """``data`` of a successful answer; anything else raises AdapterFailure."""
        token = (config.secrets.get("api_token") or "").strip()
        if not token:
            raise AdapterFailure("Enter the Xledger API token.", _TOKEN)
        if any(ch.isspace() for ch in token):
            raise AdapterFailure(
                "The API token contains spaces. Paste only the token itself, without "
                "'token' or 'Bearer' in front of it.",
                _TOKEN,
            )
        url = endpoints(XLEDGER.key, config.environment, self._settings)["graphql"]
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
            raise AdapterFailure.from_outbound(LABEL, exc) from None
        return _data(reply, token, config.environment)


class InvalidNodes(AdapterFailure):
    """``BAD_REQUEST.INVALID_INPUT`` naming the nodes at fault (``inputs[i]``), by index."""

    def __init__(self, message: str, code: str, by_index: Mapping[int, str]) -> None:
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
    reasons = {
        index: f"Xledger refused this item: {'; '.join(found)[:300]}"
        for index, found in by_index.items()
    }
    return InvalidNodes(f"Xledger refused the request ({code}): {message[:300]}", code, reasons)


def _push_result(
    data: Mapping[str, Any], records: Sequence[ExportRecord], refused: Mapping[str, str]
) -> PushResult:
    """The stored items by ``yourReference``; anything unconfirmed or refused is failed."""
    edges = ((data.get("addGLImportItems") or {}).get("edges")) or []
    accepted: dict[str, str] = {}
    for index, edge in enumerate(edges):
        node = edge.get("node") or {}
        key = node.get("yourReference") or (
            records[index].idempotency_key if index < len(records) else None
        )
        if key and node.get("dbId") is not None:
            accepted[str(key)] = str(node["dbId"])
    failed = dict(refused)
    failed.update(
        {
            r.idempotency_key: "Xledger did not confirm this item."
            for r in records
            if r.idempotency_key not in accepted
        }
    )
    return PushResult(accepted=accepted, failed=failed)


def _data(reply: HttpReply, token: str, environment: str) -> dict[str, Any]:
    status = reply.status_code
    try:
        payload = reply.json()
    except OutboundError as exc:
        if status >= 500 or status == 429:
            raise _http_failure(reply) from None
        raise AdapterFailure.from_outbound(LABEL, exc) from None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, list) and errors:
        raise _error_failure(errors[0], reply, token, environment)
    if status == 401:
        raise _error_failure({"code": "UNAUTHORIZED"}, reply, token, environment)
    if status >= 400:
        raise _http_failure(reply)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise AdapterFailure("Xledger answered without data; try again later.", transient=True)
    return data


def _http_failure(reply: HttpReply) -> AdapterFailure:
    status = reply.status_code
    if status == 429:
        wait = reply.retry_after()
        return AdapterFailure(
            "Xledger is limiting requests right now (HTTP 429); try again "
            + (f"in {wait:g} s." if wait is not None else "in a few seconds."),
            code="429",
            transient=True,
            retry_after=wait,
        )
    if status >= 500:
        return AdapterFailure(
            f"Xledger had a server error (HTTP {status}). Try again later.",
            code=str(status),
            transient=True,
        )
    return AdapterFailure(f"Xledger answered HTTP {status}.", code=str(status))


def _error_failure(
    entry: Mapping[str, Any], reply: HttpReply, token: str, environment: str
) -> AdapterFailure:
    """Xledger's first error, worded for the admin, with the token field when it is at fault."""
    code = str(entry.get("code") or "")
    message = scrub(str(entry.get("message") or ""), [token])
    upper = code.upper()
    if "BAD_TOKEN_FORMAT" in upper or message.startswith("Bad format for API Token"):
        return AdapterFailure(
            "Xledger did not accept the format of the Authorization header. Paste only the API "
            "token itself, without 'token' or 'Bearer' in front of it.",
            _TOKEN,
            code=code or "BAD_TOKEN_FORMAT",
        )
    if "INVALID_TOKEN" in upper or upper == "UNAUTHORIZED" or reply.status_code == 401:
        where = "Production" if environment == "production" else "Demo"
        return AdapterFailure(
            f"Xledger did not recognise the API token. Check that it was created in Xledger "
            f"{where} (a demo token works only in demo and is wiped at each demo refresh), and "
            "that it has not been deleted.",
            _TOKEN,
            code=code or "UNAUTHORIZED",
        )
    if "MISSING_SCOPE" in upper or "FORBIDDEN" in upper:
        return AdapterFailure(
            "The API token lacks the scope this needs (read to test the connection, write to "
            "post). Create a token with read and write scope under System Access → GraphQL → "
            "API tokens.",
            _TOKEN,
            code=code,
        )
    if "BURST_RATE_LIMIT" in upper:
        return AdapterFailure(
            "Xledger's burst rate limit was reached: try again in a few seconds.",
            code=code,
            transient=True,
            retry_after=BURST_RETRY_SECONDS,
        )
    if "CONCURRENCY_LIMIT" in upper:
        return AdapterFailure(
            "Too many requests are running at once with this API token: try again in a few "
            "seconds.",
            code=code,
            transient=True,
            retry_after=CONCURRENCY_RETRY_SECONDS,
        )
    if "INSUFFICIENT_CREDITS" in upper:
        return _credits_failure(code, entry.get("extensions"))
    if "QUERY_TIMEOUT" in upper or "timed out" in message.lower():
        return AdapterFailure(
            "Xledger said: “Your query timed out.” It is busy; try again in a minute.",
            code=code or "QUERY_TIMEOUT",
            transient=True,
        )
    if reply.status_code == 429 or reply.status_code >= 500:
        return _http_failure(reply)
    if upper == "BAD_REQUEST.INVALID_INPUT":
        return _invalid_nodes(code, message, entry.get("extensions"))
    return AdapterFailure(f"Xledger refused the request ({code}): {message[:300]}", code=code)


def _credits_failure(code: str, extensions: object) -> AdapterFailure:
    reset_at = _parse_time(
        (extensions or {}).get("resetAt") if isinstance(extensions, dict) else None
    )
    if reset_at is None:
        when, wait = "Try again later.", None
    else:
        wait = max(0.0, (reset_at - dt.datetime.now(dt.UTC)).total_seconds())
        when = f"Credits reset at {reset_at:%Y-%m-%d %H:%M} UTC (in about {_duration(wait)})."
    return AdapterFailure(
        f"The Xledger account has no API credits left. {when}",
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


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "a minute"
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{round(minutes / 60)} hours"


def _node(record: ExportRecord) -> dict[str, Any]:
    return {
        "account": {"code": record.account_code},
        "amount": str(record.amount),
        "currency": {"code": record.currency},
        "postedDate": record.posted_date.isoformat(),
        "text": f"{record.description} ({record.claimant})",
        "yourReference": record.idempotency_key,
    }
