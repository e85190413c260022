"""A stored secret never goes to a new destination (issue 11, item 4).

Someone holding an admin's session edits an integration to point somewhere
else (a base URL, a token URL, a header or query parameter name, a tenant, a
Dataverse URL, an Xledger environment) and leaves the secret blank, which means
"keep the stored one". Neither the test nor the save may hand the stored secret
to the new destination: both are refused with a message on the secret field,
nothing is sent anywhere, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from accountlink_ui.demo_drafts import business_central_draft, rest_draft, xledger_draft
from accountlink_ui.integrations.registry import get_type
from accountlink_ui.integrations.validation import applicable_fields
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.errors import InvalidConfig
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.proofs import ConnectionValues, ProofSigner
from accountlink_ui.services.wiring import derived_key
from tests.support.recorder import DestinationWorld

NEVER = "and a stored secret is never sent to a new address."


def _edit(draft: ConnectionDraft, secret: str, **changes: str) -> ConnectionDraft:
    """The draft as an edit form sends it: the secret left blank, some fields changed."""
    environment = changes.pop("environment", draft.environment)
    return replace(draft, environment=environment, values={**draft.values, secret: "", **changes})


def _forged_proof(
    destination_world: DestinationWorld, integration_id: int, draft: ConnectionDraft, secret: str
) -> str:
    """A proof for the draft with the stored secret merged in: what a test would have
    issued if it had let the stored secret through (the old behaviour)."""
    integration_type = get_type(draft.type_key)
    values = {k: v for k, v in draft.values.items() if k != secret}
    stored = destination_world.services.integrations.connection_config(integration_id).secrets
    settings = {
        spec.key: values.get(spec.key, "").strip() or spec.default
        for spec in applicable_fields(integration_type, draft.auth_flow, values)
        if not spec.secret
    }
    signer = ProofSigner(derived_key(destination_world.services.key_ring, "connection-test proof"))
    return signer.issue(
        ConnectionValues(
            organization_id=destination_world.org,
            integration_id=integration_id,
            actor_id=destination_world.admin.user_id,
            type_key=draft.type_key,
            environment=draft.environment,
            auth_flow=draft.auth_flow,
            settings=settings,
            secrets={secret: stored[secret]},
        )
    )


def _nothing_sent(destination_world: DestinationWorld, secret_value: str) -> None:
    assert destination_world.recorder.seen() == [], "the recording server was called"
    for system in ("xledger", "entra", "business_central", "dataverse", "rest"):
        log = destination_world.sandbox.requests(system)
        assert log == [], f"{system} was called: {log}"
    assert all(secret_value not in request for request in destination_world.recorder.seen())


def _assert_refused(
    destination_world: DestinationWorld,
    integration_id: int,
    edited: ConnectionDraft,
    secret: str,
    message: str,
) -> None:
    integrations = destination_world.services.integrations
    before = integrations.get_integration(destination_world.admin, integration_id)
    secret_value = integrations.connection_config(integration_id).secrets[secret]

    with pytest.raises(InvalidConfig) as tested:
        integrations.test_connection(
            destination_world.admin, destination_world.org, edited, integration_id=integration_id
        )
    assert tested.value.errors.get(secret) == message
    _nothing_sent(destination_world, secret_value)

    with pytest.raises(InvalidConfig) as saved:
        integrations.update_integration(
            destination_world.admin,
            integration_id,
            edited,
            _forged_proof(destination_world, integration_id, edited, secret),
        )
    assert saved.value.errors.get(secret) == message
    after = integrations.get_integration(destination_world.admin, integration_id)
    assert (after.settings, after.environment, after.credential_version) == (
        before.settings,
        before.environment,
        before.credential_version,
    ), "the refused save changed the stored integration"
    _nothing_sent(destination_world, secret_value)


def _rest_query_draft(base: str) -> ConnectionDraft:
    draft = rest_draft(base)
    values = {k: v for k, v in draft.values.items() if k != "header_name"}
    return replace(
        draft,
        auth_flow="api_key_query",
        values={**values, "query_param": demo.REST_API_KEY_QUERY_PARAM},
    )


def _rest_oauth_draft(base: str) -> ConnectionDraft:
    return ConnectionDraft(
        "generic_rest",
        "sandbox",
        "oauth2_client_credentials",
        {
            "base_url": f"{base}/rest",
            "health_path": "/health",
            "expected_status": "200",
            "records_path": "/expenses",
            "token_url": f"{base}/rest/oauth2/token",
            "client_id": demo.REST_OAUTH_CLIENT_ID,
            "client_secret": demo.REST_OAUTH_CLIENT_SECRET,
            "scope": demo.REST_OAUTH_SCOPE,
        },
    )


def _dataverse_draft() -> ConnectionDraft:
    return ConnectionDraft(
        "dynamics",
        "sandbox",
        "client_secret",
        {
            "product": "dataverse",
            "tenant_id": demo.ENTRA_TENANT_ID,
            "client_id": demo.ENTRA_CLIENT_ID,
            "dataverse_url": demo.DATAVERSE_ORG_URL,
            "client_secret": demo.ENTRA_CLIENT_SECRET,
        },
    )


# --- each destination field ----------------------------------------------------------------------


def test_a_new_base_url_with_the_key_left_blank_sends_nothing_there_and_is_not_saved(
    destination_world: DestinationWorld,
) -> None:
    draft = rest_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = _edit(draft, "api_key", base_url=f"{destination_world.recorder.base}/rest")

    _assert_refused(
        destination_world,
        integration_id,
        edited,
        "api_key",
        f"Type the API key again: the base URL changed, {NEVER}",
    )


def test_a_new_token_url_with_the_client_secret_left_blank_is_refused(
    destination_world: DestinationWorld,
) -> None:
    draft = _rest_oauth_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = _edit(
        draft, "client_secret", token_url=f"{destination_world.recorder.base}/oauth2/token"
    )

    _assert_refused(
        destination_world,
        integration_id,
        edited,
        "client_secret",
        f"Type the client secret again: the token URL changed, {NEVER}",
    )


def test_a_new_header_name_with_the_key_left_blank_is_refused(
    destination_world: DestinationWorld,
) -> None:
    draft = rest_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = _edit(draft, "api_key", header_name="X-Forwarded-Key")

    _assert_refused(
        destination_world,
        integration_id,
        edited,
        "api_key",
        f"Type the API key again: the header name changed, {NEVER}",
    )


def test_a_new_query_parameter_with_the_key_left_blank_is_refused(
    destination_world: DestinationWorld,
) -> None:
    draft = _rest_query_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = _edit(draft, "api_key", query_param="callback_key")

    _assert_refused(
        destination_world,
        integration_id,
        edited,
        "api_key",
        f"Type the API key again: the query parameter changed, {NEVER}",
    )


def test_a_new_tenant_with_the_client_secret_left_blank_is_refused(
    destination_world: DestinationWorld,
) -> None:
    draft = business_central_draft()
    integration_id = destination_world.connect(draft)
    edited = _edit(draft, "client_secret", tenant_id="attacker.onmicrosoft.com")

    _assert_refused(
        destination_world,
        integration_id,
        edited,
        "client_secret",
        f"Type the client secret again: the tenant (directory) ID changed, {NEVER}",
    )


def test_a_new_dataverse_url_with_the_client_secret_left_blank_is_refused(
    destination_world: DestinationWorld,
) -> None:
    draft = _dataverse_draft()
    integration_id = destination_world.connect(draft)
    edited = _edit(draft, "client_secret", dataverse_url="https://attacker.crm4.dynamics.com")

    _assert_refused(
        destination_world,
        integration_id,
        edited,
        "client_secret",
        f"Type the client secret again: the environment URL changed, {NEVER}",
    )


def test_another_xledger_environment_with_the_token_left_blank_is_refused(
    destination_world: DestinationWorld,
) -> None:
    draft = xledger_draft()
    integration_id = destination_world.connect(draft)
    edited = _edit(draft, "api_token", environment="production")

    _assert_refused(
        destination_world,
        integration_id,
        edited,
        "api_token",
        f"Type the API token again: the environment changed, {NEVER}",
    )


def test_switching_the_key_from_a_header_to_the_query_is_refused(
    destination_world: DestinationWorld,
) -> None:
    draft = rest_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = replace(_edit(draft, "api_key", query_param="api_key"), auth_flow="api_key_query")

    with pytest.raises(InvalidConfig) as tested:
        destination_world.services.integrations.test_connection(
            destination_world.admin, destination_world.org, edited, integration_id=integration_id
        )
    assert tested.value.errors["api_key"].startswith("Type the API key again: the sign-in method")
    _nothing_sent(destination_world, demo.REST_API_KEY)


# --- what still keeps the stored secret ----------------------------------------------------------


def test_the_same_destination_keeps_the_stored_secret(destination_world: DestinationWorld) -> None:
    """Blank still means 'keep' when only non-destination fields, the URL's path, or the
    header name's case change: the test reaches the same host with the stored key."""
    draft = rest_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = _edit(
        draft,
        "api_key",
        base_url=f"{destination_world.sandbox.base}/rest/",
        header_name="x-api-key",
        records_path="/claims",
    )

    outcome = destination_world.services.integrations.test_connection(
        destination_world.admin, destination_world.org, edited, integration_id=integration_id
    )

    assert outcome.result.ok, outcome.result.message
    assert [entry["credential"] for entry in destination_world.sandbox.requests("rest")] == [
        demo.REST_API_KEY
    ]
    view = destination_world.services.integrations.update_integration(
        destination_world.admin, integration_id, edited, outcome.proof
    )
    assert view.credential_version == 2
    assert view.settings["records_path"] == "/claims"


