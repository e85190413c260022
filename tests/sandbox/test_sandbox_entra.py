"""The Entra sandbox issues tokens for the client credentials grant and fails like Entra."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from accountlink_ui.sandbox import demo_credentials as demo

TOKEN_PATH = f"/entra/{demo.ENTRA_TENANT_ID}/oauth2/v2.0/token"
ERROR_KEYS = {
    "error",
    "error_description",
    "error_codes",
    "timestamp",
    "trace_id",
    "correlation_id",
    "error_uri",
}
DESCRIPTION = re.compile(
    r"^AADSTS(\d+): .+ Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} "
    r"Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$"
)


@pytest.fixture(scope="module")
def other_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def secret_form(**overrides: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": demo.ENTRA_CLIENT_ID,
        "client_secret": demo.ENTRA_CLIENT_SECRET,
        "scope": demo.BC_SCOPE,
        **overrides,
    }


def assertion(
    audience: str,
    *,
    key: str = demo.DEMO_KEY_PEM,
    algorithm: str = "RS256",
    issuer: str = demo.ENTRA_CLIENT_ID,
    lifetime: int = 600,
    sha256: bool = False,
) -> str:
    now = int(time.time())
    thumbprint = demo.DEMO_CERT_THUMBPRINT_SHA256 if sha256 else demo.DEMO_CERT_THUMBPRINT_SHA1
    header_name = "x5t#S256" if sha256 else "x5t"
    encoded = base64.urlsafe_b64encode(bytes.fromhex(thumbprint)).rstrip(b"=").decode()
    claims = {
        "aud": audience,
        "iss": issuer,
        "sub": issuer,
        "jti": str(uuid.uuid4()),
        "nbf": now,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, key, algorithm=algorithm, headers={header_name: encoded})


def cert_form(client_assertion: str, **overrides: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": demo.ENTRA_CLIENT_ID,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion,
        "scope": demo.BC_SCOPE,
        **overrides,
    }


def assert_aadsts(response: httpx.Response, status: int, error: str, code: int) -> str:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == ERROR_KEYS
    assert body["error"] == error
    assert body["error_codes"] == [code]
    match = DESCRIPTION.match(body["error_description"])
    assert match and int(match.group(1)) == code, body["error_description"]
    assert body["trace_id"] in body["error_description"]
    return body["error_description"]


def test_secret_flow_returns_exactly_microsofts_success_shape(sandbox: Any) -> None:
    response = sandbox.client.post(TOKEN_PATH, data=secret_form())
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 3599


def test_tenant_domain_names_the_same_tenant(sandbox: Any) -> None:
    path = f"/entra/{demo.ENTRA_TENANT_DOMAIN}/oauth2/v2.0/token"
    assert sandbox.client.post(path, data=secret_form()).status_code == 200


@pytest.mark.parametrize("org_url", [demo.DATAVERSE_ORG_URL, demo.DATAVERSE_API_URL])
def test_dataverse_scope_is_accepted(sandbox: Any, org_url: str) -> None:
    """Both host forms Microsoft's samples use name the demo org."""
    form = secret_form(scope=f"{org_url}/.default")
    token = sandbox.client.post(TOKEN_PATH, data=form).json()["access_token"]
    who = sandbox.client.get(
        "/dataverse/api/data/v9.2/WhoAmI", headers={"Authorization": f"Bearer {token}"}
    )
    assert who.status_code == 200


def test_wrong_secret_is_7000215(sandbox: Any) -> None:
    response = sandbox.client.post(TOKEN_PATH, data=secret_form(client_secret="nope"))
    description = assert_aadsts(response, 401, "invalid_client", 7000215)
    assert "Invalid client secret provided" in description


def test_expired_secret_is_7000222(sandbox: Any) -> None:
    form = secret_form(client_secret=demo.ENTRA_EXPIRED_CLIENT_SECRET)
    response = sandbox.client.post(TOKEN_PATH, data=form)
    assert "are expired" in assert_aadsts(response, 401, "invalid_client", 7000222)


def test_unknown_client_id_is_700016(sandbox: Any) -> None:
    form = secret_form(client_id=str(uuid.uuid4()))
    assert_aadsts(sandbox.client.post(TOKEN_PATH, data=form), 400, "unauthorized_client", 700016)


def test_unknown_client_id_can_be_switched_to_700011(sandbox: Any) -> None:
    switched = sandbox.client.post("/_control/settings", json={"entra_unknown_client_code": 700011})
    assert switched.json()["entra_unknown_client_code"] == 700011
    form = secret_form(client_id=str(uuid.uuid4()))
    description = assert_aadsts(
        sandbox.client.post(TOKEN_PATH, data=form), 400, "unauthorized_client", 700011
    )
    assert form["client_id"] in description
    assert sandbox.client.post(TOKEN_PATH, data=secret_form()).status_code == 200
    refused = sandbox.client.post("/_control/settings", json={"entra_unknown_client_code": 7000})
    assert refused.status_code == 422


