"""Microsoft Entra ID client-credentials tokens, and the in-memory token cache.

Tokens come from ``{authority}/{tenant}/oauth2/v2.0/token`` with either a
client secret or a client assertion signed with the app's certificate. The
assertion is PS256 with ``x5t#S256`` (base64url SHA-256 thumbprint), as
Microsoft now documents; if Entra refuses that, the same request is made once
more with RS256 and ``x5t`` (SHA-1), and the certificate is remembered as
RS256-only so later requests skip the refused attempt. authlib (RFC 7523
``private_key_jwt``, over joserfc) signs the assertion and builds the token
request; ``oauth.py`` sends it through the one guarded client.

:class:`TokenCache` also serves the generic REST adapter's OAuth flow. It lives
in process memory only, keyed by a keyed hash of the credential (never the
credential), and forgets a token five minutes before it expires.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from accountlink_ui import redaction
from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import HttpReply, OutboundClient, scrub
from accountlink_ui.integrations.oauth import (
    CLIENT_SECRET_POST,
    TokenRefused,
    client_credentials_token,
)

REFRESH_MARGIN_SECONDS = 300.0
ASSERTION_LIFETIME_SECONDS = 600
PS256 = "PS256"
RS256 = "RS256"
# Answers taken to mean "this tenant does not accept the PS256 assertion", so the
# RS256 one is tried. UNVERIFIED: no public source shows what Entra returns when
# it refuses PS256; 700027 (signature validation failed), 50027 (invalid JWT) and
# 5002738 (unsupported signing algorithm) are the plausible ones.
PS256_REFUSALS = frozenset({700027, 50027, 5002738})

# A per-process key: cache keys cannot be compared with a hash computed elsewhere.
_FINGERPRINT_KEY = secrets.token_bytes(32)


def credential_fingerprint(*parts: str) -> str:
    """A keyed hash of a credential, safe to keep in a cache key or compare."""
    digest = hmac.new(_FINGERPRINT_KEY, "\x1f".join(parts).encode(), hashlib.sha256)
    return digest.hexdigest()


class TokenCache:
    """Access tokens by (issuer URL, tenant, client, scope, credential fingerprint)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN_SECONDS,
    ) -> None:
        self._clock = clock
        self._margin = margin
        self._tokens: dict[tuple[str, ...], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> str | None:
        with self._lock:
            entry = self._tokens.get(key)
            if entry is None:
                return None
            token, use_until = entry
            if self._clock() >= use_until:
                del self._tokens[key]
                return None
            return token

    def put(self, key: tuple[str, ...], token: str, expires_in: float) -> None:
        redaction.remember_issued(token, expires_in)  # an echo of it is scrubbed everywhere
        with self._lock:
            self._tokens[key] = (token, self._clock() + expires_in - self._margin)

    def discard(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


# --- credentials ------------------------------------------------------------------------------


class CredentialFormatError(ValueError):
    """The certificate or key cannot be used; ``fields`` names the one to fix."""

    def __init__(self, said: Message, *, fields: tuple[str, ...]) -> None:
        super().__init__(english(said))
        self.said = said
        self.fields = fields


@dataclass(frozen=True)
class ClientSecret:
    value: str = field(repr=False)

    def fingerprint(self) -> str:
        return credential_fingerprint("secret", self.value)


@dataclass(frozen=True)
class CertificateKey:
    """A certificate's thumbprints (base64url, as JWT headers carry them) and its signing key."""

    x5t: str
    """SHA-1 thumbprint, for the RS256 fallback."""
    x5t_s256: str
    """SHA-256 thumbprint, for PS256 (and the key of the RS256-only memory)."""
    key: rsa.RSAPrivateKey = field(repr=False)


@dataclass(frozen=True)
class ClientCertificate:
    certificate_pem: str
    private_key_pem: str = field(repr=False)

    def fingerprint(self) -> str:
        return credential_fingerprint("certificate", self.certificate_pem, self.private_key_pem)

    def load(self) -> CertificateKey:
        """The thumbprints and the signing key, after checking that they belong together."""
        try:
            cert = x509.load_pem_x509_certificate(self.certificate_pem.strip().encode())
        except ValueError:
            raise CredentialFormatError(
                Message.of("entra.certificate_unreadable"),
                fields=("certificate_pem",),
            ) from None
        try:
            key = serialization.load_pem_private_key(self.private_key_pem.strip().encode(), None)
        except TypeError:
            raise CredentialFormatError(
                Message.of("entra.key_encrypted"),
                fields=("private_key_pem",),
            ) from None
        except ValueError:
            raise CredentialFormatError(
                Message.of("entra.key_unreadable"),
                fields=("private_key_pem",),
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise CredentialFormatError(
                Message.of("entra.key_not_rsa"),
                fields=("private_key_pem",),
            )
        cert_key = cert.public_key()
        if (
            not isinstance(cert_key, rsa.RSAPublicKey)
            or cert_key.public_numbers() != key.public_key().public_numbers()
        ):
            raise CredentialFormatError(
                Message.of("entra.key_mismatch"),
                fields=("private_key_pem",),
            )
        return CertificateKey(
            x5t=_b64url(cert.fingerprint(hashes.SHA1())),
            x5t_s256=_b64url(cert.fingerprint(hashes.SHA256())),
            key=key,
        )


Credential = ClientSecret | ClientCertificate


def client_assertion(
    certificate: ClientCertificate | CertificateKey,
    *,
    token_url: str,
    client_id: str,
    now: float | None = None,
    algorithm: str = PS256,
) -> str:
    """A signed JWT proving possession of the certificate's key, valid for 10 minutes.

    authlib's RFC 7523 ``private_key_jwt_sign`` (over joserfc) builds and signs
    it; this function only chooses what Entra wants on top: PS256 (RSASSA-PSS,
    SHA-256, MGF1-SHA-256, salt = digest length, per RFC 7518) names the
    certificate by ``x5t#S256``, RS256 (PKCS#1 v1.5) by ``x5t``; ``jti`` is a
    GUID, ``nbf`` = ``iat``, and the lifetime is 10 minutes, not authlib's hour.
    """
    loaded = certificate.load() if isinstance(certificate, ClientCertificate) else certificate
    if algorithm == PS256:
        thumbprint = {"x5t#S256": loaded.x5t_s256}
    elif algorithm == RS256:
        thumbprint = {"x5t": loaded.x5t}
    else:
        raise ValueError(f"Unsupported client assertion algorithm {algorithm!r}.")
    issued = int(now if now is not None else time.time())
    token: str = private_key_jwt_sign(
        RSAKey.import_key(loaded.key),
        client_id=client_id,
        token_endpoint=token_url,
        alg=algorithm,
        # Fresh dicts on every call: authlib writes ``alg`` and ``jti`` into the ones it gets.
        header={"typ": "JWT", **thumbprint},
        claims={"jti": str(uuid.uuid4()), "nbf": issued},
        issued_at=issued,
        expires_at=issued + ASSERTION_LIFETIME_SECONDS,
    )
    return token


class CertificateAssertion(PrivateKeyJWT):
    """authlib's ``private_key_jwt`` client authentication, signing Entra's assertion.

    authlib's own ``sign`` would reuse one ``claims`` dict (and so one ``jti``)
    across requests and give an hour's lifetime; this one signs a fresh
    :func:`client_assertion` per request. ``signed`` keeps what was sent, so an
    error description that echoes it can be scrubbed.
    """

    def __init__(self, loaded: CertificateKey, algorithm: str) -> None:
        super().__init__(alg=algorithm)
        self._loaded = loaded
        self.signed: list[str] = []

    def sign(self, auth: Any, token_endpoint: str) -> str:
        assertion = client_assertion(
            self._loaded, token_url=token_endpoint, client_id=auth.client_id, algorithm=self.alg
        )
        self.signed.append(assertion)
        return assertion


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- token requests ---------------------------------------------------------------------------


class EntraError(Exception):
    """The token endpoint said no; ``aadsts`` is the first AADSTS code when there is one."""

    def __init__(
        self,
        status: int,
        error: str,
        description: str,
        codes: tuple[int, ...],
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.description = description
        self.codes = codes
        self.retry_after = retry_after
        super().__init__(f"Microsoft Entra ID: {error or f'HTTP {status}'}: {description}")

    @property
    def aadsts(self) -> int | None:
        return self.codes[0] if self.codes else None


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    from_cache: bool = False


class EntraTokenClient:
    """Gets client-credentials tokens, reusing a cached one while it is fresh.

    It also remembers, per certificate (SHA-256 thumbprint), that Entra refused
    its PS256 assertion but took the RS256 one, so later requests with that
    certificate go straight to RS256. Like the token cache, that memory lives in
    this process only.
    """

    def __init__(self, http: OutboundClient, cache: TokenCache | None = None) -> None:
        self._http = http
        self.cache = cache or TokenCache()
        self._rs256_only: set[str] = set()
        self._lock = threading.Lock()

    def needs_rs256(self, x5t_s256: str) -> bool:
        """True once Entra refused PS256 for this certificate and accepted RS256."""
        with self._lock:
            return x5t_s256 in self._rs256_only

    def token(
        self,
        *,
        authority: str,
        tenant: str,
        client_id: str,
        scope: str,
        credential: Credential,
        deadline: Deadline,
        refresh: bool = False,
    ) -> AccessToken:
        """A bearer token for ``scope``; raises EntraError, CredentialFormatError or OutboundError.

        ``refresh`` drops a cached token first (an API said the cached one is no good).
        A certificate is tried with PS256 first, then with RS256 if Entra refuses
        the PS256 assertion (see ``PS256_REFUSALS``), both under the same deadline.
        """
        key = (authority, tenant.lower(), client_id.lower(), scope, credential.fingerprint())
        if refresh:
            self.cache.discard(key)
        cached = self.cache.get(key)
        if cached is not None:
            return AccessToken(cached, from_cache=True)
        url = token_url(authority, tenant)
        request = functools.partial(self._request, url, key, deadline, client_id, scope)
        if isinstance(credential, ClientSecret):
            return request(secret=credential.value)
        loaded = credential.load()
        if not self.needs_rs256(loaded.x5t_s256):
            try:
                return request(assertion=CertificateAssertion(loaded, PS256))
            except EntraError as refused:
                if not _refuses_ps256(refused):
                    raise
        token = request(assertion=CertificateAssertion(loaded, RS256))
        with self._lock:
            self._rs256_only.add(loaded.x5t_s256)
        return token

    def _request(
        self,
        url: str,
        key: tuple[str, ...],
        deadline: Deadline,
        client_id: str,
        scope: str,
        *,
        secret: str = "",
        assertion: CertificateAssertion | None = None,
    ) -> AccessToken:
        """One token request, with ``secret`` or ``assertion``, built by authlib and sent
        by our client (see ``oauth.py``).

        The authority is operator-configured, hence ``guarded=False``: still the
        one client, its timeouts and the deadline, without the private-address refusal.
        """
        try:
            body = client_credentials_token(
                self._http,
                url,
                deadline=deadline,
                guarded=False,
                client_id=client_id,
                client_secret=secret,
                auth_method=assertion or CLIENT_SECRET_POST,
                scope=scope,
                # The assertion flow names the client in the form too, as Entra asks.
                form={"client_id": client_id} if assertion else None,
            )
        except TokenRefused as refused:
            if refused.body is None and refused.reply.ok:
                refused.reply.json()  # raises NotJsonError, naming what came instead
            sent = assertion.signed if assertion else [secret]
            raise _entra_error(refused.reply, refused.body, tuple(sent)) from None
        token = str(body["access_token"])
        self.cache.put(key, token, float(body.get("expires_in") or 3599))
        return AccessToken(token)


def _refuses_ps256(error: EntraError) -> bool:
    """Did Entra refuse the assertion itself (worth an RS256 retry), not the app or tenant?"""
    return error.error in ("invalid_client", "invalid_request") and error.aadsts in PS256_REFUSALS


def token_url(authority: str, tenant: str) -> str:
    return f"{authority.rstrip('/')}/{quote(tenant.strip(), safe='')}/oauth2/v2.0/token"


def _entra_error(reply: HttpReply, body: object, secrets_sent: tuple[str, ...]) -> EntraError:
    retry_after = reply.retry_after()
    if not isinstance(body, Mapping):
        return EntraError(reply.status_code, "", "", (), retry_after=retry_after)
    raw_codes = body.get("error_codes") or ()
    codes = tuple(int(code) for code in raw_codes if str(code).isdigit())
    description = str(body.get("error_description") or "")
    # Keep the first sentence: the rest is trace and correlation ids.
    first = description.split("\r\n")[0].split(" Trace ID:")[0].strip()
    return EntraError(
        reply.status_code,
        str(body.get("error") or ""),
        scrub(first[:400], secrets_sent),
        codes,
        retry_after=retry_after,
    )


# --- what an Entra refusal means for the form -------------------------------------------------
#
# Microsoft advises acting on the OAuth ``error`` value, not on AADSTS numbers
# alone: the ``error`` value chooses the field at fault, and the AADSTS table
# below refines the message (and the fields, when its entry was written for that
# same ``error`` value).

_SECRET = ("client_secret",)
_CERT = ("certificate_pem", "private_key_pem")
_CLIENT_ID = ("client_id",)
_TENANT = ("tenant_id",)
# The app itself is missing in the tenant, whatever the ``error`` value says.
_APP_MISSING = frozenset({700016, 700011, 7000229})
_TENANT_MISSING = frozenset({90002, 900023})
_RESOURCE = ("<resource>",)  # stands for the product's own field (environment / URL)

# code -> (message code, fields, the ``error`` value Entra sends with it); {aadsts} {tenant}
# {client_id} {resource} are filled in.
_EXPLANATIONS: dict[int, tuple[str, tuple[str, ...], str]] = {
    7000215: (
        "entra.aadsts.7000215",
        _SECRET,
        "invalid_client",
    ),
    7000222: (
        "entra.aadsts.7000222",
        _SECRET,
        "invalid_client",
    ),
    700016: (
        "entra.aadsts.700016",
        _CLIENT_ID,
        "unauthorized_client",
    ),
    700011: (
        "entra.aadsts.700011",
        _CLIENT_ID,
        "unauthorized_client",
    ),
    7000229: (
        "entra.aadsts.7000229",
        _CLIENT_ID,
        "invalid_client",
    ),
    90002: (
        "entra.aadsts.90002",
        _TENANT,
        "invalid_request",
    ),
    900023: (
        "entra.aadsts.900023",
        _TENANT,
        "invalid_request",
    ),
    70011: (
        "entra.aadsts.70011",
        _RESOURCE,
        "invalid_scope",
    ),
    500011: (
        "entra.aadsts.500011",
        _RESOURCE,
        "invalid_resource",
    ),
    700027: (
        "entra.aadsts.700027",
        _CERT,
        "invalid_client",
    ),
    700021: (
        "entra.aadsts.700021",
        ("certificate_pem", "client_id"),
        "invalid_client",
    ),
    700023: (
        "entra.aadsts.700023",
        ("certificate_pem", "client_id"),
        "invalid_client",
    ),
}


def explain(
    error: EntraError,
    *,
    tenant: str,
    client_id: str,
    resource: str | Message,
    resource_fields: tuple[str, ...],
    credential_fields: tuple[str, ...],
) -> tuple[Message, tuple[str, ...]]:
    """A message for the admin (with the AADSTS code, never a secret) and the fields at fault.

    The OAuth ``error`` value picks the fields (see :func:`fields_at_fault`); a
    known AADSTS code gives the message, and its own fields when Entra sent it
    with the ``error`` value the table expects (or with none).
    """
    code = error.aadsts
    values: dict[str, str | Message] = {
        "aadsts": f"AADSTS{code}",
        "tenant": tenant,
        "client_id": client_id,
        "resource": resource,
    }
    by_error = fields_at_fault(
        error, resource_fields=resource_fields, credential_fields=credential_fields
    )
    if code in _EXPLANATIONS:
        template, fields, expected_error = _EXPLANATIONS[code]
        if fields == _RESOURCE:
            fields = resource_fields
        if error.error and error.error != expected_error and by_error is not None:
            fields = by_error
        return Message.of(template, **values), fields  # type: ignore[arg-type]
    if error.status == 429 or error.status >= 500:
        return Message.of("entra.unavailable", status=error.status), ()
    # Entra's own words sit inside the sentence, as a parameter (shown as sent, untranslated).
    if code:
        said = Message.of("entra.refused_said", reason=f"AADSTS{code}", said=error.description)
    elif error.error and error.description:
        said = Message.of("entra.refused_said", reason=error.error, said=error.description)
    elif error.error:
        said = Message.of("entra.refused_with", reason=error.error)
    else:
        said = Message.of("entra.refused")
    return said, by_error or ()


def fields_at_fault(
    error: EntraError, *, resource_fields: tuple[str, ...], credential_fields: tuple[str, ...]
) -> tuple[str, ...] | None:
    """The fields the OAuth ``error`` value points at, or None when it does not decide.

    ``unauthorized_client`` → the client id; ``invalid_client`` → the credential
    (secret, or certificate in the certificate flow) unless the AADSTS code says
    the app is missing; ``invalid_request`` with a tenant code → the tenant;
    ``invalid_scope`` / ``invalid_resource`` → the product's environment or URL.
    """
    code = error.aadsts
    if error.error == "unauthorized_client":
        return _CLIENT_ID
    if error.error == "invalid_client":
        return _CLIENT_ID if code in _APP_MISSING else credential_fields
    if error.error == "invalid_request" and code in _TENANT_MISSING:
        return _TENANT
    if error.error in ("invalid_scope", "invalid_resource"):
        return resource_fields
    return None
