"""The Posting step in the wizard, the Posting page's preview, and Sync now from it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import text

from accountlink_ui.db import engine_for
from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.browser import (
    BF_ADMIN,
    BF_MEMBER,
    HLF_ADMIN,
    axe_serious_violations,
    choose_type,
    fill_field,
    open_wizard,
    run_connection_test,
    save_integration,
    sign_in_to_dashboard,
    submit_credentials,
    unexport_all_claims,
)

pytestmark = pytest.mark.usefixtures("no_integrations")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TRAVEL = "7130"
COUNTER = "2910"
DEFAULT = "7790"


def _suggestions(page: Page, key: str) -> list[str]:
    """The codes the field's datalist offers (what the browser's dropdown lists)."""
    return page.evaluate(
        "(id) => { const input = document.getElementById(id);"
        " const list = input && input.list;"
        " return list ? Array.from(list.options).map((o) => o.value) : []; }",
        f"posting-{key}",
    )


def _pick(page: Page, key: str, code: str) -> None:
    """Type into a picker as an admin does; the code must be one the system offered."""
    offered = _suggestions(page, key)
    assert code in offered, f"{code} not offered for {key}: {offered[:10]}"
    field = _field(page, key)
    field.fill(code)
    expect(field).to_have_value(code)


def _field(page: Page, key: str) -> Locator:
    return page.locator(f'[id="posting-{key}"]')


def _preview_rows(page: Page) -> list[dict[str, str]]:
    return page.evaluate(
        "() => { const heads = Array.from(document.querySelectorAll("
        "'[data-testid=preview-table] thead th')).map((th) => th.innerText.trim());"
        " return Array.from(document.querySelectorAll('[data-testid=preview-row]')).map((tr) =>"
        " Object.fromEntries(Array.from(tr.children).map((td, i) => [heads[i], td.innerText.trim()]))); }"
    )


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "")) if text else Decimal(0)


def _set_up_xledger_to_the_posting_step(page: Page) -> None:
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    ok, _ = run_connection_test(page)
    assert ok, page.get_by_test_id("test-failure").inner_text()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save Integration").click()
    expect(page.get_by_role("heading", name="Posting", exact=True)).to_be_visible(timeout=15_000)
    expect(page.locator("#posting-default_expense_account")).to_be_visible(timeout=45_000)


def test_posting_step_then_preview_shows_balanced_vouchers_on_the_mapped_accounts_then_sync(
    page: Page, app_server: str, app_database_url: str, screenshot: Callable[..., Path]
) -> None:
    claims = unexport_all_claims(app_database_url)
    sign_in_to_dashboard(page, BF_ADMIN)
    _set_up_xledger_to_the_posting_step(page)
    expect(page.locator("[aria-current=step]")).to_contain_text("Posting")
    expect(page.get_by_test_id("posting-chart-notice")).to_have_count(0)
    violations = {"wizard posting step": axe_serious_violations(page)}

    # VAT is off by default: its tax codes appear only once the organization is registered.
    expect(page.locator("#posting-vat_registered")).to_have_value("no")
    expect(_field(page, "tax_code.travel")).to_have_count(0)
    page.locator("#posting-vat_registered").select_option("yes")
    expect(_field(page, "tax_code.travel")).to_be_visible()
    expect(page.locator("#posting-vat_account")).to_be_visible()
    page.locator("#posting-vat_registered").select_option("no")
    expect(page.locator("#posting-vat_account")).to_have_count(0)

    _pick(page, "default_expense_account", DEFAULT)
    _pick(page, "expense_account.travel", TRAVEL)
    _pick(page, "counter_account", COUNTER)
    _pick(page, "transaction_source", "GL")

    # The voucher template's example follows the typing; a bad one is refused on Save.
    template = page.locator("#posting-voucher_number")
    template.fill("EX{year}")
    expect(page.get_by_test_id("voucher-example")).to_contain_text("Include {id}")
    page.get_by_role("button", name="Save posting settings").click()
    expect(page.get_by_test_id("posting-error-voucher_number")).to_contain_text("{id}")
    expect(page.get_by_test_id("posting-saved")).to_have_count(0)
    template.fill("EX{year}-{id:5}")
    expect(page.get_by_test_id("voucher-example")).to_contain_text(
        re.compile(r"voucher EX\d{4}-00123")
    )
    expect(page.get_by_test_id("posting-error-voucher_number")).to_have_count(0)
    expect(page.get_by_test_id("posting-form-error")).to_have_count(0)
    screenshot("posting-step-1280")
    page.set_viewport_size(PHONE)
    screenshot("posting-step-390")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Save posting settings").click()
    expect(page.get_by_test_id("posting-saved")).to_contain_text("Saved as version 1")
    expect(page.get_by_role("link", name="Preview postings")).to_have_attribute(
        "href", re.compile(r"^/settings/integrations/\d+/posting#preview$")
    )
    page.get_by_role("button", name="Finish").click()

    card = page.get_by_test_id("integration-xledger")
    expect(card).to_contain_text("Active", timeout=15_000)
    card.get_by_role("link", name="Posting and preview").click()
    expect(page.get_by_test_id("posting-version")).to_contain_text("version 1", timeout=45_000)
    expect(_field(page, "expense_account.travel")).to_have_value(TRAVEL)
    page.get_by_role("button", name="Preview postings").click()
    expect(page.get_by_test_id("preview-summary")).to_have_text(
        f"Showing the first {claims} pending claims; nothing is posted.", timeout=45_000
    )
    rows = _preview_rows(page)
    assert rows, "the preview shows no voucher lines"
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        totals[row["Voucher"]][0] += _amount(row["Debit"])
        totals[row["Voucher"]][1] += _amount(row["Credit"])
    assert len(totals) == claims
    assert all(v.startswith("EX") for v in totals)
    assert {v: d - c for v, (d, c) in totals.items() if d != c} == {}
    credited = {row["Account"].split()[0] for row in rows if row["Credit"]}
    debited = {row["Account"].split()[0] for row in rows if row["Debit"]}
    assert credited == {COUNTER}
    assert TRAVEL in debited
    assert debited <= {TRAVEL, DEFAULT, *_stored_category_accounts(page)}
    expect(page.get_by_test_id("preview-problems")).to_have_count(0)
    violations["posting page with preview"] = axe_serious_violations(page)
    _scroll_to_top_of(page, "preview")
    screenshot("posting-preview-1280", full_page=False)
    page.set_viewport_size(PHONE)
    _scroll_to_top_of(page, "preview")
    screenshot("posting-preview-390", full_page=False)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_test_id("sync-notice")).to_contain_text(
        f"Sync finished: {claims} claims sent", timeout=60_000
    )
    received = httpx.get(f"{app_server}/sandbox/_control/received/xledger", timeout=5).json()
    assert len({item.get("yourReference") for item in received}) == claims
    page.get_by_role("button", name="Preview postings").click()
    expect(page.get_by_test_id("preview-summary")).to_contain_text("No claims are waiting")
    assert {where: v for where, v in violations.items() if v} == {}


def _scroll_to_top_of(page: Page, element_id: str) -> None:
    page.evaluate(
        "(id) => document.getElementById(id).scrollIntoView({block: 'start'})", element_id
    )


def _stored_category_accounts(page: Page) -> set[str]:
    return set(
        page.evaluate(
            "() => Array.from(document.querySelectorAll('input[id^=\"posting-expense_account.\"]'))"
            ".map((e) => e.value).filter((v) => v)"
        )
    )


def test_when_the_lists_cannot_be_read_the_page_says_so_and_typed_codes_still_save(
    page: Page, app_server: str
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    assert run_connection_test(page)[0]
    save_integration(page, posting=True)
    page.get_by_test_id("integration-xledger").get_by_role(
        "link", name="Posting and preview"
    ).click()
    expect(page.get_by_test_id("posting-version")).to_contain_text("version 1", timeout=45_000)
    httpx.post(
        f"{app_server}/sandbox/_control/faults",
        json={"system": "xledger", "mode": "http_500", "times": 1},
        timeout=5,
    ).raise_for_status()
    page.get_by_role("button", name="Read the lists again").click()
    expect(page.get_by_test_id("posting-chart-notice")).to_contain_text(
        "Type the codes instead", timeout=45_000
    )
    assert _suggestions(page, "default_expense_account") == []
    _field(page, "expense_account.travel").fill(TRAVEL)
    page.get_by_role("button", name="Save posting settings").click()
    expect(page.get_by_test_id("posting-saved")).to_contain_text("Saved as version 2")
    page.reload()
    expect(_field(page, "expense_account.travel")).to_have_value(TRAVEL, timeout=45_000)


def test_business_central_step_asks_for_a_journal_then_previews_balancing_lines(
    page: Page, app_database_url: str
) -> None:
    sign_in_to_dashboard(page, HLF_ADMIN)
    open_wizard(page)
    choose_type(page, "Microsoft Dynamics 365")
    fill_field(page, "tenant_id", demo.ENTRA_TENANT_DOMAIN)
    fill_field(page, "client_id", demo.ENTRA_CLIENT_ID)
    fill_field(page, "bc_environment", demo.BC_ENVIRONMENT)
    fill_field(page, "client_secret", demo.ENTRA_CLIENT_SECRET)
    submit_credentials(page)
    assert run_connection_test(page)[0]
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save Integration").click()
    journal = _field(page, "journal")
    expect(journal).to_be_visible(timeout=45_000)
    # Two journals in the company: none is chosen for the admin.
    expect(journal).to_have_value("")
    expect(_field(page, "counter_account_type")).to_have_value("gl_account")
    expect(_field(page, "counter_line")).to_have_value("balancing")
    expect(_field(page, "transaction_source")).to_have_count(0)
    page.get_by_role("button", name="Save posting settings").click()
    expect(page.get_by_test_id("posting-error-journal")).to_contain_text("Choose the journal")
    journal.select_option(label=f"{demo.BC_EXPENSE_JOURNAL_CODE} — Utlegg fra ansatte")
    page.get_by_role("button", name="Save posting settings").click()
    expect(page.get_by_test_id("posting-saved")).to_contain_text("Saved as version 1")
    page.get_by_role("button", name="Finish").click()

    page.get_by_test_id("integration-dynamics").get_by_role(
        "link", name="Posting and preview"
    ).click()
    expect(_field(page, "journal")).to_have_value(demo.BC_EXPENSE_JOURNAL_ID, timeout=45_000)
    page.get_by_role("button", name="Preview postings").click()
    expect(page.get_by_test_id("preview-summary")).to_contain_text("nothing is posted")
    rows = _preview_rows(page)
    assert rows
    assert {row["Balancing account"].split()[0] for row in rows} == {COUNTER}
    assert all(row["Debit"] and not row["Credit"] for row in rows)


def test_a_member_is_refused_the_posting_page(
    page: Page, browser: Browser, app_server: str, app_database_url: str
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    assert run_connection_test(page)[0]
    save_integration(page)
    with engine_for(app_database_url).connect() as connection:
        integration_id = connection.execute(
            text("SELECT id FROM integrations WHERE type_key = 'xledger'")
        ).scalar_one()
    context = browser.new_context(viewport=DESKTOP, base_url=app_server)
    try:
        member = context.new_page()
        sign_in_to_dashboard(member, BF_MEMBER)
        member.goto(f"/settings/integrations/{integration_id}/posting")
        expect(member.get_by_role("alert")).to_contain_text("admin", timeout=15_000)
        expect(member.locator("#posting-default_expense_account")).to_have_count(0)
    finally:
        context.close()
