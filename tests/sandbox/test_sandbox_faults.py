"""Every fault mode fails the way a demo needs to show, and only when asked to."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import httpx
import pytest

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.faults import SYSTEMS, Fault
from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.sandbox.state import SandboxState
from tests.support.clock import wait_for

XLEDGER_PROBE = {"query": "{ companies(first: 1) { edges { node { dbId } } } }"}
ENTRA_TOKEN_PATH = f"/entra/{demo.ENTRA_TENANT_ID}/oauth2/v2.0/token"
BC_COMPANIES = f"/businesscentral/v2.0/{demo.ENTRA_TENANT_ID}/sandbox/api/v2.0/companies"


def probe(sandbox: Any, system: str, timeout: float = 10.0) -> httpx.Response:
    """One request to the system's probe endpoint, with valid demo credentials."""
    client = sandbox.client
    if system == "xledger":
        headers = {"Authorization": f"token {demo.XLEDGER_DEMO_TOKEN}"}
        return client.post(
            "/xledger/demo/graphql", json=XLEDGER_PROBE, headers=headers, timeout=timeout
        )
    if system == "entra":
        form = {
            "grant_type": "client_credentials",
            "client_id": demo.ENTRA_CLIENT_ID,
            "client_secret": demo.ENTRA_CLIENT_SECRET,
            "scope": demo.BC_SCOPE,
        }
        return client.post(ENTRA_TOKEN_PATH, data=form, timeout=timeout)
    if system == "business_central":
        token = sandbox.entra_token()
        return client.get(
            BC_COMPANIES, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )
    if system == "dataverse":
        token = sandbox.entra_token(demo.DATAVERSE_SCOPE)
        headers = {"Authorization": f"Bearer {token}"}
        return client.get("/dataverse/api/data/v9.2/WhoAmI", headers=headers, timeout=timeout)
    headers = {demo.REST_API_KEY_HEADER: demo.REST_API_KEY}
    return client.get("/rest/health", headers=headers, timeout=timeout)


@pytest.mark.parametrize("system", SYSTEMS)
def test_http_500_is_in_the_systems_error_style(sandbox: Any, system: str) -> None:
    sandbox.state.set_fault(system, "http_500")
    response = probe(sandbox, system)
    assert response.status_code == 500
    body = response.json()
    style = {
        "xledger": lambda: body["errors"][0]["code"],
        "entra": lambda: body["error_codes"][0],
        "business_central": lambda: body["error"]["code"],
        "dataverse": lambda: body["error"]["code"],
        "rest": lambda: body["error"],
    }[system]
    assert style()


@pytest.mark.parametrize("system", SYSTEMS)
def test_rate_limit_is_429_with_retry_after(sandbox: Any, system: str) -> None:
    sandbox.state.set_fault(system, "rate_limit", seconds=7)
    response = probe(sandbox, system)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


@pytest.mark.parametrize("system", SYSTEMS)
def test_malformed_json_is_200_json_that_does_not_parse(sandbox: Any, system: str) -> None:
    sandbox.state.set_fault(system, "malformed_json")
    response = probe(sandbox, system)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_rate_limit_defaults_to_one_second(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "rate_limit")
    assert probe(sandbox, "rest").headers["Retry-After"] == "1"


def test_slow_answers_normally_after_the_delay(sandbox: Any) -> None:
    sandbox.state.set_fault("dataverse", "slow", seconds=0.3)
    started = time.monotonic()
    response = probe(sandbox, "dataverse")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_hang_outlasts_the_client_timeout_and_the_server_stays_responsive(sandbox: Any) -> None:
    sandbox.state.set_fault("xledger", "hang", seconds=5)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        probe(sandbox, "xledger", timeout=0.5)
    assert time.monotonic() - started < 2
    # Other systems still answer while the hang is in progress.
    assert probe(sandbox, "rest").status_code == 200
    # The server notices the client left and ends the hang instead of sleeping on (5 s).
    wait_for(
        lambda: sandbox.state.request_log("xledger")[0]["status"] is not None,
        timeout=2,
        what="the sandbox to end the hang once the client left",
    )
    assert sandbox.state.request_log("xledger")[0]["fault"] == "hang"


def test_short_hang_ends_in_a_gateway_timeout(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "hang", seconds=0.2)
    response = probe(sandbox, "rest")
    assert response.status_code == 504
    assert sandbox.state.request_log("rest")[-1] | {"time": 0} == {
        "method": "GET",
        "path": "/rest/health",
        "query": "",
        "auth_scheme": "api_key_header",
        "credential": demo.REST_API_KEY,
        "time": 0,
        "status": 504,
        "fault": "hang",
    }


def test_after_lets_requests_through_then_times_limits_the_failures(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "http_500", after=1, times=1)
    statuses = [probe(sandbox, "rest").status_code for _ in range(3)]
    assert statuses == [200, 500, 200]
    assert sandbox.state.faults() == {}


def test_fault_without_times_lasts_until_cleared(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "http_500")
    assert [probe(sandbox, "rest").status_code for _ in range(3)] == [500, 500, 500]
    sandbox.state.clear_faults()
    assert probe(sandbox, "rest").status_code == 200


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("burst_limit", "BAD_REQUEST.BURST_RATE_LIMIT_REACHED"),
        ("concurrency_limit", "BAD_REQUEST.CONCURRENCY_LIMIT_REACHED"),
        ("insufficient_credits", "BAD_REQUEST.INSUFFICIENT_CREDITS"),
        ("query_timeout", "BAD_REQUEST.QUERY_TIMEOUT"),
    ],
)
def test_xledger_specific_faults(sandbox: Any, mode: str, code: str) -> None:
    sandbox.state.set_fault("xledger", mode, times=1)
    response = probe(sandbox, "xledger")
    error = response.json()["errors"][0]
    assert (response.status_code, error["code"]) == (200, code)
    if mode == "insufficient_credits":
        reset_at = dt.datetime.fromisoformat(error["extensions"]["resetAt"])
        assert reset_at > dt.datetime.now(dt.UTC)
    if mode == "query_timeout":
        assert error["message"] == "Your query timed out."
    assert "errors" not in probe(sandbox, "xledger").json()