@pytest.mark.parametrize(
    "tenant", ["6484e4ce-775e-43af-a342-efb7b7819122", "contoso.onmicrosoft.com"]
)
def test_unknown_tenant_is_90002(sandbox: Any, tenant: str) -> None:
    response = sandbox.client.post(f"/entra/{tenant}/oauth2/v2.0/token", data=secret_form())
    assert tenant in assert_aadsts(response, 400, "invalid_request", 90002)


def test_malformed_tenant_is_900023(sandbox: Any) -> None:
    response = sandbox.client.post("/entra/not_a_tenant/oauth2/v2.0/token", data=secret_form())
    assert_aadsts(response, 400, "invalid_request", 900023)


@pytest.mark.parametrize(
    "scope",
    ["https://api.businesscentral.dynamics.com/user_impersonation", "openid", "bad/.default"],
)
def test_invalid_scope_is_70011(sandbox: Any, scope: str) -> None:
    response = sandbox.client.post(TOKEN_PATH, data=secret_form(scope=scope))
    assert_aadsts(response, 400, "invalid_scope", 70011)


def test_unknown_resource_is_500011(sandbox: Any) -> None:
    form = secret_form(scope="https://other.crm4.dynamics.com/.default")
    description = assert_aadsts(
        sandbox.client.post(TOKEN_PATH, data=form), 400, "invalid_resource", 500011
    )
    assert "https://other.crm4.dynamics.com" in description


def test_missing_parameters_are_named(sandbox: Any) -> None:
    form = secret_form()
    del form["scope"]
    description = assert_aadsts(
        sandbox.client.post(TOKEN_PATH, data=form), 400, "invalid_request", 900144
    )
    assert "'scope'" in description
    form = secret_form()
    del form["client_secret"]
    assert_aadsts(sandbox.client.post(TOKEN_PATH, data=form), 401, "invalid_client", 7000218)


def test_client_secret_basic_is_accepted(sandbox: Any) -> None:
    form = secret_form()
    del form["client_id"], form["client_secret"]
    auth = (demo.ENTRA_CLIENT_ID, demo.ENTRA_CLIENT_SECRET)
    assert sandbox.client.post(TOKEN_PATH, data=form, auth=auth).status_code == 200


@pytest.mark.parametrize(
    ("algorithm", "sha256"), [("RS256", False), ("PS256", True), ("PS256", False)]
)
def test_certificate_assertion_gets_a_token(sandbox: Any, algorithm: str, sha256: bool) -> None:
    signed = assertion(sandbox.url + TOKEN_PATH, algorithm=algorithm, sha256=sha256)
    response = sandbox.client.post(TOKEN_PATH, data=cert_form(signed))
    assert response.status_code == 200, response.text
    entry = sandbox.state.request_log("entra")[-1]
    assert entry["auth_scheme"] == "client_assertion"
    thumbprint = demo.DEMO_CERT_THUMBPRINT_SHA256 if sha256 else demo.DEMO_CERT_THUMBPRINT_SHA1
    expected = base64.urlsafe_b64encode(bytes.fromhex(thumbprint)).rstrip(b"=").decode()
    assert entry["credential"] == expected


def test_refuse_ps256_switch_refuses_ps256_and_keeps_rs256(sandbox: Any) -> None:
    switched = sandbox.client.post("/_control/settings", json={"entra_refuse_ps256": True})
    assert switched.json()["entra_refuse_ps256"] is True
    ps256 = assertion(sandbox.url + TOKEN_PATH, algorithm="PS256", sha256=True)
    description = assert_aadsts(
        sandbox.client.post(TOKEN_PATH, data=cert_form(ps256)), 401, "invalid_client", 700027
    )
    assert "'PS256'" in description
    rs256 = assertion(sandbox.url + TOKEN_PATH, algorithm="RS256")
    assert sandbox.client.post(TOKEN_PATH, data=cert_form(rs256)).status_code == 200
    sandbox.client.post("/_control/settings", json={"entra_refuse_ps256": False})
    again = assertion(sandbox.url + TOKEN_PATH, algorithm="PS256", sha256=True)
    assert sandbox.client.post(TOKEN_PATH, data=cert_form(again)).status_code == 200
    not_bool = sandbox.client.post("/_control/settings", json={"entra_refuse_ps256": "yes"})
    assert not_bool.status_code == 422


