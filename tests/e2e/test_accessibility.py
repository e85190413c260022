"""Accessibility: axe-core finds no serious or critical violations; the wizard works by keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.browser import (
    BF_ADMIN,
    axe_serious_violations,
    choose_type,
    fill_field,
    open_wizard,
    run_connection_test,
    sign_in_to_dashboard,
    submit_credentials,
)

# Both tests add Xledger to the Blindeforbundet organization: each starts from none.
pytestmark = pytest.mark.usefixtures("no_integrations")


def test_dashboard_wizard_steps_and_credential_form_have_no_serious_violations(page: Page) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    found = {"dashboard (empty)": axe_serious_violations(page)}
    open_wizard(page)
    found["wizard step 1"] = axe_serious_violations(page)
    choose_type(page, "Xledger")
    found["wizard step 2"] = axe_serious_violations(page)
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    assert run_connection_test(page)[0]
    found["wizard step 3"] = axe_serious_violations(page)
    page.get_by_role("button", name="Continue").click()
    found["wizard step 4"] = axe_serious_violations(page)
    page.get_by_role("button", name="Save Integration").click()
    expect(page.locator("#posting-default_expense_account")).to_be_visible(timeout=45_000)
    found["wizard step 5 (posting)"] = axe_serious_violations(page)
    page.get_by_role("button", name="Skip for now").click()
    expect(page.get_by_test_id("integration-xledger")).to_contain_text("Active", timeout=15_000)
    found["dashboard (configured)"] = axe_serious_violations(page)
    page.get_by_test_id("integration-xledger").get_by_role("link", name="Edit Credentials").click()
    expect(page.get_by_test_id("mask-api_token")).to_be_visible(timeout=15_000)
    found["credential form"] = axe_serious_violations(page)
    assert {where: v for where, v in found.items() if v} == {}


def test_the_wizard_can_be_completed_with_the_keyboard_alone(page: Page) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    add = page.get_by_role("link", name="Add Integration")
    add.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Which accounting system?")).to_be_visible(
        timeout=15_000
    )
    page.get_by_role("radio", name="Xledger").focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Xledger")).to_be_checked()
    _tab_to(page, "Continue")
    page.keyboard.press("Enter")
    _tab_to(page, "API token (required)")
    page.keyboard.type(demo.XLEDGER_DEMO_TOKEN)
    page.keyboard.press("Enter")  # submits the credentials form
    expect(page.get_by_role("heading", name="Test the connection")).to_be_visible()
    _tab_to(page, "Test Connection")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("test-success")).to_be_visible(timeout=11_000)
    _tab_to(page, "Continue")
    page.keyboard.press("Enter")
    _tab_to(page, "Save Integration")
    page.keyboard.press("Enter")
    expect(page.locator("#posting-default_expense_account")).to_be_visible(timeout=45_000)
    _tab_to(page, "Skip for now", limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("integration-xledger")).to_contain_text("Active", timeout=15_000)


def _tab_to(page: Page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused element's accessible name starts with ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " const label = e.labels && e.labels[0] ? e.labels[0].innerText : '';"
            " return (e.getAttribute('aria-label') || label || e.innerText || '').trim(); }"
        )
        if focused.startswith(name):
            return
    raise AssertionError(f"Tab never reached '{name}'")
