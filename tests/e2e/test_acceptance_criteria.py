"""The user story's acceptance criteria, one test each, in a real browser against the app.

The sandbox (served by the app under /sandbox) plays Xledger, Entra ID,
Business Central and the generic REST API over real HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from accountlink_ui.db import engine_for
from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.browser import (
    BF_ADMIN,
    HLF_ADMIN,
    RECENTLY,
    TEST_BUDGET_MS,
    card_fact,
    card_status,
    choose_type,
    fill_field,
    finish_posting_step,
    open_wizard,
    pick,
    run_connection_test,
    set_up_xledger,
    sign_in_to_dashboard,
    sign_out,
    submit_credentials,
)

pytestmark = pytest.mark.usefixtures("no_integrations")


def test_given_org_admin_in_settings_when_selecting_external_integrations_then_dashboard_lists_types_and_status(
    page: Page,
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    page.get_by_role("link", name="External Integrations").click()
    for type_key in ("xledger", "dynamics", "generic_rest"):
        expect(page.get_by_test_id(f"integration-{type_key}")).to_contain_text("Not configured")
    set_up_xledger(page)
    expect(page.get_by_test_id("integration-xledger")).to_contain_text("Active")
    page.get_by_test_id("integration-xledger").get_by_role("button", name="Disable").click()
    expect(page.get_by_test_id("integration-xledger")).to_contain_text("Disabled")
    expect(page.get_by_test_id("integration-dynamics")).to_contain_text("Not configured")


def test_given_add_integration_when_wizard_opens_then_xledger_dynamics_and_generic_rest_are_offered(
    page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    for label in ("Xledger", "Microsoft Dynamics 365", "Generic REST API"):
        expect(page.get_by_role("radio", name=label)).to_be_enabled()
    screenshot("wizard-step1-type-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("wizard-step1-type-390")


def test_given_xledger_when_testing_credentials_then_sandbox_validates_them_within_10_seconds(
    page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", "xl-demo-wrong-token-000")
    screenshot("wizard-step2-credentials-1280")
    submit_credentials(page)
    ok, seconds = run_connection_test(page)
    assert not ok and seconds * 1000 < TEST_BUDGET_MS
    expect(page.get_by_test_id("test-failure")).to_contain_text(re.compile("token", re.I))
    screenshot("wizard-step3-test-failed-1280")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_test_id("fault-api_token")).to_be_visible()
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    ok, seconds = run_connection_test(page)
    assert ok and seconds * 1000 < TEST_BUDGET_MS
    expect(page.get_by_test_id("test-success")).to_contain_text(demo.XLEDGER_COMPANY)
    screenshot("wizard-step3-test-passed-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("wizard-step3-test-passed-390")


def test_given_validated_credentials_when_saving_then_stored_encrypted_and_status_active(
    page: Page, app_database_url: str, app_data_dir: Path, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    assert run_connection_test(page)[0]
    page.get_by_role("button", name="Continue").click()
    screenshot("wizard-step4-confirm-1280")
    page.get_by_role("button", name="Save Integration").click()
    finish_posting_step(page, save=False)
    card = page.get_by_test_id("integration-xledger")
    expect(card).to_contain_text("Active", timeout=15_000)
    screenshot("dashboard-xledger-active-1280")
    with engine_for(app_database_url).connect() as connection:
        status, settings = connection.execute(
            text("SELECT status, settings FROM integrations WHERE type_key = 'xledger'")
        ).one()
        ciphertext = connection.execute(
            text("SELECT ciphertext FROM credential_versions")
        ).scalar_one()
    assert status == "active"
    assert demo.XLEDGER_DEMO_TOKEN not in str(settings)
    assert demo.XLEDGER_DEMO_TOKEN.encode() not in ciphertext
    for file in app_data_dir.glob("accountlink.db*"):
        assert demo.XLEDGER_DEMO_TOKEN.encode() not in file.read_bytes()


def test_given_active_integration_when_viewing_dashboard_then_last_sync_records_and_recent_errors_show(
    page: Page, app_server: str, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    set_up_xledger(page)
    card = page.get_by_test_id("integration-xledger")
    # The values, not just the labels: a card that showed "Records synced" with nothing (or
    # the wrong thing) beside it would pass a label check.
    expect(card_status(card)).to_have_text("Active")
    expect(card_fact(card, "Environment")).to_have_text("Demo (sandbox)")
    expect(card_fact(card, "Sign-in method")).to_have_text("API token")
    expect(card_fact(card, "Last test")).to_have_text(re.compile(rf"^Passed {RECENTLY}$"))
    expect(card_fact(card, "Last sync")).to_have_text("Never")
    expect(card_fact(card, "Records synced")).to_have_text("0")
    expect(card).to_contain_text("No recent errors.")
    httpx.post(
        f"{app_server}/sandbox/_control/faults",
        json={"system": "xledger", "mode": "http_500"},
        timeout=5,
    ).raise_for_status()
    card.get_by_role("button", name="Test again").click()
    expect(card.get_by_text("Recent errors")).to_be_visible(timeout=15_000)
    expect(card_fact(card, "Last test")).to_have_text(re.compile(rf"^Failed {RECENTLY}$"))
    expect(card_fact(card, "Last sync")).to_have_text("Never")
    expect(card_fact(card, "Records synced")).to_have_text("0")
    screenshot("dashboard-recent-error-1280")


def test_given_credentials_need_updating_when_editing_then_token_and_endpoint_change_in_place(
    page: Page, app_server: str, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    set_up_xledger(page)
    page.get_by_test_id("integration-xledger").get_by_role("link", name="Edit Credentials").click()
    expect(page.get_by_test_id("mask-api_token")).to_contain_text("••••")
    next_sync = wait_for_scheduled_sync(page)
    screenshot("credential-form-1280")
    pick(page, "Production")
    fill_field(page, "api_token", demo.XLEDGER_PRODUCTION_TOKEN)
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_test_id("test-success")).to_contain_text(
        "Blindeforbundet", timeout=TEST_BUDGET_MS
    )
    page.get_by_role("button", name="Save Credentials").click()
    expect(page.get_by_test_id("saved-message")).to_contain_text("version 2")
    expect(page.get_by_test_id("next-sync")).to_have_text(next_sync)
    page.reload()
    expect(page.get_by_test_id("next-sync")).to_have_text(next_sync, timeout=15_000)
    screenshot("credential-form-saved-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("credential-form-saved-390")
    log = httpx.get(f"{app_server}/sandbox/_control/requests/xledger", timeout=5).json()
    assert any(demo.XLEDGER_PRODUCTION_TOKEN in str(entry) for entry in log)


def test_a_stored_token_is_not_sent_to_another_environment_unless_typed_again(
    page: Page, app_server: str
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    set_up_xledger(page)
    page.get_by_test_id("integration-xledger").get_by_role("link", name="Edit Credentials").click()
    expect(page.get_by_test_id("mask-api_token")).to_be_visible()
    pick(page, "Production")
    page.get_by_role("button", name="Test Connection").click()

    expect(page.get_by_test_id("error-api_token")).to_have_text(
        "Type the API token again: the environment changed, and a stored secret is never "
        "sent to a new address."
    )
    expect(page.get_by_test_id("test-success")).not_to_be_visible()
    log = httpx.get(f"{app_server}/sandbox/_control/requests/xledger", timeout=5).json()
    assert [entry for entry in log if "/production/" in entry["path"]] == []


def wait_for_scheduled_sync(page: Page) -> str:
    """The scheduler gives a new integration its job within seconds; reload until shown."""
    next_sync = page.get_by_test_id("next-sync")
    for _ in range(20):
        text_now = next_sync.inner_text()
        if re.search(r"\d{2}:\d{2}", text_now):  # a time in the organization's zone
            return text_now
        page.wait_for_timeout(1_000)
        page.reload()
        expect(page.get_by_test_id("mask-api_token")).to_be_visible(timeout=15_000)
    raise AssertionError(f"no next sync time shown: {next_sync.inner_text()!r}")


def test_blank_secret_on_edit_keeps_the_stored_one(page: Page) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    set_up_xledger(page)
    page.get_by_test_id("integration-xledger").get_by_role("link", name="Edit Credentials").click()
    expect(page.get_by_test_id("mask-api_token")).to_be_visible()
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_test_id("test-success")).to_be_visible(timeout=TEST_BUDGET_MS)


def test_save_stays_disabled_until_a_passing_test_and_after_a_change(page: Page) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    expect(page.get_by_role("button", name="Continue")).to_be_disabled()
    assert run_connection_test(page)[0]
    expect(page.get_by_role("button", name="Continue")).to_be_enabled()
    page.get_by_role("button", name="Back").click()
    pick(page, "Production")
    # A token typed for the demo host is not sent to production unless typed again.
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    expect(page.get_by_role("button", name="Continue")).to_be_disabled()


def test_hang_fault_shows_a_timeout_within_10_seconds_and_the_page_stays_usable(
    page: Page, app_server: str
) -> None:
    httpx.post(
        f"{app_server}/sandbox/_control/faults",
        json={"system": "xledger", "mode": "hang", "seconds": 20},
        timeout=5,
    ).raise_for_status()
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    ok, seconds = run_connection_test(page)
    assert not ok
    assert seconds < 10.0, f"the verdict showed {seconds:.2f} s after the click"
    expect(page.get_by_test_id("test-failure")).to_contain_text(re.compile("timed out", re.I))
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_role("heading", name="Connect Xledger")).to_be_visible()


def test_hlf_admin_never_sees_blindeforbundets_integration(page: Page) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    set_up_xledger(page)
    sign_out(page)
    sign_in_to_dashboard(page, HLF_ADMIN)
    expect(page.get_by_test_id("integration-xledger")).to_contain_text("Not configured")
    expect(page.get_by_text("Blindeforbundet")).to_have_count(0)