@pytest.mark.parametrize(
    ("mode", "status", "code"), [("expired_secret", 401, 7000222), ("unknown_tenant", 400, 90002)]
)
def test_entra_specific_faults(sandbox: Any, mode: str, status: int, code: int) -> None:
    sandbox.state.set_fault("entra", mode)
    response = probe(sandbox, "entra")
    assert (response.status_code, response.json()["error_codes"]) == (status, [code])


def test_entra_faults_spare_the_discovery_document(sandbox: Any) -> None:
    sandbox.state.set_fault("entra", "http_500")
    path = f"/entra/{demo.ENTRA_TENANT_ID}/v2.0/.well-known/openid-configuration"
    assert sandbox.client.get(path).status_code == 200
    assert probe(sandbox, "entra").status_code == 500


@pytest.mark.parametrize(
    ("system", "mode", "kwargs"),
    [
        ("ledger", "http_500", {}),
        ("rest", "burst_limit", {}),
        ("xledger", "expired_secret", {}),
        ("rest", "http_500", {"times": 0}),
        ("rest", "http_500", {"after": -1}),
        ("rest", "hang", {"seconds": -1}),
    ],
)
def test_impossible_faults_are_refused(
    sandbox: Any, system: str, mode: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        sandbox.state.set_fault(system, mode, **kwargs)


def clear_faults_once_hanging(state: SandboxState, system: str) -> threading.Thread:
    """In another thread: once a request to ``system`` hangs, clear the faults until it ends.

    Clearing repeats because the request log shows the fault taken a moment before the
    hang starts waiting (and reads which clearing it must watch for); a clearing in that
    moment would pass it by. Without the clearing the hang lasts its full 30 s.
    """

    def hanging() -> list[dict[str, Any]]:
        return [e for e in state.request_log(system) if e["fault"] == "hang"]

    def watch() -> None:
        wait_for(hanging, what=f"a request to {system} to hang")
        deadline = time.monotonic() + 5
        while hanging()[-1]["status"] is None and time.monotonic() < deadline:
            state.clear_faults()
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def test_clearing_faults_ends_a_hang_in_progress(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "hang", seconds=30)
    watcher = clear_faults_once_hanging(sandbox.state, "rest")
    started = time.monotonic()
    response = probe(sandbox, "rest")
    watcher.join(5)
    assert response.status_code == 504
    assert time.monotonic() - started < 3


def test_server_stops_promptly_while_a_hang_is_in_progress() -> None:
    state = SandboxState()
    outcome: list[object] = []

    def hanging_request(url: str) -> None:
        try:
            outcome.append(
                httpx.get(
                    f"{url}/rest/health", headers={"X-API-Key": demo.REST_API_KEY}
                ).status_code
            )
        except httpx.HTTPError as error:
            outcome.append(error)

    with running_sandbox(state) as url:
        state.set_fault("rest", "hang", seconds=30)
        client = threading.Thread(target=hanging_request, args=(url,))
        client.start()
        wait_for(lambda: state.request_log("rest"), what="the request to reach the hang")
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 1.0
    client.join(5)
    assert outcome == [504]


def post_rest_expense(sandbox: Any, key: str, timeout: float) -> httpx.Response:
    return sandbox.client.post(
        "/rest/expenses",
        json={"records": [{"idempotency_key": key, "amount": "12.50"}]},
        headers={demo.REST_API_KEY_HEADER: demo.REST_API_KEY},
        timeout=timeout,
    )


def test_lost_answer_stores_the_request_then_answers_too_late(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "lost_answer", times=1, seconds=5)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        post_rest_expense(sandbox, "exp-1", timeout=0.5)
    assert time.monotonic() - started < 2
    assert [r["idempotency_key"] for r in sandbox.state.stored("rest")] == ["exp-1"]
    assert sandbox.state.count("rest") == 1
    # The client hung up, so the sandbox stops holding the answer (for 5 s) at once.
    wait_for(
        lambda: sandbox.state.request_log("rest")[-1]["status"] is not None,
        timeout=2,
        what="the sandbox to stop holding the answer once the client hung up",
    )
    assert sandbox.state.request_log("rest")[-1]["fault"] == "lost_answer"

    repeat = post_rest_expense(sandbox, "exp-1", timeout=5)
    assert repeat.json()["results"][0]["status"] == "duplicate"
    assert sandbox.state.count("rest") == 1


def test_lost_answer_is_answered_in_full_to_a_patient_client(sandbox: Any) -> None:
    sandbox.state.set_fault("xledger", "lost_answer", times=1, seconds=0.4)
    started = time.monotonic()
    response = probe(sandbox, "xledger")
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert response.json()["data"]["companies"]["edges"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_can_lose_an_answer(sandbox: Any, system: str) -> None:
    sandbox.state.set_fault(system, "lost_answer", times=1, seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        probe(sandbox, system, timeout=0.5)
    assert sandbox.state.faults() == {}
    assert probe(sandbox, system).status_code == 200


def test_lost_answer_waits_fifteen_seconds_by_default(sandbox: Any) -> None:
    sandbox.state.set_fault("rest", "lost_answer")
    assert sandbox.state.faults()["rest"]["mode"] == "lost_answer"
    assert Fault("rest", "lost_answer").duration == 15.0
