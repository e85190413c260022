"""Every /api/v1 route over real HTTP: success, 401, another organization's 404, bad input 422."""

from __future__ import annotations

import pytest

from tests.support.api_world import ApiWorld

ROUTES = (
    ("GET", "/integrations"),
    ("GET", "/integrations/{id}"),
    ("POST", "/integrations/{id}/test"),
    ("POST", "/integrations/{id}/sync"),
    ("GET", "/integrations/{id}/sync-runs"),
    ("GET", "/audit-events"),
)


def _path(template: str, integration_id: object) -> str:
    return template.replace("{id}", str(integration_id))


def assert_no_secret(world: ApiWorld, text: str) -> None:
    leaked = [secret for secret in world.secrets() if secret in text]
    assert not leaked, f"a response contained secret material: {leaked!r}"


def test_list_shows_only_the_tokens_organization_with_figures(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.get("/integrations")
    assert response.status_code == 200
    body = response.json()
    assert body["organization_id"] == world.bf_org
    assert [i["id"] for i in body["integrations"]] == [world.bf_xledger]
    xledger = body["integrations"][0]
    assert xledger["status"] == "active"
    assert xledger["type"] == "xledger"
    assert xledger["credentials"]["version"] == 1
    assert xledger["credentials"]["set_by"] == "Kari Nordmann"
    assert set(xledger["sync"]) == {"last_sync_at", "total_records_synced", "interval_minutes"}
    assert_no_secret(world, response.text)


def test_get_one_integration(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.get(f"/integrations/{world.bf_xledger}")
    assert response.status_code == 200
    assert response.json()["id"] == world.bf_xledger
    assert "secret_masks" not in response.text and "••" not in response.text
    assert_no_secret(world, response.text)


def test_test_connection_reaches_the_sandbox_and_is_audited_as_the_token_creator(
    world: ApiWorld,
) -> None:
    with world.client(world.token()) as client:
        response = client.post(f"/integrations/{world.bf_xledger}/test")
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["ok"] is True
        assert "Blindeforbundet" in (result["reached"] or result["message"])
        events = client.get(
            "/audit-events", params={"integration_id": world.bf_xledger, "limit": 1}
        ).json()["events"]
    assert events[0]["action"] == "integration.tested"
    assert events[0]["actor"] == "Kari Nordmann"
    assert_no_secret(world, response.text)


def test_sync_now_sends_the_waiting_claims_and_lists_the_run(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.post(f"/integrations/{world.bf_xledger}/sync")
        assert response.status_code == 200, response.text
        run = response.json()
        assert run["trigger"] == "api"
        assert run["outcome"] in ("succeeded", "partial")
        assert run["actor_name"] == "Kari Nordmann"
        runs = client.get(f"/integrations/{world.bf_xledger}/sync-runs", params={"limit": 5})
        synced = client.get("/audit-events", params={"integration_id": world.bf_xledger})
    assert runs.status_code == 200
    assert runs.json()["runs"][0]["id"] == run["id"]
    event = next(e for e in synced.json()["events"] if e["action"] == "integration.synced")
    assert event["actor"] == "Kari Nordmann via the API"
    assert event["actor_email"] == "kari@bf.test"
    assert event["details"]["trigger"] == "api"
    assert_no_secret(world, response.text + runs.text + synced.text)


def test_sync_of_a_disabled_integration_is_a_clear_409(world: ApiWorld) -> None:
    integrations = world.services.integrations
    integrations.set_enabled(world.bf_admin, world.bf_xledger, False)
    try:
        with world.client(world.token()) as client:
            response = client.post(f"/integrations/{world.bf_xledger}/sync")
    finally:
        integrations.set_enabled(world.bf_admin, world.bf_xledger, True)
    assert response.status_code == 409
    assert "disabled" in response.json()["detail"]


def test_audit_events_list_and_filter(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        everything = client.get("/audit-events")
        one = client.get("/audit-events", params={"integration_id": world.bf_xledger})
    assert everything.status_code == one.status_code == 200
    actions = {e["action"] for e in everything.json()["events"]}
    assert {"integration.created", "api_token.created"} <= actions
    assert {e["integration_id"] for e in one.json()["events"]} == {world.bf_xledger}
    assert_no_secret(world, everything.text)


@pytest.mark.parametrize(("method", "template"), ROUTES)
def test_no_token_is_401_with_a_bearer_challenge(
    world: ApiWorld, method: str, template: str
) -> None:
    with world.client() as client:
        response = client.request(method, _path(template, world.bf_xledger))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(("method", "template"), ROUTES)
def test_a_wrong_token_is_401(world: ApiWorld, method: str, template: str) -> None:
    with world.client("alk_not-a-real-token-at-all") as client:
        response = client.request(method, _path(template, world.bf_xledger))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "not valid" in response.json()["detail"]


@pytest.mark.parametrize(("method", "template"), [r for r in ROUTES if "{id}" in r[1]])
def test_another_organizations_integration_is_404(
    world: ApiWorld, method: str, template: str
) -> None:
    with world.client(world.token()) as client:
        response = client.request(method, _path(template, world.hlf_dynamics))
    assert response.status_code == 404
    assert response.json() == {
        "detail": "That integration does not exist.",
        "code": "integration.not_found",
    }


def test_another_organizations_integration_is_404_in_the_audit_filter(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.get("/audit-events", params={"integration_id": world.hlf_dynamics})
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "template"), [r for r in ROUTES if "{id}" in r[1]])
def test_a_token_stays_in_its_organization_even_when_its_creator_administers_both(
    world: ApiWorld, method: str, template: str
) -> None:
    token = world.token(world.both_admin, world.bf_org)
    with world.client(token) as client:
        response = client.request(method, _path(template, world.hlf_dynamics))
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "template"), [r for r in ROUTES if "{id}" in r[1]])
@pytest.mark.parametrize("bad_id", ["abc", "0", "-4", "99999999999999999999"])
def test_a_bad_integration_id_is_422_naming_the_parameter(
    world: ApiWorld, method: str, template: str, bad_id: str
) -> None:
    with world.client(world.token()) as client:
        response = client.request(method, _path(template, bad_id))
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "integration_id"
    assert body["detail"].startswith("path parameter integration_id: ")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/audit-events", {"limit": "0"}),
        ("/audit-events", {"limit": "lots"}),
        ("/audit-events", {"integration_id": "x"}),
        ("/integrations/{id}/sync-runs", {"limit": "101"}),
    ],
)
def test_bad_query_parameters_are_422_naming_them(
    world: ApiWorld, path: str, params: dict[str, str]
) -> None:
    with world.client(world.token()) as client:
        response = client.get(_path(path, world.bf_xledger), params=params)
    assert response.status_code == 422
    (name,) = params
    assert response.json()["errors"][0] == {
        "field": name,
        "location": "query",
        "message": response.json()["errors"][0]["message"],
    }
    assert f"query parameter {name}:" in response.json()["detail"]


def test_an_unknown_route_says_where_the_routes_are(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "openapi.json" in response.json()["detail"]


def test_a_newline_in_the_path_gets_the_apis_json_answer(world: ApiWorld) -> None:
    """``%0A`` in a path once fell through the /api/v1 mount to a plain-text 404."""
    with world.client(world.token()) as client:
        answer = client.post("/integrations/%C2%8Ew%0A%C2%BE/sync")
    assert answer.status_code in (404, 422)
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["detail"]
