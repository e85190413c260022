"""What each sandboxed system accepts: registered credentials and issued tokens.

Seeded from `demo_credentials` and changeable at run time (register or revoke a
token or secret), so a demo can rotate a credential and show the old one
failing while the new one works.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from accountlink_ui.sandbox import demo_credentials as demo

ACCESS_TOKEN_LIFETIME = 3599


@dataclass(frozen=True)
class XledgerToken:
    """An Xledger API token: valid in one environment, with read and/or write scope."""

    value: str
    environment: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class EntraTenant:
    """A directory, addressable by its GUID or its verified domain."""

    tenant_id: str
    domain: str
    display_name: str


@dataclass(frozen=True)
class EntraCertificate:
    """A certificate uploaded to an app registration, indexed by its thumbprints."""

    sha1: bytes
    sha256: bytes
    public_key: PublicKeyTypes

    @classmethod
    def from_pem(cls, pem: str) -> EntraCertificate:
        """Load a PEM certificate as Entra would when it is uploaded."""
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        return cls(
            sha1=cert.fingerprint(hashes.SHA1()),
            sha256=cert.fingerprint(hashes.SHA256()),
            public_key=cert.public_key(),
        )


@dataclass
class EntraApp:
    """An app registration: its secrets (value -> expiry epoch or None) and certificates."""

    client_id: str
    tenant_id: str
    display_name: str
    secrets: dict[str, float | None] = field(default_factory=dict)
    certificates: list[EntraCertificate] = field(default_factory=list)

    def secret_status(self, secret: str, now: float) -> str:
        """'valid', 'expired' or 'unknown' for a presented client secret."""
        if secret not in self.secrets:
            return "unknown"
        expires_at = self.secrets[secret]
        return "expired" if expires_at is not None and expires_at <= now else "valid"


@dataclass(frozen=True)
class IssuedToken:
    """An access token this sandbox handed out, remembered so APIs can check it."""

    value: str
    issuer: str  # "entra" or "rest"
    client_id: str
    tenant_id: str | None
    resource: str
    scope: str
    expires_at: float


class CredentialStore:
    """Thread-safe registry of every credential the sandboxes accept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Issued tokens survive restore_demo(): a running app keeps its cached token.
        self._issued: dict[str, IssuedToken] = {}
        self.restore_demo()

    def restore_demo(self) -> None:
        """Forget run-time changes and accept exactly the seeded demo credentials."""
        tenant = EntraTenant(
            demo.ENTRA_TENANT_ID, demo.ENTRA_TENANT_DOMAIN, demo.ENTRA_TENANT_DISPLAY_NAME
        )
        app = EntraApp(
            client_id=demo.ENTRA_CLIENT_ID,
            tenant_id=tenant.tenant_id,
            display_name="AccountLink HLF demo",
            secrets={demo.ENTRA_CLIENT_SECRET: None, demo.ENTRA_EXPIRED_CLIENT_SECRET: 0.0},
            certificates=[EntraCertificate.from_pem(demo.DEMO_CERT_PEM)],
        )
        with self._lock:
            self._xledger = {
                token.value: token
                for token in (
                    XledgerToken(demo.XLEDGER_DEMO_TOKEN, "demo", frozenset({"read", "write"})),
                    XledgerToken(
                        demo.XLEDGER_PRODUCTION_TOKEN, "production", frozenset({"read", "write"})
                    ),
                    XledgerToken(demo.XLEDGER_NO_READ_SCOPE_TOKEN, "demo", frozenset({"write"})),
                    XledgerToken(demo.XLEDGER_DEMO_READONLY_TOKEN, "demo", frozenset({"read"})),
                    XledgerToken(
                        demo.XLEDGER_PRODUCTION_READONLY_TOKEN, "production", frozenset({"read"})
                    ),
                )
            }
            self._tenants = {tenant.tenant_id: tenant}
            self._apps = {(app.tenant_id, app.client_id): app}
            self._rest_api_keys = {demo.REST_API_KEY}
            self._rest_bearer_tokens = {demo.REST_BEARER_TOKEN}
            self._rest_basic = {demo.REST_BASIC_USER: demo.REST_BASIC_PASSWORD}
            self._rest_clients = {demo.REST_OAUTH_CLIENT_ID: demo.REST_OAUTH_CLIENT_SECRET}

    # --- Xledger -------------------------------------------------------------
    def xledger_token(self, value: str) -> XledgerToken | None:
        """The registered token with this value, whatever its environment."""
        with self._lock:
            return self._xledger.get(value)

    def register_xledger_token(
        self, value: str, *, environment: str = "demo", scopes: tuple[str, ...] = ("read", "write")
    ) -> None:
        """Accept a new API token, as a Domain Administrator creating one would."""
        if environment not in demo.XLEDGER_ENVIRONMENTS:
            raise ValueError(
                f"Unknown Xledger environment {environment!r}: use demo or production."
            )
        if not scopes or not set(scopes) <= {"read", "write"}:
            raise ValueError("Xledger token 'scopes' must be a non-empty list of read and write.")
        with self._lock:
            self._xledger[value] = XledgerToken(value, environment, frozenset(scopes))

    def revoke_xledger_token(self, value: str) -> None:
        """Stop accepting a token (deleted in Xledger, or wiped by a demo refresh)."""
        with self._lock:
            self._xledger.pop(value, None)

    # --- Entra ---------------------------------------------------------------
    def resolve_tenant(self, name: str) -> EntraTenant | None:
        """Find a tenant by GUID or verified domain, case-insensitively."""
        wanted = name.strip().lower()
        with self._lock:
            for tenant in self._tenants.values():
                if wanted in (tenant.tenant_id.lower(), tenant.domain.lower()):
                    return tenant
        return None

    def entra_app(self, tenant_id: str, client_id: str) -> EntraApp | None:
        """The app registration with this client id in this tenant."""
        with self._lock:
            return self._apps.get((tenant_id, client_id.strip().lower()))

    def register_entra_secret(
        self,
        secret: str,
        *,
        client_id: str = demo.ENTRA_CLIENT_ID,
        tenant_id: str = demo.ENTRA_TENANT_ID,
        expires_at: float | None = None,
    ) -> None:
        """Add a client secret to an app (a new secret created in the portal)."""
        with self._lock:
            self._require_app(tenant_id, client_id).secrets[secret] = expires_at

    def revoke_entra_secret(
        self,
        secret: str,
        *,
        client_id: str = demo.ENTRA_CLIENT_ID,
        tenant_id: str = demo.ENTRA_TENANT_ID,
    ) -> None:
        """Delete a client secret from an app."""
        with self._lock:
            self._require_app(tenant_id, client_id).secrets.pop(secret, None)

    def _require_app(self, tenant_id: str, client_id: str) -> EntraApp:
        app = self._apps.get((tenant_id, client_id.lower()))
        if app is None:
            raise ValueError(f"No app {client_id!r} is registered in tenant {tenant_id!r}.")
        return app

    # --- issued access tokens ------------------------------------------------
    def issue_token(
        self,
        *,
        issuer: str,
        client_id: str,
        tenant_id: str | None,
        resource: str,
        scope: str,
        lifetime: float = ACCESS_TOKEN_LIFETIME,
    ) -> IssuedToken:
        """Mint a random bearer token and remember what it is good for."""
        token = IssuedToken(
            value=f"sbx.{issuer}.{secrets.token_urlsafe(32)}",
            issuer=issuer,
            client_id=client_id,
            tenant_id=tenant_id,
            resource=resource,
            scope=scope,
            expires_at=time.time() + lifetime,
        )
        with self._lock:
            self._issued[token.value] = token
        return token

    def active_token(self, value: str, issuer: str) -> IssuedToken | None:
        """The issued, unexpired token with this value from this issuer, if any."""
        with self._lock:
            token = self._issued.get(value)
        if token is None or token.issuer != issuer or token.expires_at <= time.time():
            return None
        return token

    def expire_access_tokens(self) -> None:
        """Make every issued token expired now, to show what an adapter does on expiry."""
        now = time.time()
        with self._lock:
            self._issued = {
                value: IssuedToken(**{**token.__dict__, "expires_at": now - 1})
                for value, token in self._issued.items()
            }

    # --- Generic REST --------------------------------------------------------
    def rest_api_key_valid(self, key: str) -> bool:
        """True if this API key is accepted (header or query parameter)."""
        with self._lock:
            return key in self._rest_api_keys

    def rest_bearer_valid(self, token: str) -> bool:
        """True for the static demo bearer token or a live token from /rest/oauth2/token."""
        with self._lock:
            static = token in self._rest_bearer_tokens
        return static or self.active_token(token, "rest") is not None

    def rest_basic_valid(self, user: str, password: str) -> bool:
        """True if this user name and password pair is accepted."""
        with self._lock:
            expected = self._rest_basic.get(user)
        return expected is not None and _same(expected, password)

    def rest_client_valid(self, client_id: str, client_secret: str) -> bool:
        """True if this OAuth client id and secret pair is registered."""
        with self._lock:
            expected = self._rest_clients.get(client_id)
        return expected is not None and _same(expected, client_secret)

    def register_rest_api_key(self, key: str) -> None:
        """Accept another API key (a rotated key)."""
        with self._lock:
            self._rest_api_keys.add(key)

    def revoke_rest_api_key(self, key: str) -> None:
        """Stop accepting an API key."""
        with self._lock:
            self._rest_api_keys.discard(key)


def _same(expected: str, presented: str) -> bool:
    """Constant-time comparison that also copes with non-ASCII input."""
    return secrets.compare_digest(expected.encode(), presented.encode())
