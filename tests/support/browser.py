"""What the browser tests share: signing in as a demo person, driving the setup wizard and
the credential form the way an admin does, axe-core, and resetting the app's claims."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import text

from accountlink_ui.db import engine_for
from accountlink_ui.demo import DEMO_PASSWORD
from accountlink_ui.sandbox import demo_credentials as demo

VIEWPORT = {"width": 1280, "height": 800}
"""The desktop size every browser test starts at."""

BF_ADMIN = "kari@blindeforbundet.example"
BF_MEMBER = "ola@blindeforbundet.example"
HLF_ADMIN = "hanne@hlf.example"


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_to_dashboard(page: Page, email: str) -> None:
    sign_in(page, email)
    expect(page.get_by_role("heading", name="External Integrations")).to_be_visible(timeout=15_000)


def sign_out(page: Page) -> None:
    """Sign out and wait for the sign-in page: the button posts to the backend, which
    answers with a redirect, and a navigation started meanwhile would be aborted."""
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/?$"), timeout=15_000)
    expect(page.get_by_label("Email")).to_be_visible(timeout=15_000)


AXE_SCRIPT = (
    Path(__file__).resolve().parents[2]
    / ".tools"
    / "axe"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)


def axe_serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the current page (as test_accessibility)."""
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is missing: run `bash scripts/ensure_axe.sh` (make test does).")
    page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


TEST_BUDGET_MS = 10_500


def open_wizard(page: Page) -> None:
    page.get_by_role("link", name="Add Integration").click()
    expect(page.get_by_role("heading", name="Which accounting system?")).to_be_visible(
        timeout=15_000
    )


def pick(page: Page, label: str) -> None:
    """Click a radio choice and wait until the server has applied it."""
    choice = page.get_by_role("radio", name=label)
    choice.click()
    expect(choice).to_be_checked()


def choose_type(page: Page, label: str) -> None:
    pick(page, label)
    page.get_by_role("button", name="Continue").click()


def fill_field(page: Page, key: str, value: str) -> None:
    """Fill the field generated for ``key`` (its label names it for the admin)."""
    page.locator(f"#field-{key}").fill(value)


def submit_credentials(page: Page) -> None:
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Test the connection")).to_be_visible()


def run_connection_test(page: Page) -> tuple[bool, float]:
    """Press Test Connection; return (succeeded, seconds until the verdict showed)."""
    started = time.monotonic()
    page.get_by_role("button", name="Test Connection").click()
    verdict = page.get_by_test_id("test-success").or_(page.get_by_test_id("test-failure"))
    # wait_for watches the page every frame; expect() backs off to 1 s between checks,
    # which would add up to a second to the time measured.
    verdict.wait_for(state="visible", timeout=TEST_BUDGET_MS + 2_000)
    elapsed = time.monotonic() - started
    return page.get_by_test_id("test-success").is_visible(), elapsed


def save_integration(page: Page, *, posting: bool = False) -> None:
    """Confirm and save, then save the suggested posting settings (``posting``) or skip them."""
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save Integration").click()
    finish_posting_step(page, save=posting)


def finish_posting_step(page: Page, *, save: bool) -> None:
    """The wizard's Posting step: keep the suggested values and save them, or skip."""
    expect(page.get_by_role("heading", name="Posting", exact=True)).to_be_visible(timeout=15_000)
    expect(page.locator("#posting-default_expense_account")).to_be_visible(timeout=45_000)
    if save:
        page.get_by_role("button", name="Save posting settings").click()
        expect(page.get_by_test_id("posting-saved")).to_be_visible(timeout=45_000)
        page.get_by_role("button", name="Finish").click()
    else:
        page.get_by_role("button", name="Skip for now").click()
    expect(page.get_by_role("heading", name="External Integrations")).to_be_visible(timeout=15_000)


def set_up_xledger(page: Page, token: str = demo.XLEDGER_DEMO_TOKEN) -> None:
    """Add Xledger through the wizard with the demo token, posting settings saved."""
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", token)
    submit_credentials(page)
    ok, _ = run_connection_test(page)
    assert ok, page.get_by_test_id("test-failure").inner_text()
    save_integration(page, posting=True)


def unexport_all_claims(app_database_url: str) -> int:
    """Every claim waiting again; returns how many Blindeforbundet has."""
    with engine_for(app_database_url).begin() as connection:
        connection.execute(
            text(
                "UPDATE expense_claims SET status = 'approved', external_reference = NULL, "
                "exported_at = NULL, exported_integration_id = NULL, last_error = NULL"
            )
        )
        return connection.execute(
            text(
                "SELECT count(*) FROM expense_claims WHERE organization_id = "
                "(SELECT id FROM organizations WHERE slug = 'blindeforbundet')"
            )
        ).scalar_one()


RECENTLY = r"\d{1,2} \w{3} \d{4} \d\d:\d\d CES?T \(\d+ (seconds?|minutes?) ago\)"
"""How the dashboard writes a moment of the last few minutes (``ui/format.when``)."""


def card_fact(card: Locator, label: str) -> Locator:
    """The value a dashboard card shows beside ``label`` (its data list: dt, then dd)."""
    return card.locator(f"xpath=.//dt[normalize-space()='{label}']/following-sibling::dd[1]")


def card_status(card: Locator) -> Locator:
    """A dashboard card's status badge (the first badge, beside the system's name)."""
    return card.locator(".rt-Badge").first
