"""Repeated wrong passwords in the browser are slowed down, with a message that does not
say whether the account exists."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

# Unknown on purpose: a demo account locked here would lock out the other browser tests,
# and an unknown email gets exactly the answers an account would.
EMAIL = "nobody-throttle-e2e@blindeforbundet.example"
THROTTLED = re.compile(r"Too many failed sign-ins\. Wait \d+ seconds? and try again\.")


def test_repeated_wrong_passwords_get_the_throttling_message(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(EMAIL)
    alert = page.get_by_role("alert")
    page.get_by_label("Password").fill("wrong-0")
    page.get_by_role("button", name="Sign in").click()
    expect(alert).to_contain_text("do not match an account")
    # Five failures are free, then each one makes the next attempt wait 1, 2, 4, 8 s.
    # Submitted back to back (Reflex answers a page's events in order), one of the later
    # attempts arrives within its wait however slow the machine checks passwords.
    for attempt in range(1, 11):
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="Sign in").click()
    expect(alert).to_have_text(THROTTLED, timeout=30_000)
    expect(page).to_have_url(re.compile(r"/login/?$"))
