"""The API answers in English unless Accept-Language asks for Norwegian bokmål; every refusal
keeps its machine code whatever the language."""

from __future__ import annotations

import pytest

from tests.support.api_world import ApiWorld

NB = {"Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"}


def test_another_organizations_integration_is_refused_in_norwegian(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        english = client.get(f"/integrations/{world.hlf_dynamics}")
        norwegian = client.get(f"/integrations/{world.hlf_dynamics}", headers=NB)
    assert english.status_code == norwegian.status_code == 404
    assert english.json() == {
        "detail": "That integration does not exist.",
        "code": "integration.not_found",
    }
    assert norwegian.json() == {
        "detail": "Den integrasjonen finnes ikke.",
        "code": "integration.not_found",
    }


@pytest.mark.parametrize(
    ("language", "words"),
    [("en-GB", "Send an organization API token"), ("nb", "Send et API-token"), ("no", "Send et")],
)
def test_a_missing_token_is_explained_in_the_asked_language(
    world: ApiWorld, language: str, words: str
) -> None:
    with world.client() as client:
        response = client.get("/integrations", headers={"Accept-Language": language})
    assert response.status_code == 401
    assert response.json()["code"] == "api.token_missing"
    assert response.json()["detail"].startswith(words)


def test_a_language_the_api_does_not_speak_gets_english(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.get("/no-such-route", headers={"Accept-Language": "de-DE, fr;q=0.8"})
    assert response.status_code == 404
    assert response.json()["code"] == "api.no_route"
    assert response.json()["detail"].startswith("There is no such API route.")


def test_a_disabled_integration_refuses_a_sync_in_norwegian(world: ApiWorld) -> None:
    integrations = world.services.integrations
    integrations.set_enabled(world.bf_admin, world.bf_xledger, False)
    try:
        with world.client(world.token()) as client:
            response = client.post(f"/integrations/{world.bf_xledger}/sync", headers=NB)
    finally:
        integrations.set_enabled(world.bf_admin, world.bf_xledger, True)
    assert response.status_code == 409
    assert response.json()["code"] == "sync.disabled"
    assert "er deaktivert og synkroniserer derfor ikke" in response.json()["detail"]


def test_invalid_claims_are_explained_field_by_field_in_norwegian(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.post("/claims", json={"claims": [{}]}, headers=NB)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "claims.invalid"
    assert body["detail"].startswith("Ingenting ble lagret.")
    required = [error for error in body["errors"] if error["code"] == "required"]
    assert required and all(error["message"] == "Må fylles ut." for error in required)


def test_a_connection_test_answers_in_norwegian(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.post(f"/integrations/{world.bf_xledger}/test", headers=NB)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["message"].startswith("Koblet til Xledger")
