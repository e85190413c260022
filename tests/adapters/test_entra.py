"""Entra pieces without a server: AADSTS codes → fields, the token cache, certificate checks."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations import entra
from accountlink_ui.integrations.entra import (
    ClientCertificate,
    ClientSecret,
    CredentialFormatError,
    EntraError,
    TokenCache,
    credential_fingerprint,
)
from accountlink_ui.sandbox import demo_credentials as demo

CERT_FIELDS = ("certificate_pem", "private_key_pem")
# The OAuth ``error`` value Entra sends with each code (as the sandbox does).
ERROR_OF = {
    700016: "unauthorized_client",
    90002: "invalid_request",
    900023: "invalid_request",
    70011: "invalid_scope",
    500011: "invalid_resource",
}


def explain(error: EntraError, **where: object) -> tuple[str, tuple[str, ...]]:
    """The adapter's explanation, its message code rendered in English as the tests read it."""
    said, fields = entra.explain(error, **where)  # type: ignore[arg-type]
    return english(said), fields


def explain_code(
    code: int | None,
    *,
    status: int = 401,
    error: str = "invalid_client",
    bc: bool = True,
    credential_fields: tuple[str, ...] = ("client_secret",),
):
    return explain(
        EntraError(status, error, "first sentence", (code,) if code else ()),
        tenant="contoso.onmicrosoft.com",
        client_id="0c8a7e52-3b4f-4e1d-a9c6-7d2e1f3b5a90",
        resource="Business Central" if bc else "the Dataverse environment",
        resource_fields=("bc_environment",) if bc else ("dataverse_url",),
        credential_fields=credential_fields,
    )


@pytest.mark.parametrize(
    ("code", "fields", "words"),
    [
        (7000215, ("client_secret",), "Paste the secret's Value (not its Secret ID)"),
        (7000222, ("client_secret",), "The client secret has expired"),
        (700016, ("client_id",), "No application with client ID 0c8a7e52"),
        (7000229, ("client_id",), "has no service principal in tenant contoso.onmicrosoft.com"),
        (90002, ("tenant_id",), "has no tenant 'contoso.onmicrosoft.com'"),
        (900023, ("tenant_id",), "is not a valid tenant"),
        (700027, CERT_FIELDS, "could not verify the certificate signature"),
        (700021, ("certificate_pem", "client_id"), "client assertion's issuer"),
        (700023, ("certificate_pem", "client_id"), "client assertion's audience"),
    ],
)
def test_aadsts_codes_point_at_the_field_to_fix(
    code: int, fields: tuple[str, ...], words: str
) -> None:
    message, blamed = explain_code(code, error=ERROR_OF.get(code, "invalid_client"))
    assert blamed == fields
    assert words in message
    assert f"(AADSTS{code})" in message


@pytest.mark.parametrize("code", [70011, 500011])
def test_scope_and_resource_codes_blame_the_products_field(code: int) -> None:
    error = ERROR_OF[code]
    assert explain_code(code, status=400, error=error)[1] == ("bc_environment",)
    message, fields = explain_code(code, status=400, error=error, bc=False)
    assert fields == ("dataverse_url",)
    assert "the Dataverse environment" in message


def test_unknown_code_keeps_entras_first_sentence() -> None:
    message, fields = explain_code(12345)
    assert message == "Microsoft Entra ID refused the sign-in (AADSTS12345: first sentence)."
    assert fields == ("client_secret",)  # invalid_client without a specific code


@pytest.mark.parametrize(
    ("error", "code", "flow_fields", "fields"),
    [
        # unauthorized_client: the app is not known in the tenant, whatever the number.
        ("unauthorized_client", 700011, ("client_secret",), ("client_id",)),
        ("unauthorized_client", 700016, CERT_FIELDS, ("client_id",)),
        ("unauthorized_client", 12345, ("client_secret",), ("client_id",)),
        ("unauthorized_client", None, CERT_FIELDS, ("client_id",)),
        # invalid_client: the credential, unless the code says the app is missing.
        ("invalid_client", 12345, ("client_secret",), ("client_secret",)),
        ("invalid_client", 12345, CERT_FIELDS, CERT_FIELDS),
        ("invalid_client", 700016, ("client_secret",), ("client_id",)),
        ("invalid_client", 7000229, CERT_FIELDS, ("client_id",)),
        # invalid_request with a tenant code: the tenant; other invalid_request: no field.
        ("invalid_request", 90002, ("client_secret",), ("tenant_id",)),
        ("invalid_request", 50027, CERT_FIELDS, ()),
        # invalid_scope: the product's environment / organization field.
        ("invalid_scope", 12345, ("client_secret",), ("bc_environment",)),
    ],
)
def test_oauth_error_value_chooses_the_field(
    error: str,
    code: int | None,
    flow_fields: tuple[str, ...],
    fields: tuple[str, ...],
) -> None:
    status = 401 if error == "invalid_client" else 400
    _, blamed = explain_code(code, status=status, error=error, credential_fields=flow_fields)
    assert blamed == fields


def test_unauthorized_client_700011_says_the_app_is_unknown_in_the_tenant() -> None:
    message, fields = explain_code(700011, status=400, error="unauthorized_client")
    assert fields == ("client_id",)
    assert "(AADSTS700011)" in message
    assert "0c8a7e52-3b4f-4e1d-a9c6-7d2e1f3b5a90" in message
    assert "contoso.onmicrosoft.com" in message


def test_entra_outage_blames_no_field() -> None:
    message, fields = explain(
        EntraError(503, "temporarily_unavailable", "", (90033,)),
        tenant="t",
        client_id="c",
        resource="Business Central",
        resource_fields=("bc_environment",),
        credential_fields=("client_secret",),
    )
    assert fields == ()
    assert "not answering normally right now (HTTP 503)" in message


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_cached_token_is_dropped_five_minutes_before_it_expires() -> None:
    clock = Clock()
    cache = TokenCache(clock=clock)
    key = ("authority", "tenant", "client", "scope", "fingerprint")
    cache.put(key, "token-value", expires_in=3600)
    clock.now += 3600 - 301
    assert cache.get(key) == "token-value"
    clock.now += 2
    assert cache.get(key) is None


def test_credential_fingerprint_hides_and_distinguishes_secrets() -> None:
    first = ClientSecret(demo.ENTRA_CLIENT_SECRET).fingerprint()
    assert first == ClientSecret(demo.ENTRA_CLIENT_SECRET).fingerprint()
    assert first != ClientSecret(demo.ENTRA_EXPIRED_CLIENT_SECRET).fingerprint()
    assert demo.ENTRA_CLIENT_SECRET not in first
    assert len(credential_fingerprint("x")) == 64
    assert demo.ENTRA_CLIENT_SECRET not in repr(ClientSecret(demo.ENTRA_CLIENT_SECRET))


def test_password_protected_key_asks_for_an_unencrypted_one() -> None:
    key = serialization.load_pem_private_key(demo.DEMO_KEY_PEM.encode(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass-phrase"),
    ).decode()
    with pytest.raises(CredentialFormatError) as caught:
        ClientCertificate(demo.DEMO_CERT_PEM, encrypted).load()
    assert caught.value.fields == ("private_key_pem",)
    assert "password-protected" in str(caught.value)


def test_demo_certificate_and_key_belong_together() -> None:
    loaded = ClientCertificate(demo.DEMO_CERT_PEM, demo.DEMO_KEY_PEM).load()
    assert (loaded.x5t, loaded.x5t_s256) == (demo.DEMO_CERT_X5T, demo.DEMO_CERT_X5T_S256)
