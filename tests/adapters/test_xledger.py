"""XledgerAdapter against the Xledger sandbox: one request per test, every failure explained."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest

from accountlink_ui.integrations import xledger
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import AdapterFailure, OutboundClient
from accountlink_ui.integrations.registry import (
    ConnectionResult,
    ExportRecord,
    PermanentError,
    TransientError,
)
from accountlink_ui.integrations.xledger import XledgerAdapter
from accountlink_ui.sandbox import demo_credentials as demo
from tests.adapters.support import WRONG_SECRETS, Sandbox, assert_no_secret, config

WRONG_TOKEN = WRONG_SECRETS[0]


def xledger_config(token: str = demo.XLEDGER_DEMO_TOKEN, environment: str = "sandbox"):
    return config("xledger", "api_token", {}, {"api_token": token}, environment)


def run_test(sandbox: Sandbox, token: str = demo.XLEDGER_DEMO_TOKEN, **kw) -> ConnectionResult:
    adapter = XledgerAdapter(sandbox.settings())
    result = adapter.test_connection(xledger_config(token, **kw), Deadline(10))
    assert_no_secret(result.message)
    assert len(sandbox.requests("xledger")) == 1, "a connection test is exactly one request"
    return result


def records(count: int, prefix: str = "exp") -> list[ExportRecord]:
    return [
        ExportRecord(
            idempotency_key=f"{prefix}-{index:04d}",
            posted_date=dt.date(2025, 3, 14),
            amount=Decimal("123.45"),
            currency="NOK",
            account_code="6800",
            description="Train ticket",
            claimant="Kari Nordmann",
        )
        for index in range(count)
    ]


# --- connection test ------------------------------------------------------------------------


def test_demo_token_reaches_the_demo_company_with_one_request(sandbox: Sandbox) -> None:
    result = run_test(sandbox)
    assert result.ok
    assert result.reached == demo.XLEDGER_COMPANY
    entry = sandbox.requests("xledger")[0]
    assert entry["path"] == "/xledger/demo/graphql"
    assert entry["auth_scheme"] == "token"


def test_production_environment_uses_the_production_endpoint(sandbox: Sandbox) -> None:
    result = run_test(sandbox, demo.XLEDGER_PRODUCTION_TOKEN, environment="production")
    assert result.ok
    assert result.reached == demo.XLEDGER_PRODUCTION_COMPANY
    assert sandbox.requests("xledger")[0]["path"] == "/xledger/production/graphql"


@pytest.mark.parametrize("status", [401, 200])
def test_unknown_token_points_at_the_token_field(sandbox: Sandbox, status: int) -> None:
    sandbox.state.set_xledger_invalid_token_status(status)
    result = run_test(sandbox, WRONG_TOKEN)
    assert not result.ok
    assert result.fields == ("api_token",)
    assert "did not recognise the API token" in result.message
    assert "Demo" in result.message


def test_demo_token_in_production_is_explained(sandbox: Sandbox) -> None:
    result = run_test(sandbox, demo.XLEDGER_DEMO_TOKEN, environment="production")
    assert not result.ok
    assert result.fields == ("api_token",)
    assert "Production" in result.message


def test_token_without_read_scope_is_explained(sandbox: Sandbox) -> None:
    result = run_test(sandbox, demo.XLEDGER_NO_READ_SCOPE_TOKEN)
    assert not result.ok
    assert result.fields == ("api_token",)
    assert "scope" in result.message and "read" in result.message


def test_token_with_spaces_is_refused_before_spending_a_request(sandbox: Sandbox) -> None:
    adapter = XledgerAdapter(sandbox.settings())
    result = adapter.test_connection(xledger_config(f"token {WRONG_TOKEN}"), Deadline(10))
    assert not result.ok
    assert result.fields == ("api_token",)
    assert "without 'token' or 'Bearer'" in result.message
    assert sandbox.requests("xledger") == []


def test_bad_header_format_answer_is_explained(sandbox: Sandbox) -> None:
    """Xledger's own 'Bad format for API Token' answer, as the sandbox sends it."""
    settings = sandbox.settings()
    reply = OutboundClient(settings).request(
        "POST",
        settings.xledger_sandbox_url,
        deadline=Deadline(5),
        headers={"Authorization": f"Bearer {WRONG_TOKEN}"},
        json={"query": xledger.PROBE_QUERY},
    )
    with pytest.raises(AdapterFailure) as caught:
        xledger._data(reply, WRONG_TOKEN, "sandbox")
    assert caught.value.fields == ("api_token",)
    assert "format of the Authorization header" in caught.value.message


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("burst_limit", "burst rate limit was reached: try again in a few seconds"),
        ("concurrency_limit", "Too many requests are running at once"),
        ("query_timeout", "Your query timed out."),
        ("http_500", "server error (HTTP 500)"),
        ("rate_limit", "limiting requests right now (HTTP 429); try again in 1 s"),
        ("malformed_json", "not JSON"),
    ],
)
def test_fault_is_explained_without_blaming_the_token(
    sandbox: Sandbox, mode: str, expected: str
) -> None:
    sandbox.state.set_fault("xledger", mode, times=1)
    result = run_test(sandbox)
    assert not result.ok
    assert expected in result.message
    assert result.fields == ()


