"""Tripletex set up through the wizard against the sandbox: credentials, test, save."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.browser import (
    BF_ADMIN,
    TEST_BUDGET_MS,
    choose_type,
    fill_field,
    open_wizard,
    run_connection_test,
    save_integration,
    sign_in_to_dashboard,
    submit_credentials,
)

pytestmark = pytest.mark.usefixtures("no_integrations")


def test_tripletex_through_the_wizard_names_a_wrong_employee_token_then_connects(
    page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Tripletex")
    expect(page.get_by_role("radio", name="Test (api-test.tripletex.tech)")).to_be_checked()
    fill_field(page, "consumer_token", demo.TRIPLETEX_CONSUMER_TOKEN)
    fill_field(page, "employee_token", "tt-employee-wrong-9Zx8Cv7B")
    screenshot("wizard-step2-tripletex-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("wizard-step2-tripletex-390")
    page.set_viewport_size({"width": 1280, "height": 800})

    submit_credentials(page)
    ok, _ = run_connection_test(page)
    assert not ok
    expect(page.get_by_test_id("test-failure")).to_contain_text("employee token")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_test_id("fault-employee_token")).to_be_visible()
    expect(page.get_by_test_id("fault-consumer_token")).to_have_count(0)

    fill_field(page, "consumer_token", demo.TRIPLETEX_CONSUMER_TOKEN)
    fill_field(page, "employee_token", demo.TRIPLETEX_EMPLOYEE_TOKEN)
    submit_credentials(page)
    ok, seconds = run_connection_test(page)
    assert ok, page.get_by_test_id("test-failure").inner_text()
    assert seconds * 1000 < TEST_BUDGET_MS
    expect(page.get_by_test_id("test-success")).to_contain_text(demo.TRIPLETEX_COMPANY)
    save_integration(page, posting=True)
    expect(page.get_by_test_id("integration-tripletex")).to_contain_text("Active")
