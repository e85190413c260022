"""GenericRestAdapter against the REST ledger sandbox, through the SSRF guard."""

from __future__ import annotations

import pytest

from accountlink_ui.accounting.vouchers import Voucher
from accountlink_ui.integrations.contracts import ConnectionResult, PermanentError, TransientError
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.generic_rest import GenericRestAdapter, batch_idempotency_key
from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.sandbox import Sandbox
from tests.support.secrets import WRONG_SECRETS, assert_no_secret
from tests.support.vouchers import config, vouchers

FLOWS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "api_key_header": ({"header_name": demo.REST_API_KEY_HEADER}, {"api_key": demo.REST_API_KEY}),
    "api_key_query": ({"query_param": demo.REST_API_KEY_QUERY_PARAM}, {"api_key": demo.REST_API_KEY}),
    "bearer": ({}, {"bearer_token": demo.REST_BEARER_TOKEN}),
    "basic": ({"username": demo.REST_BASIC_USER}, {"password": demo.REST_BASIC_PASSWORD}),
    "oauth2_client_credentials": (
        {"client_id": demo.REST_OAUTH_CLIENT_ID, "scope": demo.REST_OAUTH_SCOPE},
        {"client_secret": demo.REST_OAUTH_CLIENT_SECRET},
    ),
}  # fmt: skip
WRONG: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "api_key_header": ({"api_key": WRONG_SECRETS[2]}, ("api_key", "header_name")),
    "api_key_query": ({"api_key": WRONG_SECRETS[2]}, ("api_key", "query_param")),
    "bearer": ({"bearer_token": WRONG_SECRETS[3]}, ("bearer_token",)),
    "basic": ({"password": WRONG_SECRETS[4]}, ("username", "password")),
    "oauth2_client_credentials": ({"client_secret": WRONG_SECRETS[5]}, ("client_id", "client_secret")),
}  # fmt: skip


def rest_config(
    sandbox: Sandbox, flow: str = "bearer", *, settings=None, secrets=None, base: str | None = None
):
    flow_settings, flow_secrets = FLOWS[flow]
    values = {
        "base_url": base or f"{sandbox.base}/rest",
        "health_path": "/health",
        "expected_status": "200",
        "records_path": "/expenses",
        **flow_settings,
        **(settings or {}),
    }
    if flow == "oauth2_client_credentials":
        values.setdefault("token_url", f"{sandbox.base}/rest/oauth2/token")
    return config("generic_rest", flow, values, {**flow_secrets, **(secrets or {})})


def run_test(sandbox: Sandbox, cfg, adapter: GenericRestAdapter | None = None) -> ConnectionResult:
    adapter = adapter or GenericRestAdapter(sandbox.settings())
    result = adapter.test_connection(cfg, Deadline(10))
    assert_no_secret(result.message)
    return result


def records(*keys: str) -> list[Voucher]:
    return vouchers(*keys, amount="42.00")


@pytest.mark.parametrize("flow", list(FLOWS))
def test_each_auth_flow_passes_the_health_check(sandbox: Sandbox, flow: str) -> None:
    result = run_test(sandbox, rest_config(sandbox, flow))
    assert result.ok, result.message
    assert result.reached == "127.0.0.1"
    health = [e for e in sandbox.requests("rest") if e["path"] == "/rest/health"]
    assert len(health) == 1
    assert health[0]["auth_scheme"] == {
        "oauth2_client_credentials": "bearer",
    }.get(flow, flow)


@pytest.mark.parametrize("flow", list(WRONG))
def test_wrong_credentials_point_at_the_flows_secret_fields(sandbox: Sandbox, flow: str) -> None:
    secrets, fields = WRONG[flow]
    result = run_test(sandbox, rest_config(sandbox, flow, secrets=secrets))
    assert not result.ok
    assert result.fields == fields


def test_rejected_key_message_names_status_and_field(sandbox: Sandbox) -> None:
    result = run_test(sandbox, rest_config(sandbox, "bearer", secrets=WRONG["bearer"][0]))
    assert result.message == (
        "127.0.0.1 rejected the credentials (HTTP 401 for GET /health). Check the Bearer token."
    )


def test_oauth_token_is_cached_between_tests(sandbox: Sandbox) -> None:
    adapter = GenericRestAdapter(sandbox.settings())
    cfg = rest_config(sandbox, "oauth2_client_credentials")
    assert run_test(sandbox, cfg, adapter).ok
    assert run_test(sandbox, cfg, adapter).ok
    paths = [e["path"] for e in sandbox.requests("rest")]
    assert paths.count("/rest/oauth2/token") == 1
    assert paths.count("/rest/health") == 2


def test_oauth_unknown_scope_points_at_scope(sandbox: Sandbox) -> None:
    cfg = rest_config(sandbox, "oauth2_client_credentials", settings={"scope": "ledger.admin"})
    result = run_test(sandbox, cfg)
    assert (result.ok, result.fields, result.code) == (False, ("scope",), "invalid_scope")


def test_oauth_token_url_not_found_points_at_token_url(sandbox: Sandbox) -> None:
    cfg = rest_config(
        sandbox, "oauth2_client_credentials", settings={"token_url": f"{sandbox.base}/rest/nope"}
    )
    result = run_test(sandbox, cfg)
    assert (result.ok, result.fields) == (False, ("token_url",))


def test_missing_health_path_points_at_the_path(sandbox: Sandbox) -> None:
    result = run_test(sandbox, rest_config(sandbox, settings={"health_path": "/status"}))
    assert not result.ok
    assert result.fields == ("health_path", "base_url")
    assert "has no /status (HTTP 404)" in result.message


