"""Foundation, end to end: sign-in, the dashboard's first state, and who may see it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accountlink_ui.ui.states.session import REFLEX_TOKEN_KEY
from tests.support.browser import BF_ADMIN, BF_MEMBER, sign_in, sign_in_to_dashboard

pytestmark = pytest.mark.usefixtures("no_integrations")

TYPES = ("xledger", "dynamics", "generic_rest")


def test_admin_signs_in_and_sees_three_types_not_configured(
    page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    expect(page).to_have_url(re.compile(r"/settings/integrations/?$"))
    for type_key, label in zip(
        TYPES, ("Xledger", "Microsoft Dynamics 365", "Generic REST API"), strict=True
    ):
        card = page.get_by_test_id(f"integration-{type_key}")
        expect(card.get_by_role("heading", name=label)).to_be_visible()
        expect(card.get_by_text("Not configured")).to_be_visible()
    expect(page.get_by_text("Blindeforbundet")).to_be_visible()
    screenshot("dashboard-empty-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("dashboard-empty-390")


def test_member_is_refused_with_a_clear_message(page: Page) -> None:
    sign_in_to_dashboard(page, BF_MEMBER)
    expect(page.get_by_role("alert")).to_contain_text("Only organization admins")
    expect(page.get_by_test_id("integration-xledger")).to_have_count(0)
    expect(page.get_by_role("link", name="Add Integration")).to_have_count(0)


def test_member_cannot_open_the_wizard_by_url(page: Page) -> None:
    sign_in_to_dashboard(page, BF_MEMBER)
    page.goto("/settings/integrations/new")
    expect(page.get_by_role("alert")).to_contain_text("Only organization admins")
    expect(page.get_by_text("Which accounting system?")).to_have_count(0)


def test_wrong_password_gets_a_clear_message(page: Page) -> None:
    sign_in(page, BF_ADMIN, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_signed_out_visitor_is_sent_to_sign_in(page: Page) -> None:
    page.goto("/settings/integrations")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=15_000)


def test_sign_out_ends_the_session(page: Page) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto("/settings/integrations")
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=15_000)


def _client_token(page: Page) -> str:
    """The tab's Reflex client token, once the page's websocket has one."""
    page.wait_for_function(f"window.sessionStorage.getItem({REFLEX_TOKEN_KEY!r}) !== null")
    return str(page.evaluate(f"window.sessionStorage.getItem({REFLEX_TOKEN_KEY!r})"))


def test_signing_in_and_out_each_start_a_page_with_a_new_client_token(page: Page) -> None:
    """The page after a sign-in or sign-out never continues the old page's server state,
    and the old page's websocket, closed as it unloads, shares no token with the new one."""
    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_visible()
    signed_out = _client_token(page)
    sign_in_to_dashboard(page, BF_ADMIN)
    signed_in = _client_token(page)
    assert signed_in != signed_out
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=15_000)
    expect(page.get_by_label("Email")).to_be_visible()
    assert _client_token(page) not in (signed_in, signed_out)


def test_the_sign_in_page_loads_every_resource_it_asks_for(page: Page) -> None:
    """No 404 in the console (it was the browser's own /favicon.ico), and the tab has an icon."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert errors == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and page.request.get(icon).ok
