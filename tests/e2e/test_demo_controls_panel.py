"""Demo controls: the product team switches a sandbox fault in the app and the wizard's next
Test Connection meets it; members are refused the panel."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.browser import (
    BF_ADMIN,
    BF_MEMBER,
    axe_serious_violations,
    choose_type,
    fill_field,
    open_wizard,
    run_connection_test,
    sign_in_to_dashboard,
    submit_credentials,
)


def open_demo_controls(page: Page) -> None:
    page.get_by_role("link", name="Demo controls").click()
    expect(page.get_by_role("heading", name="Demo controls")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("demo-fault-xledger")).to_be_visible()


def test_a_fault_switched_in_the_panel_shows_in_the_next_test_connection(
    page: Page, app_server: str, no_integrations: None, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_demo_controls(page)
    row = page.get_by_test_id("demo-fault-xledger")
    expect(row).to_contain_text("Normal")
    row.get_by_label("Fault for Xledger").select_option("http_500")
    row.get_by_role("button", name="Switch").click()
    expect(row).to_contain_text("500 Internal Server Error")
    expect(page.get_by_test_id("demo-notice")).to_contain_text("Xledger")
    armed = httpx.get(f"{app_server}/sandbox/_control/faults", timeout=5).json()["faults"]
    assert armed["xledger"]["mode"] == "http_500"
    screenshot("demo-controls-fault-on-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("demo-controls-fault-on-390")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("link", name="External Integrations").click()
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    ok, _ = run_connection_test(page)
    assert not ok
    expect(page.get_by_test_id("test-failure")).to_contain_text(
        re.compile(r"server error \(HTTP 500\)")
    )

    # Switched off in the panel, the same test passes again.
    page.goto("/settings/demo")
    row = page.get_by_test_id("demo-fault-xledger")
    expect(row).to_contain_text("500 Internal Server Error", timeout=15_000)
    row.get_by_label("Fault for Xledger").select_option("off")
    row.get_by_role("button", name="Switch").click()
    expect(row).to_contain_text("Normal")
    assert httpx.get(f"{app_server}/sandbox/_control/faults", timeout=5).json()["faults"] == {}


def test_add_claims_and_reset_from_the_panel(
    page: Page, no_integrations: None, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_demo_controls(page)
    page.mouse.move(1, 1)  # off the link just clicked: axe judges hover colours as if at rest
    assert axe_serious_violations(page) == []
    waiting = page.get_by_test_id("demo-waiting-claims")
    before = int(re.match(r"\d+", waiting.inner_text()).group())  # type: ignore[union-attr]
    page.get_by_role("button", name="Add 5 approved claims").click()
    expect(waiting).to_contain_text(f"{before + 5} approved claim")
    page.get_by_role("button", name="Reset the demo").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Reset").click()
    expect(page.get_by_test_id("demo-notice")).to_contain_text("Demo reset")
    screenshot("demo-controls-reset-1280")


def test_a_member_is_refused_the_demo_controls(page: Page) -> None:
    sign_in_to_dashboard(page, BF_MEMBER)
    page.goto("/settings/demo")
    expect(page.get_by_role("alert")).to_contain_text("Only organization admins", timeout=15_000)
    expect(page.get_by_test_id("demo-fault-xledger")).to_have_count(0)
