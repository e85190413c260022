"""Driving the setup wizard and the credential form the way an admin does."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

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
