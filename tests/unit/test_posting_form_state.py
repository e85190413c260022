"""The Posting form's state helpers: what a browser event may set, and what the page shows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accountlink_ui.accounting.chart import ChartEntry
from accountlink_ui.accounting.posting_settings import FIELD_KEYS, MAX_FIELD
from accountlink_ui.services.posting_service import PostingPreview, PreviewRow
from accountlink_ui.ui.states.posting import (
    ACCOUNTS_LIST,
    accepted_value,
    chart_options,
    counter_fields,
    expense_fields,
    journal_options,
    preview_lines,
    vat_fields,
    voucher_example,
    voucher_fields,
)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("company_id", "someone-elses-company"),
        ("__class__", "x"),
        ("default_expense_account ", "7790"),
        (["default_expense_account"], "7790"),
        ("default_expense_account", {"nested": "7790"}),
        ("default_expense_account", 7790),
        ("default_expense_account", None),
    ],
)
def test_a_forged_event_with_an_unknown_key_or_a_non_text_value_is_ignored(
    key: object, value: object
) -> None:
    assert accepted_value(key, value) is None


def test_every_form_key_is_accepted_and_each_value_is_cut_to_the_field_limit() -> None:
    for key in FIELD_KEYS:
        assert accepted_value(key, "7140") == (key, "7140")
    accepted = accepted_value("counter_account", "9" * 10_000)
    assert accepted is not None
    assert accepted[1] == "9" * MAX_FIELD


def test_chart_entries_are_offered_by_code_and_searchable_by_name() -> None:
    options = chart_options((ChartEntry("7140", "Reisekostnad"), ChartEntry("GENERAL", "", "GJ")))
    assert [(o.value, o.label) for o in options] == [
        ("7140", "7140 — Reisekostnad"),
        ("GENERAL", "GENERAL — GJ"),
    ]


def test_expense_fields_offer_the_account_list_with_the_default_then_one_per_category() -> None:
    fields = expense_fields(
        {"default_expense_account": "7790"}, {"expense_account.travel": "Bad"}, True
    )
    assert fields[0].key == "default_expense_account"
    assert {f.list_id for f in fields} == {ACCOUNTS_LIST}
    travel = next(f for f in fields if f.key == "expense_account.travel")
    assert travel.error == "Bad"
    assert travel.placeholder == "Default (7790)"


def test_tax_codes_and_the_vat_account_show_only_when_registered_for_vat() -> None:
    off = vat_fields("xledger", {"vat_registered": "no"}, {}, False)
    on = vat_fields("xledger", {"vat_registered": "yes"}, {}, False)
    assert [f.key for f in off] == ["vat_registered"]
    assert off[0].value == "no"
    assert "vat_account" in {f.key for f in on}
    assert {f.key for f in on} >= {"tax_code.travel", "tax_code.other"}


def test_business_central_asks_for_the_balancing_type_and_hides_the_account_for_employees() -> None:
    gl = [
        f.key for f in counter_fields("dynamics", {"counter_account_type": "gl_account"}, {}, True)
    ]
    employee = [
        f.key for f in counter_fields("dynamics", {"counter_account_type": "employee"}, {}, True)
    ]
    xledger = [f.key for f in counter_fields("xledger", {}, {}, True)]
    assert gl == ["counter_account_type", "counter_account", "counter_line"]
    assert employee == ["counter_account_type", "counter_line"]
    assert xledger == ["counter_account"]


def test_a_listed_journal_is_a_select_with_no_journal_chosen_silently() -> None:
    journals = journal_options(
        (ChartEntry("j-1", "General", "GENERAL"), ChartEntry("7b1d-guid", "Utlegg", "UTLEGG"))
    )
    assert [(o.value, o.label) for o in journals][1] == ("7b1d-guid", "UTLEGG — Utlegg")
    field = next(f for f in voucher_fields("dynamics", {}, {}, journals) if f.key == "journal")
    assert field.kind == "select"
    assert field.value == ""
    assert field.options[0].value == ""
    typed = next(f for f in voucher_fields("dynamics", {}, {}, []) if f.key == "journal")
    assert typed.kind == "text"
    assert "transaction_source" in {f.key for f in voucher_fields("xledger", {}, {}, [])}


def test_the_voucher_example_follows_the_template_or_says_what_is_wrong() -> None:
    assert voucher_example("EX{year}-{id:5}", date(2026, 3, 14)) == (
        "Example: claim 123 becomes voucher EX2026-00123."
    )
    assert "Include {id}" in voucher_example("EX{year}", date(2026, 3, 14))


def _row(voucher: str, account: str, amount: str, name: str = "") -> PreviewRow:
    return PreviewRow(
        claim_id=1,
        claimant="Kari",
        voucher=voucher,
        account=account,
        account_name=name,
        amount=Decimal(amount),
        balancing_account="",
        balancing_name="",
        tax_code="",
        tax_name="",
        dimensions="",
        text="Taxi",
    )


def test_preview_lines_put_positive_amounts_in_debit_and_negative_ones_in_credit() -> None:
    preview = PostingPreview(
        rows=(_row("AL1", "7140", "1250.50", "Travel"), _row("AL1", "2910", "-1250.50")),
        problems=(),
        claims=1,
    )
    lines = preview_lines(preview)
    assert [(x.account, x.debit, x.credit) for x in lines] == [
        ("7140 Travel", "1,250.50", ""),
        ("2910", "", "1,250.50"),
    ]
