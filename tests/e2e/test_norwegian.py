"""Norsk bokmål: the seed's acceptance flow by visible Norwegian labels, then English.

The browser prefers Norwegian (``Accept-Language: nb-NO``), so the demo opens in
Norwegian; the header's switch turns the same page English without a reload and without
losing what the page holds (a passed connection test, a typed name). axe-core checks the
Norwegian dashboard, every wizard step and the credential form on the way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accountlink_ui.demo import DEMO_PASSWORD
from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.browser import BF_ADMIN, TEST_BUDGET_MS, VIEWPORT, axe_serious_violations

pytestmark = pytest.mark.usefixtures("no_integrations")


@pytest.fixture
def nb_page(browser: Browser, app_server: str) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=app_server, locale="nb-NO")
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def _switch(page: Page, language: str) -> None:
    page.get_by_role("button", name=language, exact=True).click()


def test_the_acceptance_flow_in_norwegian_then_the_same_page_in_english(
    nb_page: Page, screenshot: Callable[..., Path]
) -> None:
    page = nb_page
    shot = lambda name: screenshot(name, target=page)  # noqa: E731
    found: dict[str, list[str]] = {}

    page.goto("/login")
    page.get_by_label("E-post").fill(BF_ADMIN)
    page.get_by_label("Passord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", name="Eksterne integrasjoner")).to_be_visible(timeout=15_000)
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page).to_have_title("Eksterne integrasjoner · AccountLink")
    expect(page.get_by_test_id("integration-xledger")).to_contain_text("Ikke konfigurert")
    found["dashboard"] = axe_serious_violations(page)
    shot("nb-dashboard-empty-1280")

    page.get_by_role("link", name="Legg til integrasjon").click()
    expect(page.get_by_role("heading", name="Hvilket regnskapssystem?")).to_be_visible(
        timeout=15_000
    )
    found["wizard step 1"] = axe_serious_violations(page)
    shot("nb-wizard-step1-type-1280")
    page.get_by_role("radio", name="Xledger").click()
    expect(page.get_by_role("radio", name="Xledger")).to_be_checked()
    page.get_by_role("button", name="Fortsett").click()

    expect(page.get_by_role("heading", name="Koble til Xledger")).to_be_visible()
    page.locator("#field-display_name").fill("Hovedbok BF")
    page.locator("#field-api_token").fill(demo.XLEDGER_DEMO_TOKEN)
    found["wizard step 2"] = axe_serious_violations(page)
    shot("nb-wizard-step2-credentials-1280")
    page.get_by_role("button", name="Fortsett").click()

    expect(page.get_by_role("heading", name="Test tilkoblingen")).to_be_visible()
    page.get_by_role("button", name="Test tilkobling").click()
    expect(page.get_by_test_id("test-success")).to_be_visible(timeout=TEST_BUDGET_MS)
    expect(page.get_by_test_id("test-success")).to_contain_text("Svarte på")
    found["wizard step 3"] = axe_serious_violations(page)
    shot("nb-wizard-step3-test-passed-1280")
    page.get_by_role("button", name="Fortsett").click()

    expect(page.get_by_role("heading", name="Bekreft og lagre")).to_be_visible()
    found["wizard step 4"] = axe_serious_violations(page)
    shot("nb-wizard-step4-confirm-1280")
    page.get_by_role("button", name="Lagre", exact=True).click()

    expect(page.get_by_role("heading", name="Postering", exact=True)).to_be_visible(timeout=15_000)
    expect(page.locator("#posting-default_expense_account")).to_be_visible(timeout=45_000)
    expect(page.get_by_role("heading", name="Kostnadskontoer")).to_be_visible()
    expect(page.get_by_role("heading", name="Motkonto", exact=True)).to_be_visible()
    found["wizard step 5 (posting)"] = axe_serious_violations(page)
    shot("nb-wizard-step5-posting-1280")
    page.get_by_role("button", name="Lagre posteringsinnstillinger").click()
    expect(page.get_by_test_id("posting-saved")).to_contain_text("Lagret som versjon 1")
    page.get_by_role("button", name="Fullfør").click()

    card = page.get_by_test_id("integration-xledger")
    expect(card).to_contain_text("Aktiv", timeout=15_000)
    expect(card).to_contain_text("Hovedbok BF")
    expect(card).to_contain_text(re.compile(r"Bestått \d+\. \w+\.? \d{4} kl\. \d{2}:\d{2} CES?T"))
    found["dashboard (configured)"] = axe_serious_violations(page)
    shot("nb-dashboard-active-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot("nb-dashboard-active-390")
    page.set_viewport_size(VIEWPORT)

    card.get_by_role("link", name="Rediger legitimasjon").click()
    expect(page.get_by_role("heading", name="Rediger legitimasjon: Xledger")).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_test_id("mask-api_token")).to_be_visible()
    found["credential form"] = axe_serious_violations(page)
    page.get_by_role("button", name="Test tilkobling").click()
    expect(page.get_by_test_id("test-success")).to_be_visible(timeout=TEST_BUDGET_MS)
    shot("nb-credential-form-tested-1280")

    # The same page in English: no reload, and the passed test still allows saving.
    page.evaluate("window.__sameDocument = true")
    _switch(page, "English")
    expect(page.get_by_role("heading", name="Edit Credentials: Xledger")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Edit Credentials · AccountLink")
    expect(page.get_by_test_id("test-success")).to_contain_text("Answered in")
    expect(page.get_by_test_id("mask-api_token")).to_contain_text("Stored:")
    assert page.evaluate("window.__sameDocument") is True
    save = page.get_by_role("button", name="Save Credentials")
    expect(save).to_be_enabled()
    save.click()
    expect(page.get_by_test_id("saved-message")).to_contain_text("Saved as credential version 2")

    # The choice was saved for the person: a new page load stays English.
    page.goto("/settings/integrations")
    expect(page.get_by_role("heading", name="External Integrations")).to_be_visible(timeout=15_000)
    assert {where: v for where, v in found.items() if v} == {}


def test_switching_language_in_the_wizard_keeps_what_was_typed(nb_page: Page) -> None:
    page = nb_page
    page.goto("/login")
    page.get_by_label("E-post").fill(BF_ADMIN)
    page.get_by_label("Passord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.get_by_role("link", name="Legg til integrasjon").click()
    page.get_by_role("radio", name="Xledger").click()
    expect(page.get_by_role("radio", name="Xledger")).to_be_checked()
    page.get_by_role("button", name="Fortsett").click()
    page.locator("#field-display_name").fill("Hovedbok BF")
    page.locator("#field-display_name").blur()
    _switch(page, "English")
    expect(page.get_by_role("heading", name="Connect Xledger")).to_be_visible()
    expect(page.locator("#field-display_name")).to_have_value("Hovedbok BF")
    expect(page.get_by_text("Name (optional)")).to_be_visible()
    _switch(page, "Norsk")
    expect(page.get_by_role("heading", name="Koble til Xledger")).to_be_visible()
    expect(page.locator("#field-display_name")).to_have_value("Hovedbok BF")
