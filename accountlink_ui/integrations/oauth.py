"""OAuth 2.0 client-credentials token requests: authlib speaks the protocol, our client sends.

authlib builds the token request (``grant_type``, ``scope``, the client
authentication: ``client_secret_post`` or an RFC 7523 ``private_key_jwt``
assertion) through its protocol client, :class:`authlib.oauth2.client.OAuth2Client`,
whose only I/O is ``session.post(url, data=, headers=, auth=)``. The session
given here is :class:`_GuardedSession`, which hands the finished request to
:meth:`OutboundClient.request`, so a token request gets everything rule 6 gives
every other call: the SSRF pin (resolve once, vet, connect to the vetted
address) for admin-typed token URLs, https only, a literal private IP refused
before any socket, same-host redirects only, the response size cap, and every
timeout capped by the caller's :class:`Deadline` (so a hanging token endpoint
is cut at the 10 s connection-test deadline like any probe).

Why not ``authlib.integrations.httpx_client.OAuth2Client(transport=...)``: it
is an ``httpx.Client``, and the guarantees live above the transport, in
``OutboundClient.request``: URL checks, redirect policy, the chunked read that
stops at the deadline and the size cap, named errors. Handing it our pinned
transport alone would keep the pin but lose those; and with its default
``trust_env`` an ``HTTPS_PROXY`` in the environment mounts httpx's own proxy
transport, which bypasses the pinning backend altogether. authlib 1.9's httpx
integration also targets ``httpx2`` and only falls back to our httpx 0.28 with a
deprecation warning. The protocol client with our session keeps one send path.

authlib's answer parsing is not used: its errors keep only ``error`` and
``error_description``, while the adapters word failures from the status code,
``Retry-After`` and Entra's ``error_codes``. :meth:`_TokenClient.parse_response_token`
returns the token body or raises :class:`TokenRefused` with the whole reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from authlib.common.urls import url_encode
from authlib.oauth2.client import OAuth2Client

from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import HttpReply, NotJsonError, OutboundClient

CLIENT_SECRET_POST = "client_secret_post"
"""Client id and secret in the form body: what Entra and the generic REST flow send."""

# authlib's client-authentication hook: (client auth, method, uri, headers, body) → (uri, headers, body)
AuthMethod = str | Callable[..., tuple[str, dict[str, str], str]]


class TokenRefused(Exception):
    """The token endpoint answered without an access token.

    ``body`` is the parsed JSON, or None when the answer was not JSON; the caller
    words the failure, since only it knows which form fields are at fault.
    """

    def __init__(self, reply: HttpReply, body: object) -> None:
        super().__init__(f"{reply.host} answered HTTP {reply.status_code} without a token.")
        self.reply = reply
        self.body = body


class _GuardedSession:
    """The "session" authlib's protocol client posts through: our guarded client."""

    def __init__(self, http: OutboundClient, deadline: Deadline, guarded: bool) -> None:
        self._http = http
        self._deadline = deadline
        self._guarded = guarded

    def post(
        self,
        url: str,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Any = None,
    ) -> HttpReply:
        body = url_encode(list((data or {}).items()))
        # A copy: authlib passes its module-level default headers, and client
        # authentication methods write into the dict they are given.
        sent_headers = dict(headers or {})
        if auth is not None:
            url, sent_headers, body = auth.prepare("POST", url, sent_headers, body)
        return self._http.request(
            "POST",
            url,
            deadline=self._deadline,
            guarded=self._guarded,
            headers=sent_headers,
            content=body.encode(),
        )


class _TokenClient(OAuth2Client):
    """authlib's protocol client, answering with the token body or :class:`TokenRefused`."""

    def parse_response_token(self, resp: HttpReply) -> dict[str, Any]:
        try:
            body = resp.json()
        except NotJsonError:
            body = None
        if resp.ok and isinstance(body, Mapping) and body.get("access_token"):
            return dict(body)
        raise TokenRefused(resp, body)


def client_credentials_token(
    http: OutboundClient,
    token_url: str,
    *,
    deadline: Deadline,
    guarded: bool,
    client_id: str,
    client_secret: str = "",
    auth_method: AuthMethod = CLIENT_SECRET_POST,
    scope: str = "",
    form: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The token endpoint's JSON answer (it has ``access_token``) for a client-credentials grant.

    ``client_secret`` goes in the form with ``client_secret_post``; an assertion
    method (``private_key_jwt``) carries its own key instead. ``form`` adds body fields.
    Raises :class:`TokenRefused` (the endpoint said no) or an ``OutboundError``
    (no usable answer: blocked address, deadline, connection failure).
    """
    client = _TokenClient(
        _GuardedSession(http, deadline, guarded),
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method=auth_method,
    )
    extra = dict(form or {})
    if scope:
        extra["scope"] = scope
    token: dict[str, Any] = client.fetch_token(token_url, grant_type="client_credentials", **extra)
    return token
