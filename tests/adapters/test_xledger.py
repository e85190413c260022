"""XledgerAdapter against the Xledger sandbox: one request per test, every failure explained."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest

from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import Voucher, build_voucher
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations import xledger
from accountlink_ui.integrations.contracts import ConnectionResult, PermanentError, TransientError
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import HttpReply, OutboundClient
from accountlink_ui.integrations.xledger import XledgerAdapter
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.ledger import ledger
from tests.support.sandbox import Sandbox
from tests.support.secrets import WRONG_SECRETS, assert_no_secret
from tests.support.vouchers import POSTING, claim, config, vouchers

WRONG_TOKEN = WRONG_SECRETS[0]


def xledger_config(
    token: str = demo.XLEDGER_DEMO_TOKEN,
    environment: str = "sandbox",
    posting: PostingSettings = POSTING,
):
    return config("xledger", "api_token", {}, {"api_token": token}, environment, posting)


def run_test(sandbox: Sandbox, token: str = demo.XLEDGER_DEMO_TOKEN, **kw) -> ConnectionResult:
    adapter = XledgerAdapter(sandbox.settings())
    result = adapter.test_connection(xledger_config(token, **kw), Deadline(10))
    assert_no_secret(result.message)
    assert len(sandbox.requests("xledger")) == 1, "a connection test is exactly one request"
    return result


def keys(count: int, prefix: str = "exp") -> list[str]:
    return [f"{prefix}-{index:04d}" for index in range(count)]


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
        xledger.XLEDGER.endpoints("sandbox", settings)["graphql"],
        deadline=Deadline(5),
        headers={"Authorization": f"Bearer {WRONG_TOKEN}"},
        json={"query": xledger.PROBE_QUERY},
    )
    with pytest.raises(PermanentError) as caught:
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


def test_push_posts_each_voucher_as_balanced_lines_sharing_its_number(sandbox: Sandbox) -> None:
    batch = vouchers(*keys(3))
    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), batch)
    assert set(result.accepted) == {v.key for v in batch}
    assert result.failed == {}
    received = sandbox.state.received("xledger")
    assert len(received) == 6, "expense and counter line per claim"
    first, second = received[0], received[1]
    assert first["trRegNumber"] == second["trRegNumber"] == "AL000001"
    assert first["transactionSource"] == {"code": "GL"}
    assert (first["account"], second["account"]) == ({"code": "6800"}, {"code": "2910"})
    assert Decimal(str(first["amount"])) == Decimal("123.45")
    assert Decimal(str(second["amount"])) == Decimal("-123.45")
    assert first["currency"] == {"code": "NOK"} and first["postedDate"] == "2025-03-14"
    assert {item["yourReference"] for item in received[:2]} == {"exp-0000"}
    assert ledger(sandbox.state, "xledger")["total"] == "0.00"
    assert len(sandbox.requests("xledger")) == 1


def test_a_call_holds_at_most_500_lines_and_never_splits_a_voucher(sandbox: Sandbox) -> None:
    vat = PostingSettings(
        default_expense_account="6800",
        counter_account="2910",
        vat_registered=True,
        tax_codes={"office_supplies": "1"},
        vat_account="2710",
    )
    batch = vouchers(*keys(167), posting=vat, amount="125.00", vat="25.00")  # 501 lines

    result = XledgerAdapter(sandbox.settings()).push(xledger_config(posting=vat), batch)

    assert len(result.accepted) == 167
    calls = sandbox.requests("xledger")
    assert len(calls) == 2
    per_call = Counter(item["importBatch"] for item in sandbox.state.stored("xledger"))
    assert sorted(per_call.values()) == [3, 498], "166 whole vouchers, then the last one"
    book = ledger(sandbox.state, "xledger")
    assert book["total"] == "0.00" and book["vouchers"] == 167
    assert book["trial_balance"]["2710"] == "4175.00"


def test_preview_lines_are_the_lines_push_sends(sandbox: Sandbox) -> None:
    adapter = XledgerAdapter(sandbox.settings())
    posting = PostingSettings("6800", "2910", cost_centre_dimension="glObject1")
    [voucher] = vouchers("exp-1", posting=posting, cost_centre="200")
    adapter.push(xledger_config(posting=posting), [voucher])
    sent = [
        (i["trRegNumber"], i["account"]["code"], Decimal(i["amount"]), i.get("glObject1"))
        for i in sandbox.state.received("xledger")
    ]
    preview = [
        (p.voucher, p.account, p.amount, {"code": dict(p.dimensions)["glObject1"]})
        if p.dimensions
        else (p.voucher, p.account, p.amount, None)
        for p in adapter.payload_lines(xledger_config(posting=posting), voucher)
    ]
    assert preview == sent


def test_chart_lists_accounts_tax_rules_sources_and_gl_objects_in_one_request(
    sandbox: Sandbox,
) -> None:
    chart = XledgerAdapter(sandbox.settings()).chart(xledger_config())
    assert chart.account_name("7140") == "Reisekostnad, ikke oppgavepliktig"
    assert "7999" in {a.code for a in chart.accounts}, "listed: Xledger refuses it on posting"
    assert {"0", "1", "11", "13"} <= {t.code for t in chart.tax_codes}
    assert "GL" in {t.code for t in chart.transaction_sources}
    assert {d.code for d in chart.dimensions} >= {"glObject1", "glObject2"}
    assert {v.code for v in chart.dimension_values["glObject1"]} == {"100", "200", "300"}
    assert len(sandbox.requests("xledger")) == 1


def test_find_existing_maps_your_reference_to_db_id(sandbox: Sandbox) -> None:
    adapter = XledgerAdapter(sandbox.settings())
    pushed = adapter.push(xledger_config(), vouchers(*keys(2)))
    found = adapter.find_existing(xledger_config(), ["exp-0001", "exp-9999"])
    assert found == {"exp-0001": pushed.accepted["exp-0001"]}


def test_a_read_only_token_passes_the_test_saying_write_is_checked_at_the_first_sync(
    sandbox: Sandbox,
) -> None:
    result = run_test(sandbox, demo.XLEDGER_DEMO_READONLY_TOKEN)
    assert result.ok
    assert "Write access (posting GL import items) is checked at the first sync" in (result.message)


def test_a_read_only_token_fails_the_push_naming_the_missing_scope_before_anything_is_sent(
    sandbox: Sandbox,
) -> None:
    with pytest.raises(PermanentError) as caught:
        XledgerAdapter(sandbox.settings()).push(
            xledger_config(demo.XLEDGER_DEMO_READONLY_TOKEN), vouchers(*keys(3))
        )
    assert "GLImport:write" in str(caught.value)
    assert caught.value.nothing_sent, "the claims wait again instead of awaiting confirmation"
    assert caught.value.fields == ("api_token",)
    assert sandbox.state.stored("xledger") == []


@pytest.mark.parametrize(
    ("mode", "retry_after"),
    [("burst_limit", 5.0), ("concurrency_limit", 5.0), ("rate_limit", 2.0), ("http_500", None)],
)
def test_push_transient_failures_say_when_to_retry(
    sandbox: Sandbox, mode: str, retry_after: float | None
) -> None:
    sandbox.state.set_fault("xledger", mode, times=1, seconds=2 if mode == "rate_limit" else None)
    with pytest.raises(TransientError) as caught:
        XledgerAdapter(sandbox.settings()).push(xledger_config(), vouchers("exp-1"))
    assert caught.value.retry_after == retry_after
    assert sandbox.state.stored("xledger") == []


def test_push_out_of_credits_retries_after_reset(sandbox: Sandbox) -> None:
    sandbox.state.set_fault("xledger", "insufficient_credits", times=1, seconds=600)
    with pytest.raises(TransientError) as caught:
        XledgerAdapter(sandbox.settings()).push(xledger_config(), vouchers("exp-1"))
    assert caught.value.retry_after is not None
    assert 590 <= caught.value.retry_after <= 600


def test_push_with_unknown_token_is_permanent(sandbox: Sandbox) -> None:
    with pytest.raises(PermanentError) as caught:
        XledgerAdapter(sandbox.settings()).push(xledger_config(WRONG_TOKEN), vouchers("exp-1"))
    assert caught.value.fields == ("api_token",)
    assert_no_secret(str(caught.value))


def mixed(bad: set[int], count: int = 10) -> list[Voucher]:
    """Vouchers ``exp-0000``..; those at ``bad`` post to an account Xledger does not know."""
    return [
        build_voucher(claim(key, claim_id=i + 1, account="9999" if i in bad else ""), POSTING)
        for i, key in enumerate(keys(count))
    ]


def test_push_refuses_a_voucher_with_an_unknown_account_and_spends_one_request(
    sandbox: Sandbox,
) -> None:
    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), mixed({0}, 1))
    assert result.accepted == {}
    assert list(result.failed) == ["exp-0000"]
    assert "Unknown account 9999" in english(result.failed["exp-0000"])
    assert english(result.failed["exp-0000"]).startswith("Xledger refused this voucher")
    assert len(sandbox.requests("xledger")) == 1
    assert sandbox.state.stored("xledger") == []


@pytest.mark.parametrize("detail", ["per_line", "batch"])
def test_push_stores_the_rest_of_a_batch_with_refused_vouchers(
    sandbox: Sandbox, detail: str
) -> None:
    sandbox.state.change_settings({"xledger_refusal_detail": detail})
    batch = mixed({3, 7})

    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), batch)

    assert set(result.failed) == {"exp-0003", "exp-0007"}
    good = [v.key for v in batch if v.key not in result.failed]
    assert set(result.accepted) == set(good)
    stored = [item["yourReference"] for item in sandbox.state.stored("xledger")]
    assert sorted(set(stored)) == good and len(stored) == 2 * len(good)
    calls = len(sandbox.requests("xledger"))
    if detail == "per_line":
        assert all("Unknown account 9999" in english(why) for why in result.failed.values())
        assert calls == 2, "the refused call, then the rest once"
    else:
        assert calls <= 2 * 2 * 4 + 1, "halving finds two bad vouchers in a few calls"


def test_push_of_only_refused_vouchers_sends_nothing_more(sandbox: Sandbox) -> None:
    result = XledgerAdapter(sandbox.settings()).push(xledger_config(), mixed({0, 1}, 2))
    assert (result.accepted, set(result.failed)) == ({}, {"exp-0000", "exp-0001"})
    assert len(sandbox.requests("xledger")) == 1


def test_errors_are_classified_by_extensions_code_too() -> None:
    failure = xledger._error_failure(
        {"message": "Invalid value.", "extensions": {"code": "INVALID_VALUE"}},
        _reply(200),
        "token",
        "sandbox",
    )
    assert isinstance(failure, xledger.InvalidNodes)
    assert failure.by_index == {}


def _reply(status: int) -> HttpReply:
    return HttpReply(status, httpx.Headers(), b"{}", httpx.URL("https://x.test/graphql"), 0)


def test_invalid_input_naming_no_item_is_still_permanent_for_the_batch() -> None:
    failure = xledger._invalid_nodes(
        "BAD_REQUEST.INVALID_INPUT", "'first' must be a non-negative integer.", None
    )
    assert failure.by_index == {}
    assert isinstance(failure.push_error(), PermanentError)


def test_push_body_carries_the_token_only_in_the_header(sandbox: Sandbox) -> None:
    XledgerAdapter(sandbox.settings()).push(xledger_config(), vouchers("exp-1"))
    stored = json.dumps(sandbox.state.stored("xledger"))
    assert demo.XLEDGER_DEMO_TOKEN not in stored