def test_typing_the_secret_again_lets_the_new_destination_be_tested_and_saved(
    destination_world: DestinationWorld,
) -> None:
    draft = rest_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = replace(
        draft,
        values={
            **draft.values,
            "base_url": f"{destination_world.recorder.base}/rest",
            "api_key": "a-new-key-for-the-new-host",
        },
    )

    outcome = destination_world.services.integrations.test_connection(
        destination_world.admin, destination_world.org, edited, integration_id=integration_id
    )

    assert outcome.result.ok, outcome.result.message
    [request] = destination_world.recorder.seen()
    assert "a-new-key-for-the-new-host" in request
    assert demo.REST_API_KEY not in request
    view = destination_world.services.integrations.update_integration(
        destination_world.admin, integration_id, edited, outcome.proof
    )
    assert view.settings["base_url"] == f"{destination_world.recorder.base}/rest"


def test_the_forged_proof_of_these_tests_is_the_one_the_old_test_would_have_issued(
    destination_world: DestinationWorld,
) -> None:
    """Guards the save assertions above: with an unchanged destination the same forged
    proof is accepted, so the refusals come from the destination rule, not a bad proof."""
    draft = rest_draft(destination_world.sandbox.base)
    integration_id = destination_world.connect(draft)
    edited = _edit(draft, "api_key", records_path="/claims")

    view = destination_world.services.integrations.update_integration(
        destination_world.admin,
        integration_id,
        edited,
        _forged_proof(destination_world, integration_id, edited, "api_key"),
    )

    assert view.settings["records_path"] == "/claims"