def test_insufficient_credits_says_when_they_reset(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("xledger", "insufficient_credits", times=1, seconds=3600)
    result = run_test(sandbox)
    assert not result.ok
    assert result.code == "BAD_REQUEST.INSUFFICIENT_CREDITS"
    reset = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert f"Credits reset at {reset:%Y-%m-%d %H}" in result.message
    assert "UTC (in about 60 minutes)" in result.message


def test_slow_answer_within_the_deadline_still_succeeds(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("xledger", "slow", times=1, seconds=0.3)
    assert run_test(sandbox).ok


def test_hanging_xledger_fails_within_the_deadline(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("xledger", "hang", times=1, seconds=15)
    started = time.monotonic()
    result = XledgerAdapter(sandbox.settings()).test_connection(xledger_config(), Deadline(10))
    elapsed = time.monotonic() - started
    assert elapsed <= 10.5
    assert not result.ok
    assert result.message.startswith("Timed out after 10 s waiting for Xledger")
    assert result.code == "TIMEOUT"


# --- push and reconcile ---------------------------------------------------------------------


def test_push_posts_gl_import_items_keyed_by_your_reference(sandbox: Sandbox) -> None:
    batch = records(3)
    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), batch)
    assert set(result.accepted) == {r.idempotency_key for r in batch}
    assert result.failed == {}
    received = sandbox.state.received("xledger")
    assert [item["yourReference"] for item in received] == [r.idempotency_key for r in batch]
    assert {item["dbId"] for item in received} == set(result.accepted.values())
    first = received[0]
    assert first["account"] == {"code": "6800"}
    assert Decimal(str(first["amount"])) == Decimal("123.45")
    assert first["currency"] == {"code": "NOK"}
    assert first["postedDate"] == "2025-03-14"
    assert len(sandbox.requests("xledger")) == 1


def test_push_refuses_more_than_500_nodes(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="at most 500"):
        XledgerAdapter(sandbox.settings()).push(xledger_config(), records(501))
    assert sandbox.requests("xledger") == []


def test_push_of_500_nodes_is_one_request(sandbox: Sandbox) -> None:
    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), records(500))
    assert len(result.accepted) == 500
    assert len(sandbox.requests("xledger")) == 1


def test_find_existing_maps_your_reference_to_db_id(sandbox: Sandbox) -> None:
    adapter = XledgerAdapter(sandbox.settings())
    pushed = adapter.push(xledger_config(), records(2))
    found = adapter.find_existing(xledger_config(), ["exp-0001", "exp-9999"])
    assert found == {"exp-0001": pushed.accepted["exp-0001"]}


@pytest.mark.parametrize(
    ("mode", "retry_after"),
    [("burst_limit", 5.0), ("concurrency_limit", 5.0), ("rate_limit", 2.0), ("http_500", None)],
)
def test_push_transient_failures_say_when_to_retry(
    sandbox: Sandbox, mode: str, retry_after: float | None
) -> None:
    sandbox.state.set_fault("xledger", mode, times=1, seconds=2 if mode == "rate_limit" else None)
    with pytest.raises(TransientError) as caught:
        XledgerAdapter(sandbox.settings()).push(xledger_config(), records(1))
    assert caught.value.retry_after == retry_after
    assert sandbox.state.stored("xledger") == []


def test_push_out_of_credits_retries_after_reset(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("xledger", "insufficient_credits", times=1, seconds=600)
    with pytest.raises(TransientError) as caught:
        XledgerAdapter(sandbox.settings()).push(xledger_config(), records(1))
    assert caught.value.retry_after is not None
    assert 590 <= caught.value.retry_after <= 600


def test_push_with_unknown_token_is_permanent(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError) as caught:
        XledgerAdapter(sandbox.settings()).push(xledger_config(WRONG_TOKEN), records(1))
    assert caught.value.fields == ("api_token",)
    assert_no_secret(str(caught.value))


def bad_record(key: str) -> ExportRecord:
    return ExportRecord(key, dt.date(2025, 1, 1), Decimal("1"), "NOK", "", "No account", "Ola")


def test_push_refuses_an_invalid_item_by_its_key_and_spends_one_request(
    sandbox: Sandbox,
) -> None:
    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), [bad_record("bad-1")])
    assert result.accepted == {}
    assert list(result.failed) == ["bad-1"]
    assert "account.code is required" in result.failed["bad-1"]
    assert result.failed["bad-1"].startswith("Xledger refused this item")
    assert len(sandbox.requests("xledger")) == 1
    assert sandbox.state.stored("xledger") == []


def test_push_stores_the_rest_of_a_batch_with_invalid_items(sandbox: Sandbox) -> None:
    batch = records(10)
    batch[3], batch[7] = bad_record("bad-3"), bad_record("bad-7")

    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), batch)

    assert set(result.failed) == {"bad-3", "bad-7"}
    assert all("account.code is required" in why for why in result.failed.values())
    good = [r.idempotency_key for r in batch if not r.idempotency_key.startswith("bad")]
    assert set(result.accepted) == set(good)
    assert [item["yourReference"] for item in sandbox.state.stored("xledger")] == good
    assert len(sandbox.requests("xledger")) == 2, "the invalid batch, then the rest once"


def test_push_of_only_invalid_items_sends_nothing_more(sandbox: Sandbox) -> None:
    result = XledgerAdapter(sandbox.settings()).push(
        xledger_config(), [bad_record("bad-1"), bad_record("bad-2")]
    )
    assert (result.accepted, set(result.failed)) == ({}, {"bad-1", "bad-2"})
    assert len(sandbox.requests("xledger")) == 1


def test_invalid_input_naming_no_item_is_still_permanent_for_the_batch() -> None:
    failure = xledger._invalid_nodes(
        "BAD_REQUEST.INVALID_INPUT", "'first' must be a non-negative integer.", None
    )
    assert failure.by_index == {}
    assert isinstance(failure.push_error(), PermanentError)


def test_push_body_carries_the_token_only_in_the_header(sandbox: Sandbox) -> None:
    XledgerAdapter(sandbox.settings()).push(xledger_config(), records(1))
    stored = json.dumps(sandbox.state.stored("xledger"))
    assert demo.XLEDGER_DEMO_TOKEN not in stored
