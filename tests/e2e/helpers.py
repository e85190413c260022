"""Small steps the end-to-end tests share: signing in as a demo person."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from accountlink_ui.demo import DEMO_PASSWORD

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


def axe_serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (test_accessibility
    keeps its own copy of this check)."""
    from pathlib import Path

    import pytest

    axe = Path(__file__).resolve().parents[2] / ".tools/axe/node_modules/axe-core/axe.min.js"
    if not axe.exists():
        pytest.fail("axe-core is missing: run `bash scripts/ensure_axe.sh` (make test does).")
    page.add_script_tag(path=str(axe))
    results = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]
