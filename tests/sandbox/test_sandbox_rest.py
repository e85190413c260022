"""The generic REST ledger: four ways to authenticate, OAuth tokens, idempotent posting."""

from __future__ import annotations

from typing import Any

import pytest

from accountlink_ui.sandbox import demo_credentials as demo


def oauth_token(sandbox: Any, **overrides: str) -> Any:
    form = {
        "grant_type": "client_credentials",
        "client_id": demo.REST_OAUTH_CLIENT_ID,
        "client_secret": demo.REST_OAUTH_CLIENT_SECRET,
        "scope": demo.REST_OAUTH_SCOPE,
        **overrides,
    }
    return sandbox.client.post("/rest/oauth2/token", data=form)


@pytest.mark.parametrize("style", ["header", "query", "bearer", "basic", "oauth"])
def test_health_accepts_every_auth_style(sandbox: Any, style: str) -> None:
    kwargs: dict[str, Any] = {
        "header": {"headers": {demo.REST_API_KEY_HEADER: demo.REST_API_KEY}},
        "query": {"params": {demo.REST_API_KEY_QUERY_PARAM: demo.REST_API_KEY}},
        "bearer": {"headers": {"Authorization": f"Bearer {demo.REST_BEARER_TOKEN}"}},
        "basic": {"auth": (demo.REST_BASIC_USER, demo.REST_BASIC_PASSWORD)},
        "oauth": {},
    }[style]
    if style == "oauth":
        token = oauth_token(sandbox).json()["access_token"]
        kwargs = {"headers": {"Authorization": f"Bearer {token}"}}
    response = sandbox.client.get("/rest/health", **kwargs)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "Sandbox Ledger"}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "Missing credentials"),
        ({"headers": {demo.REST_API_KEY_HEADER: "wrong"}}, "Invalid API key in X-API-Key"),
        ({"params": {"api_key": "wrong"}}, "api_key parameter"),
        ({"headers": {"Authorization": "Bearer wrong"}}, "bearer token"),
        ({"auth": (demo.REST_BASIC_USER, "wrong")}, "username or password"),
        ({"headers": {"Authorization": "Digest abc"}}, "Unsupported Authorization scheme"),
    ],
)
def test_health_says_what_is_missing_or_wrong(
    sandbox: Any, kwargs: dict[str, Any], fragment: str
) -> None:
    response = sandbox.client.get("/rest/health", **kwargs)
    assert response.status_code == 401
    assert fragment in response.json()["error"]


def test_oauth_token_errors(sandbox: Any) -> None:
    wrong = oauth_token(sandbox, client_secret="nope")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert oauth_token(sandbox, scope="ledger.admin").json()["error"] == "invalid_scope"
    assert oauth_token(sandbox, grant_type="password").json()["error"] == "unsupported_grant_type"
    body = oauth_token(sandbox).json()
    assert (body["token_type"], body["scope"]) == ("Bearer", "ledger.write")


def test_records_with_the_same_id_are_stored_once_but_all_arrivals_are_kept(sandbox: Any) -> None:
    headers = {demo.REST_API_KEY_HEADER: demo.REST_API_KEY}
    first = sandbox.client.post(
        "/rest/expenses",
        json={"records": [{"id": "E-1", "amount": 10}, {"id": "E-2", "amount": 20}]},
        headers=headers,
    )
    repeat = sandbox.client.post(
        "/rest/expenses", json={"id": "E-1", "amount": 10}, headers=headers
    )
    assert first.status_code == 201 and first.json()["created"] == 2
    assert repeat.status_code == 200
    assert repeat.json()["results"][0] == {
        "index": 0,
        "status": "duplicate",
        "ledger_id": first.json()["results"][0]["ledger_id"],
    }
    assert [r["id"] for r in sandbox.state.received("rest")] == ["E-1", "E-2", "E-1"]
    assert [r["id"] for r in sandbox.state.stored("rest")] == ["E-1", "E-2"]
    listed = sandbox.client.get("/rest/expenses", headers=headers).json()
    assert listed["count"] == 2


def test_idempotency_key_header_replays_a_whole_batch(sandbox: Any) -> None:
    headers = {demo.REST_API_KEY_HEADER: demo.REST_API_KEY, "Idempotency-Key": "sync-run-42"}
    batch = {"records": [{"amount": 1}, {"amount": 2}]}
    first = sandbox.client.post("/rest/expenses", json=batch, headers=headers).json()
    again = sandbox.client.post("/rest/expenses", json=batch, headers=headers).json()
    assert (first["created"], again["created"], again["replayed"]) == (2, 0, True)
    assert [r["ledger_id"] for r in again["results"]] == [r["ledger_id"] for r in first["results"]]
    assert len(sandbox.state.received("rest")) == 4
    assert len(sandbox.state.stored("rest")) == 2


def test_per_record_idempotency_key_field(sandbox: Any) -> None:
    headers = {"Authorization": f"Bearer {demo.REST_BEARER_TOKEN}"}
    body = {"records": [{"idempotency_key": "k1"}, {"idempotency_key": "k1"}]}
    result = sandbox.client.post("/rest/expenses", json=body, headers=headers).json()
    assert [r["status"] for r in result["results"]] == ["created", "duplicate"]


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"records": [1]}'])
def test_bad_bodies_are_refused_and_not_stored(sandbox: Any, body: bytes) -> None:
    response = sandbox.client.post(
        "/rest/expenses",
        content=body,
        headers={demo.REST_API_KEY_HEADER: demo.REST_API_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert "error" in response.json()
    assert sandbox.state.received("rest") == []
