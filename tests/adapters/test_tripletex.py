"""The Tripletex adapter against the sandbox over loopback HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.i18n.compat import english
from accountlink_ui.integrations.contracts import (
    ConnectionConfig,
    ConnectionResult,
    PermanentError,
    TransientError,
)
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.tripletex import TripletexAdapter
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.ledger import ledger
from accountlink_ui.sandbox.tripletex import expire_sessions, refuse_sessions
from tests.support.sandbox import Sandbox
from tests.support.secrets import assert_no_secret
from tests.support.vouchers import config, vouchers

POSTING = PostingSettings(default_expense_account="6800", counter_account="2910")
WITH_VAT = PostingSettings(
    default_expense_account="6800",
    counter_account="2910",
    vat_registered=True,
    tax_codes={"office_supplies": "1"},
    vat_account="2710",
)


def tripletex_config(
    employee: str = demo.TRIPLETEX_EMPLOYEE_TOKEN,
    consumer: str = demo.TRIPLETEX_CONSUMER_TOKEN,
    environment: str = "sandbox",
    posting: PostingSettings = POSTING,
) -> ConnectionConfig:
    return config(
        "tripletex",
        "session_token",
        {},
        {"consumer_token": consumer, "employee_token": employee},
        environment=environment,
        posting=posting,
    )


def run_test(sandbox: Sandbox, cfg: ConnectionConfig) -> ConnectionResult:
    result = TripletexAdapter(sandbox.settings()).test_connection(cfg, Deadline(10))
    assert_no_secret(result.message)
    return result


def paths(sandbox: Sandbox) -> list[str]:
    return [entry["path"].split("/v2", 1)[1] for entry in sandbox.requests("tripletex")]


def test_connection_test_names_the_company_reached(sandbox: Sandbox) -> None:
    result = run_test(sandbox, tripletex_config())
    assert result.ok, result.message
    assert result.reached == demo.TRIPLETEX_COMPANY
    assert "test environment" in result.message
    assert paths(sandbox) == ["/token/session/:create", "/token/session/>whoAmI"]


def test_production_reaches_the_production_company(sandbox: Sandbox) -> None:
    cfg = tripletex_config(demo.TRIPLETEX_PRODUCTION_EMPLOYEE_TOKEN, environment="production")
    result = run_test(sandbox, cfg)
    assert result.ok, result.message
    assert result.reached == demo.TRIPLETEX_PRODUCTION_COMPANY


def test_a_wrong_employee_token_names_that_field(sandbox: Sandbox) -> None:
    result = run_test(sandbox, tripletex_config("tt-employee-wrong-9Zx8Cv7B"))
    assert not result.ok
    assert result.fields == ("employee_token",)
    assert "employee token" in result.message and "consumer token" not in result.message
    assert "requestId" in result.message  # Tripletex's own reference, for its support


def test_a_test_token_does_not_open_production(sandbox: Sandbox) -> None:
    result = run_test(sandbox, tripletex_config(environment="production"))
    assert not result.ok
    assert result.fields == ("employee_token",)


def test_a_wrong_consumer_token_names_that_field(sandbox: Sandbox) -> None:
    result = run_test(sandbox, tripletex_config(consumer="tt-consumer-wrong-1Qa2Ws3E"))
    assert not result.ok
    assert result.fields == ("consumer_token",)


def test_a_blank_token_is_named_without_a_request(sandbox: Sandbox) -> None:
    result = run_test(sandbox, tripletex_config(employee=" "))
    assert result.fields == ("employee_token",)
    assert sandbox.requests("tripletex") == []


def test_push_books_balanced_vouchers_by_account_id(sandbox: Sandbox) -> None:
    adapter = TripletexAdapter(sandbox.settings())
    result = adapter.push(tripletex_config(), vouchers("k-1", "k-2", "k-3"))
    assert set(result.accepted) == {"k-1", "k-2", "k-3"} and not result.failed
    stored = sandbox.state.stored("tripletex")
    assert [v["externalVoucherNumber"] for v in stored] == ["k-1", "k-2", "k-3"]
    assert all([p["row"] for p in v["postings"]] == [1, 2] for v in stored)
    book = ledger(sandbox.state, "tripletex")
    assert book["total"] == "0.00" and book["vouchers"] == 3
    assert book["trial_balance"] == {"2910": "-370.35", "6800": "370.35"}
    # one session, one lookup of the account ids, then one POST per voucher
    assert paths(sandbox).count("/token/session/:create") == 1
    assert paths(sandbox).count("/ledger/account") == 1


def test_vat_is_posted_as_a_gross_amount_with_its_vat_type(sandbox: Sandbox) -> None:
    adapter = TripletexAdapter(sandbox.settings())
    cfg = tripletex_config(posting=WITH_VAT)
    result = adapter.push(cfg, vouchers("v-1", posting=WITH_VAT, amount="125.00", vat="25.00"))
    assert set(result.accepted) == {"v-1"}
    (voucher,) = sandbox.state.stored("tripletex")
    assert voucher["postings"][0] == {
        "row": 1,
        "account": "6800",
        "amountGross": "125.0",
        "vatType": "1",
        "description": "Train ticket (Kari Nordmann)",
    }
    book = ledger(sandbox.state, "tripletex")
    assert book["trial_balance"] == {"2710": "25.00", "2910": "-125.00", "6800": "100.00"}
    lines = adapter.payload_lines(cfg, vouchers("v-1", posting=WITH_VAT, vat="24.69")[0])
    assert [(line.account, line.amount, line.tax_code) for line in lines] == [
        ("6800", Decimal("123.45"), "1"),
        ("2910", Decimal("-123.45"), ""),
    ]


def test_an_unknown_account_fails_only_its_voucher(sandbox: Sandbox) -> None:
    adapter = TripletexAdapter(sandbox.settings())
    good = vouchers("ok-1")
    bad = vouchers("bad-1", account="4999")
    result = adapter.push(tripletex_config(), [*good, *bad])
    assert set(result.accepted) == {"ok-1"}
    assert "no account 4999" in english(result.failed["bad-1"])


def test_an_unbalanced_voucher_is_refused_with_tripletex_words(sandbox: Sandbox) -> None:
    """What the sandbox refuses, straight from the wire (the adapter never sends one)."""
    adapter = TripletexAdapter(sandbox.settings())
    cfg = tripletex_config()
    reply = adapter._request(
        cfg,
        "POST",
        "/ledger/voucher",
        Deadline(5),
        json={
            "date": "2025-03-14",
            "postings": [
                {"row": 1, "account": {"id": 3_000_004}, "amountGross": 100.0},
                {"row": 2, "account": {"id": 3_000_003}, "amountGross": -99.0},
            ],
        },
    )
    assert reply.status_code == 422
    body = reply.json()
    assert body["requestId"] and body["validationMessages"][0]["field"] == "postings"
    assert sandbox.state.stored("tripletex") == []


def test_an_expired_session_token_is_renewed_once(sandbox: Sandbox) -> None:
    adapter = TripletexAdapter(sandbox.settings())
    cfg = tripletex_config()
    assert adapter.push(cfg, vouchers("s-1")).accepted
    expire_sessions(sandbox.state)

    result = adapter.push(cfg, vouchers("s-2", "s-3"))

    assert set(result.accepted) == {"s-2", "s-3"}
    assert paths(sandbox).count("/token/session/:create") == 2  # the first, and one renewal
    statuses = [e["status"] for e in sandbox.requests("tripletex")]
    assert statuses.count(401) == 1


def test_a_session_refused_again_after_renewal_names_the_employee_token(
    sandbox: Sandbox,
) -> None:
    adapter = TripletexAdapter(sandbox.settings())
    cfg = tripletex_config()
    assert adapter.push(cfg, vouchers("r-1")).accepted
    refuse_sessions(sandbox.state)
    expire_sessions(sandbox.state)

    with pytest.raises(PermanentError) as refused:
        adapter.push(cfg, vouchers("r-2"))

    assert refused.value.fields == ("employee_token",)
    assert refused.value.nothing_sent  # nothing of the batch can have been stored
    assert paths(sandbox).count("/token/session/:create") == 2  # renewed once, not in a loop
    assert len(sandbox.state.stored("tripletex")) == 1


def test_find_existing_finds_vouchers_by_external_number(sandbox: Sandbox) -> None:
    adapter = TripletexAdapter(sandbox.settings())
    cfg = tripletex_config()
    pushed = adapter.push(cfg, vouchers("f-1", "f-2"))
    found = adapter.find_existing(cfg, ["f-1", "f-2", "never-sent"])
    assert found == pushed.accepted


def test_an_outage_is_transient_and_a_lost_session_stops_nothing_sent(sandbox: Sandbox) -> None:
    adapter = TripletexAdapter(sandbox.settings())
    cfg = tripletex_config()
    sandbox.state.set_fault("tripletex", "http_500", times=1, after=1)  # after the lookup
    with pytest.raises(TransientError, match="HTTP 500"):
        adapter.push(cfg, vouchers("o-1"))
    with pytest.raises(PermanentError) as refused:
        adapter.push(tripletex_config("tt-employee-wrong-9Zx8Cv7B"), vouchers("o-2"))
    assert refused.value.nothing_sent and refused.value.fields == ("employee_token",)


def test_chart_lists_accounts_and_vat_types(sandbox: Sandbox) -> None:
    chart = TripletexAdapter(sandbox.settings()).chart(tripletex_config())
    accounts = {entry.code for entry in chart.accounts}
    assert {"6800", "2910", "2710"} <= accounts and "7999" not in accounts  # 7999 is blocked
    assert {entry.code for entry in chart.tax_codes} == {"0", "1", "11", "13"}
