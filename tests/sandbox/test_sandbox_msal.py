"""Microsoft's own client library gets tokens from the Entra sandbox.

MSAL insists on an https authority and reads its discovery document first, so
the sandbox is served over TLS with a throwaway CA that only this test trusts.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import msal
import pytest
import requests
import trustme

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.sandbox.state import SandboxState


@pytest.fixture(scope="module")
def tls_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str, SandboxState]]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    state = SandboxState()
    with running_sandbox(state, tls=server_context) as url:
        yield url, str(ca_file), state
        # Closing idle TLS keep-alive connections lets the server stop without waiting.
        while _SESSIONS:
            _SESSIONS.pop().close()


_SESSIONS: list[requests.Session] = []


def msal_app(
    tls_sandbox: tuple[str, str, SandboxState], credential: object
) -> msal.ConfidentialClientApplication:
    url, ca_file, _ = tls_sandbox
    session = requests.Session()
    session.verify = ca_file
    # Otherwise REQUESTS_CA_BUNDLE in the environment silently overrides `verify`.
    session.trust_env = False
    _SESSIONS.append(session)
    return msal.ConfidentialClientApplication(
        demo.ENTRA_CLIENT_ID,
        client_credential=credential,
        authority=f"{url}/entra/{demo.ENTRA_TENANT_ID}",
        validate_authority=False,
        instance_discovery=False,
        http_client=session,
        token_cache=msal.TokenCache(),
    )


def test_msal_gets_a_token_with_the_client_secret(
    tls_sandbox: tuple[str, str, SandboxState],
) -> None:
    result = msal_app(tls_sandbox, demo.ENTRA_CLIENT_SECRET).acquire_token_for_client(
        scopes=[demo.BC_SCOPE]
    )
    assert result.get("token_type") == "Bearer", result
    assert result["access_token"]


@pytest.mark.parametrize(
    "credential",
    [
        {"private_key": demo.DEMO_KEY_PEM, "thumbprint": demo.DEMO_CERT_THUMBPRINT_SHA1},
        {"private_key": demo.DEMO_KEY_PEM, "public_certificate": demo.DEMO_CERT_PEM},
    ],
    ids=["sha1-thumbprint-RS256", "public-certificate-PS256"],
)
def test_msal_gets_a_token_with_the_certificate(
    tls_sandbox: tuple[str, str, SandboxState], credential: dict[str, str]
) -> None:
    result = msal_app(tls_sandbox, credential).acquire_token_for_client(
        scopes=[demo.DATAVERSE_SCOPE]
    )
    assert result.get("token_type") == "Bearer", result
    entry = tls_sandbox[2].request_log("entra")[-1]
    assert entry["auth_scheme"] == "client_assertion"
    assert entry["status"] == 200


def test_msal_reports_7000215_for_a_wrong_secret(
    tls_sandbox: tuple[str, str, SandboxState],
) -> None:
    result = msal_app(tls_sandbox, "wrong-secret").acquire_token_for_client(scopes=[demo.BC_SCOPE])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215:")


def test_msal_token_opens_business_central(tls_sandbox: tuple[str, str, SandboxState]) -> None:
    url, ca_file, _ = tls_sandbox
    token = msal_app(tls_sandbox, demo.ENTRA_CLIENT_SECRET).acquire_token_for_client(
        scopes=[demo.BC_SCOPE]
    )["access_token"]
    response = requests.get(
        f"{url}/businesscentral/v2.0/{demo.ENTRA_TENANT_DOMAIN}/sandbox/api/v2.0/companies",
        headers={"Authorization": f"Bearer {token}"},
        verify=ca_file,
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["value"][0]["name"] == demo.BC_COMPANY_NAME
    assert Path(ca_file).exists()