def test_unexpected_status_names_expected_and_got(sandbox: Sandbox) -> None:
    result = run_test(sandbox, rest_config(sandbox, settings={"expected_status": "204"}))
    assert not result.ok
    assert "with HTTP 200, but HTTP 204 was expected" in result.message
    assert result.fields == ("expected_status", "health_path")


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("http_500", "server error (expected HTTP 200, got 500 for GET /health)"),
        ("rate_limit", "limiting requests (HTTP 429); try again in 1 s"),
    ],
)
def test_service_faults_are_explained(sandbox: Sandbox, mode: str, expected: str) -> None:
    sandbox.state.set_fault("rest", mode, times=1)
    result = run_test(sandbox, rest_config(sandbox))
    assert not result.ok
    assert expected in result.message
    assert result.fields == ()


def test_health_check_judges_the_status_not_the_body(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("rest", "malformed_json", times=1)
    assert run_test(sandbox, rest_config(sandbox)).ok


def test_plain_http_to_a_public_host_is_refused_before_any_lookup(sandbox: Sandbox) -> None:
    result = run_test(sandbox, rest_config(sandbox, base="http://api.example.com/v1"))
    assert not result.ok
    assert result.fields == ("base_url",)
    assert result.message.startswith("Use https for api.example.com")


def test_refused_connection_points_at_the_base_url(sandbox: Sandbox) -> None:
    adapter = GenericRestAdapter(sandbox.settings(allowed_hosts=["127.0.0.1:9"]))
    result = run_test(sandbox, rest_config(sandbox, base="http://127.0.0.1:9/rest"), adapter)
    assert not result.ok
    assert result.fields == ("base_url",)
    assert "127.0.0.1:9 refused the connection" in result.message


# --- SSRF through the adapter ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://10.0.0.1/api", "10.0.0.1 is a private network address"),
        ("https://169.254.169.254/latest", "169.254.169.254 is a cloud metadata address"),
        ("https://2130706433/api", "'2130706433' means 127.0.0.1, a loopback address"),
    ],
)
def test_admin_typed_internal_address_is_refused(
    sandbox: Sandbox, base: str, expected: str
) -> None:
    adapter = GenericRestAdapter(sandbox.settings(allowed_hosts=[]))
    result = run_test(sandbox, rest_config(sandbox, base=base), adapter)
    assert not result.ok
    assert expected in result.message
    assert result.fields == ("base_url",)


def test_loopback_sandbox_is_refused_unless_allowlisted(sandbox: Sandbox) -> None:
    cfg = rest_config(sandbox)
    refused = run_test(sandbox, cfg, GenericRestAdapter(sandbox.settings(allowed_hosts=[])))
    assert not refused.ok
    assert "127.0.0.1 is a loopback address (this machine)" in refused.message
    assert sandbox.requests("rest") == []
    assert run_test(sandbox, cfg).ok


def test_oauth_token_url_is_guarded_too(sandbox: Sandbox) -> None:
    cfg = rest_config(
        sandbox, "oauth2_client_credentials", settings={"token_url": "https://10.1.2.3/token"}
    )
    result = run_test(sandbox, cfg)
    assert not result.ok
    assert result.fields == ("token_url",)
    assert "10.1.2.3 is a private network address" in result.message


# --- push -----------------------------------------------------------------------------------


def test_push_posts_records_with_their_keys_and_ledger_ids_come_back(sandbox: Sandbox) -> None:
    result = GenericRestAdapter(sandbox.settings()).push(rest_config(sandbox), records("r1", "r2"))
    assert set(result.accepted) == {"r1", "r2"}
    assert all(value.startswith("led_") for value in result.accepted.values())
    received = sandbox.state.received("rest")
    assert [r["idempotency_key"] for r in received] == ["r1", "r2"]
    assert received[0]["amount"] == "42.00"
    assert received[0]["voucher_number"] == "AL000001"
    assert [(line["account"], line["amount"]) for line in received[0]["lines"]] == [
        ("6800", "42.00"),
        ("2910", "-42.00"),
    ]


def test_repeated_batch_is_acknowledged_not_duplicated(sandbox: Sandbox) -> None:
    adapter = GenericRestAdapter(sandbox.settings())
    first = adapter.push(rest_config(sandbox), records("r1", "r2"))
    again = adapter.push(rest_config(sandbox), records("r1", "r2"))
    assert again.accepted == first.accepted
    assert len(sandbox.state.stored("rest")) == 2


def test_batch_idempotency_key_is_stable_for_the_same_records() -> None:
    assert batch_idempotency_key(["a", "b"]) == batch_idempotency_key(["b", "a"])
    assert batch_idempotency_key(["a"]) != batch_idempotency_key(["a", "b"])


def test_push_faults_are_transient_or_permanent(sandbox: Sandbox) -> None:
    adapter = GenericRestAdapter(sandbox.settings())
    sandbox.state.set_fault("rest", "rate_limit", times=1, seconds=3)
    with pytest.raises(TransientError) as throttled:
        adapter.push(rest_config(sandbox), records("r1"))
    assert throttled.value.retry_after == 3
    with pytest.raises(PermanentError) as refused:
        adapter.push(rest_config(sandbox, secrets=WRONG["bearer"][0]), records("r1"))
    assert refused.value.fields == ("bearer_token",)
    assert_no_secret(str(refused.value))
