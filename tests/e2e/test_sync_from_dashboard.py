"""Sync now from the dashboard: progress, then the new figures; a fault run shows its error."""

from __future__ import annotations

import re
from collections import Counter
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
    set_up_xledger,
    sign_in_to_dashboard,
    unexport_all_claims,
)

pytestmark = pytest.mark.usefixtures("no_integrations")


def test_sync_now_shows_progress_then_figures_and_a_fault_run_shows_its_error(
    page: Page, app_server: str, app_database_url: str, screenshot: Callable[..., Path]
) -> None:
    claims = unexport_all_claims(app_database_url)
    assert claims > 0
    sign_in_to_dashboard(page, BF_ADMIN)
    set_up_xledger(page)
    card = page.get_by_test_id("integration-xledger")
    expect(card).to_contain_text("Never")
    httpx.post(
        f"{app_server}/sandbox/_control/faults",
        json={"system": "xledger", "mode": "slow", "seconds": 2, "times": 1},
        timeout=5,
    ).raise_for_status()
    card.get_by_role("button", name="Sync now").click()
    expect(card.get_by_test_id("sync-progress")).to_be_visible()
    screenshot("dashboard-sync-progress-1280")
    expect(page.get_by_role("status").first).to_contain_text(
        f"Sync finished: {claims} claims sent", timeout=30_000
    )
    expect(card).to_contain_text(re.compile(r"Records synced\s*" + str(claims)))
    expect(card).not_to_contain_text("Never")
    received = httpx.get(f"{app_server}/sandbox/_control/received/xledger", timeout=5).json()
    references = Counter(item.get("yourReference") for item in received)
    # One voucher per claim, sent once: its expense line and its counter line (no VAT).
    assert len(references) == claims
    assert set(references.values()) == {2}

    page.get_by_role("link", name="Expense claims").click()
    expect(page.get_by_test_id("claims-summary")).to_contain_text(f"{claims} exported, 0 waiting")
    screenshot("claims-exported-1280")
    page.get_by_role("link", name="External Integrations").click()
    card = page.get_by_test_id("integration-xledger")
    expect(card).to_contain_text("Active")

    unexport_all_claims(app_database_url)
    httpx.post(f"{app_server}/sandbox/_control/reset", timeout=5)
    httpx.post(
        f"{app_server}/sandbox/_control/credentials",
        json={"system": "xledger", "action": "revoke", "value": demo.XLEDGER_DEMO_TOKEN},
        timeout=5,
    ).raise_for_status()
    card.get_by_role("button", name="Sync now").click()
    expect(card.get_by_text("Recent errors")).to_be_visible(timeout=30_000)
    expect(card).to_contain_text("Sync:")
    screenshot("dashboard-after-failed-sync-1280")
    # The refused credentials opened an incident: one alert, and a notice until it recovers.
    page.reload()
    notice = page.get_by_test_id("incident-notice")
    expect(notice).to_contain_text("Xledger refused its stored credentials", timeout=15_000)
    screenshot("dashboard-incident-notice-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(notice).to_be_visible()
    screenshot("dashboard-incident-notice-390")


def test_a_claim_on_an_unknown_account_is_refused_alone_and_the_claims_page_says_why(
    page: Page, app_server: str, app_database_url: str
) -> None:
    claims = unexport_all_claims(app_database_url)
    with engine_for(app_database_url).begin() as connection:
        bad = connection.execute(
            text(
                "SELECT min(id) FROM expense_claims WHERE organization_id = "
                "(SELECT id FROM organizations WHERE slug = 'blindeforbundet')"
            )
        ).scalar_one()
        connection.execute(
            text("UPDATE expense_claims SET account_code = '9999' WHERE id = :id"), {"id": bad}
        )
    try:
        sign_in_to_dashboard(page, BF_ADMIN)
        set_up_xledger(page)
        card = page.get_by_test_id("integration-xledger")
        card.get_by_role("button", name="Sync now").click()
        expect(page.get_by_role("status").first).to_contain_text(
            f"Sync partial: {claims - 1} sent, 1 failed", timeout=30_000
        )
        page.get_by_role("link", name="Expense claims").click()
        expect(page.get_by_test_id("claims-summary")).to_contain_text(
            f"{claims - 1} exported, 1 waiting"
        )
        refused = page.get_by_role("row").filter(has_text="Refused")
        expect(refused).to_have_count(1)
        expect(refused).to_contain_text("Unknown account 9999")
    finally:
        with engine_for(app_database_url).begin() as connection:
            connection.execute(
                text("UPDATE expense_claims SET account_code = '' WHERE id = :id"), {"id": bad}
            )
