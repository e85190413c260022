"""The control API drives a running sandbox; the sandbox also works under a prefix."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.app import create_sandbox_app
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.sandbox.state import SandboxState

REST_AUTH = {demo.REST_API_KEY_HEADER: demo.REST_API_KEY}


def test_faults_can_be_armed_listed_and_cleared_over_http(sandbox: Any) -> None:
    armed = sandbox.client.post(
        "/_control/faults", json={"system": "rest", "mode": "http_500", "times": 1}
    )
    assert armed.status_code == 200
    assert armed.json()["faults"]["rest"]["mode"] == "http_500"
    assert sandbox.client.get("/rest/health", headers=REST_AUTH).status_code == 500
    assert sandbox.client.get("/rest/health", headers=REST_AUTH).status_code == 200
    sandbox.client.post("/_control/faults", json={"system": "xledger", "mode": "burst_limit"})
    cleared = sandbox.client.delete("/_control/faults")
    assert cleared.json() == {"faults": {}}


def test_unknown_system_or_mode_is_422_with_a_clear_message(sandbox: Any) -> None:
    unknown_system = sandbox.client.post("/_control/faults", json={"system": "sap", "mode": "hang"})
    assert unknown_system.status_code == 422
    assert "Unknown system 'sap'" in unknown_system.json()["detail"]
    wrong_mode = sandbox.client.post(
        "/_control/faults", json={"system": "rest", "mode": "burst_limit"}
    )
    assert wrong_mode.status_code == 422
    assert "does not apply to rest" in wrong_mode.json()["detail"]
    assert sandbox.client.get("/_control/received/sap").status_code == 422
    assert sandbox.client.post("/_control/faults", content=b"[").status_code == 422


def test_received_stored_and_requests_are_readable_over_http(sandbox: Any) -> None:
    for _ in range(2):
        sandbox.client.post("/rest/expenses", json={"id": "E-7"}, headers=REST_AUTH)
    received = sandbox.client.get("/_control/received/rest").json()
    stored = sandbox.client.get("/_control/stored/rest").json()
    requests = sandbox.client.get("/_control/requests/rest").json()
    assert [r["id"] for r in received] == ["E-7", "E-7"]
    assert [r["id"] for r in stored] == ["E-7"]
    assert [(r["method"], r["path"], r["credential"], r["status"]) for r in requests] == [
        ("POST", "/rest/expenses", demo.REST_API_KEY, 201),
        ("POST", "/rest/expenses", demo.REST_API_KEY, 200),
    ]


def test_reset_forgets_faults_data_log_and_rotated_credentials(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "http_500")
    sandbox.client.post("/rest/expenses", json={"id": "E-1"}, headers=REST_AUTH)
    sandbox.client.post(
        "/_control/credentials",
        json={"system": "xledger", "action": "revoke", "value": demo.XLEDGER_DEMO_TOKEN},
    )
    assert sandbox.client.post("/_control/reset").status_code == 200
    assert sandbox.state.faults() == {}
    assert sandbox.state.received("rest") == []
    assert sandbox.state.request_log("rest") == []
    assert sandbox.state.credentials.xledger_token(demo.XLEDGER_DEMO_TOKEN) is not None


def test_settings_switch_the_xledger_invalid_token_status(sandbox: Any) -> None:
    response = sandbox.client.post("/_control/settings", json={"xledger_invalid_token_status": 200})
    assert response.json()["xledger_invalid_token_status"] == 200
    bad = sandbox.client.post("/_control/settings", json={"xledger_invalid_token_status": 403})
    assert bad.status_code == 422


def test_credentials_can_be_rotated_over_http(sandbox: Any) -> None:
    post = sandbox.client.post
    post("/_control/credentials", json={"system": "rest", "action": "register", "value": "k2"})
    post(
        "/_control/credentials",
        json={"system": "rest", "action": "revoke", "value": demo.REST_API_KEY},
    )
    assert sandbox.client.get("/rest/health", headers=REST_AUTH).status_code == 401
    assert sandbox.client.get("/rest/health", headers={"X-API-Key": "k2"}).status_code == 200
    assert sandbox.state.request_log("rest")[-1]["credential"] == "k2"


def test_index_lists_the_base_urls(sandbox: Any) -> None:
    endpoints = sandbox.client.get("/").json()["endpoints"]
    assert endpoints["entra_authority_host"] == f"{sandbox.url}/entra"
    assert endpoints["xledger_demo_graphql"] == f"{sandbox.url}/xledger/demo/graphql"


def test_mounted_under_a_prefix_every_url_carries_the_prefix() -> None:
    state = SandboxState()
    outer = Starlette(routes=[Mount("/sandbox", create_sandbox_app(state))])
    with running_app(outer, state=state) as url, httpx.Client(base_url=f"{url}/sandbox") as client:
        tenant = demo.ENTRA_TENANT_ID
        config = client.get(f"/entra/{tenant}/v2.0/.well-known/openid-configuration").json()
        assert config["token_endpoint"] == f"{url}/sandbox/entra/{tenant}/oauth2/v2.0/token"
        assert config["issuer"] == f"{url}/sandbox/entra/{tenant}/v2.0"
        token = client.post(
            f"/entra/{tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": demo.ENTRA_CLIENT_ID,
                "client_secret": demo.ENTRA_CLIENT_SECRET,
                "scope": demo.BC_SCOPE,
            },
        ).json()["access_token"]
        companies = client.get(
            f"/businesscentral/v2.0/{tenant}/sandbox/api/v2.0/companies",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert companies["@odata.context"].startswith(f"{url}/sandbox/businesscentral/")
        assert state.request_log("business_central")[0]["path"] == (
            f"/businesscentral/v2.0/{tenant}/sandbox/api/v2.0/companies"
        )