def _ps256_signed_with(audience: str, pss: padding.PSS) -> str:
    """A PS256-labelled assertion signed with the PSS parameters given (right or wrong)."""
    now = int(time.time())
    thumbprint = bytes.fromhex(demo.DEMO_CERT_THUMBPRINT_SHA256)
    header = {"alg": "PS256", "typ": "JWT", "x5t#S256": _b64url(thumbprint)}
    claims = {"aud": audience, "iss": demo.ENTRA_CLIENT_ID, "sub": demo.ENTRA_CLIENT_ID}
    claims |= {"jti": str(uuid.uuid4()), "nbf": now, "iat": now, "exp": now + 600}
    signing_input = f"{_b64url(_compact(header))}.{_b64url(_compact(claims))}"
    key = serialization.load_pem_private_key(demo.DEMO_KEY_PEM.encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(signing_input.encode(), pss, hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _compact(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("pss", "accepted"),
    [
        (padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), True),
        (padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH), False),
        (padding.PSS(mgf=padding.MGF1(hashes.SHA1()), salt_length=32), False),
    ],
    ids=["rfc7518", "max-salt", "mgf1-sha1"],
)
def test_ps256_is_checked_with_rfc7518_pss_parameters(
    sandbox: Any, pss: padding.PSS, accepted: bool
) -> None:
    signed = _ps256_signed_with(sandbox.url + TOKEN_PATH, pss)
    response = sandbox.client.post(TOKEN_PATH, data=cert_form(signed))
    if accepted:
        assert response.status_code == 200, response.text
        assert sandbox.state.request_log("entra")[-1]["credential"] == demo.DEMO_CERT_X5T_S256
    else:
        assert "did not match" in assert_aadsts(response, 401, "invalid_client", 700027)


def test_assertion_signed_by_another_key_is_700027(sandbox: Any, other_key_pem: str) -> None:
    signed = assertion(sandbox.url + TOKEN_PATH, key=other_key_pem)
    response = sandbox.client.post(TOKEN_PATH, data=cert_form(signed))
    description = assert_aadsts(response, 401, "invalid_client", 700027)
    assert demo.DEMO_CERT_THUMBPRINT_SHA1 in description


def test_assertion_with_unregistered_thumbprint_is_700027(sandbox: Any, other_key_pem: str) -> None:
    claims = {"aud": sandbox.url + TOKEN_PATH, "iss": demo.ENTRA_CLIENT_ID}
    claims |= {"sub": demo.ENTRA_CLIENT_ID, "exp": int(time.time()) + 600}
    signed = jwt.encode(claims, other_key_pem, algorithm="RS256", headers={"x5t": "AAAA"})
    response = sandbox.client.post(TOKEN_PATH, data=cert_form(signed))
    assert "The key was not found" in assert_aadsts(response, 401, "invalid_client", 700027)


def test_assertion_issuer_mismatch_is_700021(sandbox: Any) -> None:
    signed = assertion(sandbox.url + TOKEN_PATH, issuer=str(uuid.uuid4()))
    response = sandbox.client.post(TOKEN_PATH, data=cert_form(signed))
    assert_aadsts(response, 401, "invalid_client", 700021)


def test_assertion_audience_mismatch_is_700023(sandbox: Any) -> None:
    signed = assertion("https://login.microsoftonline.com/common/oauth2/v2.0/token")
    response = sandbox.client.post(TOKEN_PATH, data=cert_form(signed))
    assert_aadsts(response, 401, "invalid_client", 700023)


def test_expired_assertion_is_700024(sandbox: Any) -> None:
    signed = assertion(sandbox.url + TOKEN_PATH, lifetime=-3600)
    response = sandbox.client.post(TOKEN_PATH, data=cert_form(signed))
    assert_aadsts(response, 401, "invalid_client", 700024)


def test_garbage_assertion_is_50027(sandbox: Any) -> None:
    response = sandbox.client.post(TOKEN_PATH, data=cert_form("not-a-jwt"))
    assert_aadsts(response, 400, "invalid_request", 50027)


def test_correlation_id_echoes_client_request_id(sandbox: Any) -> None:
    request_id = str(uuid.uuid4())
    response = sandbox.client.post(
        TOKEN_PATH, data=secret_form(client_secret="x"), headers={"client-request-id": request_id}
    )
    assert response.json()["correlation_id"] == request_id


def test_openid_configuration_lists_absolute_endpoints(sandbox: Any) -> None:
    response = sandbox.client.get(
        f"/entra/{demo.ENTRA_TENANT_DOMAIN}/v2.0/.well-known/openid-configuration"
    )
    config = response.json()
    base = f"{sandbox.url}/entra/{demo.ENTRA_TENANT_ID}"
    assert config["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert config["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    assert config["issuer"] == f"{base}/v2.0"
    unknown = sandbox.client.get(f"/entra/{uuid.uuid4()}/v2.0/.well-known/openid-configuration")
    assert unknown.status_code == 400
    assert unknown.json()["error_codes"] == [90002]


def test_rotated_secret_replaces_the_old_one(sandbox: Any) -> None:
    creds = sandbox.state.credentials
    creds.register_entra_secret("hlf~new~secret")
    creds.revoke_entra_secret(demo.ENTRA_CLIENT_SECRET)
    assert sandbox.client.post(TOKEN_PATH, data=secret_form()).status_code == 401
    assert (
        sandbox.client.post(
            TOKEN_PATH, data=secret_form(client_secret="hlf~new~secret")
        ).status_code
        == 200
    )
    assert sandbox.state.request_log("entra")[-1]["credential"] == "hlf~new~secret"
