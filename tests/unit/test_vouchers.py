"""One claim, one balanced voucher: amounts in minor units, accounts from the settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accountlink_ui.accounting.chart import Chart, ChartEntry
from accountlink_ui.accounting.money import AmountError, to_major, to_minor
from accountlink_ui.accounting.posting_settings import (
    CATEGORIES,
    PostingSettings,
    format_voucher_number,
    from_values,
    suggested,
    validate,
    voucher_number_problem,
)
from accountlink_ui.accounting.vouchers import (
    COUNTER,
    EXPENSE,
    VAT,
    ExportRecord,
    VoucherError,
    build_voucher,
)

SETTINGS = PostingSettings(
    default_expense_account="7790",
    counter_account="2910",
    expense_accounts={"travel": "7140", "meals": "7350"},
    vat_registered=True,
    tax_codes={"travel": "13", "meals": "1"},
    vat_account="2710",
    cost_centre_dimension="glObject1",
    project_dimension="glObject2",
)


def claim(
    amount: str = "1120.00",
    vat: str | None = "120.00",
    category: str = "travel",
    **extra: object,
) -> ExportRecord:
    fields: dict[str, object] = {
        "claim_id": 42,
        "idempotency_key": "AL-1-abc",
        "posted_date": dt.date(2026, 11, 2),
        "amount": Decimal(amount),
        "currency": "NOK",
        "category": category,
        "vat_amount": None if vat is None else Decimal(vat),
        "cost_centre": "200",
        "project": None,
        "employee_number": None,
        "account_code": "",
        "description": "Togbillett Oslo S-Bergen",
        "claimant": "Kari Nordmann",
    }
    fields.update(extra)
    return ExportRecord(**fields)  # type: ignore[arg-type]


def test_a_claim_with_vat_is_expense_net_vat_and_counter_gross() -> None:
    voucher = build_voucher(claim(), SETTINGS)
    assert [(line.role, line.account, line.amount, line.tax_code) for line in voucher.lines] == [
        (EXPENSE, "7140", Decimal("1000.00"), "13"),
        (VAT, "2710", Decimal("120.00"), "13"),
        (COUNTER, "2910", Decimal("-1120.00"), ""),
    ]
    assert voucher.lines[0].dimensions == (("glObject1", "200"),)
    assert voucher.number == "AL000042"
    assert voucher.text == "Togbillett Oslo S-Bergen (Kari Nordmann)"


def test_an_organization_not_vat_registered_books_the_whole_amount_as_expense() -> None:
    settings = PostingSettings("7790", "2910", {"travel": "7140"}, tax_codes={"travel": "13"})
    voucher = build_voucher(claim(), settings)
    assert [(line.account, line.amount) for line in voucher.lines] == [
        ("7140", Decimal("1120.00")),
        ("2910", Decimal("-1120.00")),
    ]
    assert all(line.tax_code == "" for line in voucher.lines)


def test_a_category_without_its_own_account_uses_the_default_and_no_tax_code() -> None:
    voucher = build_voucher(claim(category="mileage", vat=None), SETTINGS)
    assert [line.account for line in voucher.lines] == ["7790", "2910"]


def test_the_organizations_own_account_overrides_the_category() -> None:
    voucher = build_voucher(claim(account_code="6800"), SETTINGS)
    assert voucher.lines[0].account == "6800"


@pytest.mark.parametrize(
    ("amount", "vat", "why"),
    [
        ("0.00", None, "more than zero"),
        ("-5.00", None, "more than zero"),
        ("100.00", "100.00", "less than the claim's amount"),
        ("100.00", "-1.00", "at least zero"),
        ("100.005", None, "more than two decimals"),
    ],
)
def test_a_claim_that_cannot_balance_is_refused_with_the_reason(
    amount: str, vat: str | None, why: str
) -> None:
    with pytest.raises(VoucherError, match=why):
        build_voucher(claim(amount=amount, vat=vat), SETTINGS)


def test_an_employee_counter_line_needs_the_claims_employee_number() -> None:
    settings = PostingSettings("7790", "", counter_account_type="employee")
    with pytest.raises(VoucherError, match="no employee number"):
        build_voucher(claim(), settings)
    voucher = build_voucher(claim(employee_number="E1001"), settings)
    counter = voucher.line(COUNTER)
    assert counter is not None
    assert (counter.account, counter.account_type) == ("E1001", "employee")


@given(
    gross=st.integers(min_value=1, max_value=10**11),
    vat_share=st.floats(min_value=0, max_value=0.99),
    category=st.sampled_from([c.key for c in CATEGORIES]),
)
def test_every_voucher_sums_to_zero_to_the_ore(gross: int, vat_share: float, category: str) -> None:
    vat = int(gross * vat_share) if gross > 1 else 0
    record = claim(amount=str(to_major(gross)), vat=str(to_major(vat)), category=category)
    voucher = build_voucher(record, SETTINGS)
    assert sum(line.minor for line in voucher.lines) == 0
    assert voucher.gross_minor == gross


def test_money_is_exact_minor_units() -> None:
    assert to_minor(Decimal("1234.50")) == 123450
    assert to_minor("0.1") + to_minor("0.2") == to_minor("0.3")
    assert to_major(123450) == Decimal("1234.50")
    for bad in ("1.001", "NaN", "abc", "Infinity"):
        with pytest.raises(AmountError):
            to_minor(bad)


CHART = Chart(
    accounts=(
        ChartEntry("7140", "Reise"),
        ChartEntry("7790", "Annen"),
        ChartEntry("2910", "Gjeld"),
    ),
    tax_codes=(ChartEntry("13", "Lav sats"),),
    dimensions=(ChartEntry("glObject1", "Avdeling"),),
    journals=(ChartEntry("j-1", "Utlegg", "UTLEGG"), ChartEntry("j-2", "Generell", "GENERAL")),
    transaction_sources=(ChartEntry("GL", "Hovedbok"),),
    company_id="c-1",
)


def test_settings_are_validated_against_the_chart_field_by_field() -> None:
    values = {
        "default_expense_account": "7790",
        "counter_account": "2999",
        "expense_account.travel": "7140",
        "vat_registered": "yes",
        "tax_code.travel": "99",
        "vat_account": "",
        "cost_centre_dimension": "glObject7",
        "voucher_number": "CLAIM{nr}",
        "transaction_source": "XX",
    }
    settings, errors = validate(values, "xledger", CHART)
    assert settings is None
    assert errors == {
        "counter_account": "Account 2999 is not in the chart of accounts.",
        "tax_code.travel": "Tax code 99 is not known to the ledger.",
        "vat_account": "Choose the input VAT account.",
        "cost_centre_dimension": "Dimension glObject7 is not known to the ledger.",
        "voucher_number": "Unknown placeholder {nr}: use {id}, {year} and {month}.",
        "transaction_source": "Transaction source XX is not known.",
    }


def test_business_central_needs_a_journal_from_the_company_never_a_silent_first_one() -> None:
    base = {"default_expense_account": "7790", "counter_account": "2910"}
    assert validate(base, "dynamics", CHART)[1] == {
        "journal": "Choose the journal the claims go to."
    }
    assert "journal" in validate({**base, "journal": "j-9"}, "dynamics", CHART)[1]
    settings, errors = validate({**base, "journal": "j-1"}, "dynamics", CHART)
    assert errors == {} and settings is not None
    assert (settings.journal, settings.company_id) == ("j-1", "c-1")


def test_unknown_keys_and_overlong_values_are_refused_and_nothing_is_read() -> None:
    _, errors = validate({"default_expense_account": "7790", "evil": "x"}, "xledger", CHART)
    assert errors == {"form": "Unknown field(s): evil."}
    _, errors = validate({"default_expense_account": "7" * 61}, "xledger", CHART)
    assert errors == {"default_expense_account": "At most 60 characters."}


def test_without_a_chart_typed_codes_are_taken_as_typed() -> None:
    values = {"default_expense_account": "4000", "counter_account": "2400"}
    settings, errors = validate(values, "generic_rest", Chart())
    assert errors == {} and settings is not None
    assert from_values(settings.values()) == settings


def test_suggestions_use_the_ns4102_accounts_the_chart_has() -> None:
    values = suggested("xledger", CHART)
    assert values["expense_account.travel"] == "7140"
    assert values["expense_account.meals"] == "", "7350 is not in this chart"
    assert (values["default_expense_account"], values["counter_account"]) == ("7790", "2910")
    assert values["vat_registered"] == "no", "VAT is off until the admin says otherwise"


@pytest.mark.parametrize(
    ("template", "expected"),
    [("AL{id:6}", "AL000042"), ("{year}-{id}", "2026-42"), ("R{year}{month}{id:4}", "R2026110042")],
)
def test_voucher_numbers_follow_the_template(template: str, expected: str) -> None:
    assert voucher_number_problem(template) is None
    assert format_voucher_number(template, 42, dt.date(2026, 11, 2)) == expected


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("AL", "Include {id}"),
        ("{id:x}", "must be a number"),
        ("VERY-LONG-PREFIX-{id:9}", "the most is 20"),
        ("{id", "in braces"),
    ],
)
def test_bad_voucher_number_templates_say_why(template: str, why: str) -> None:
    assert why in (voucher_number_problem(template) or "")
