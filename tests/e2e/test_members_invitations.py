"""Through the browser: an operator's invitation link → the invitee joins and is signed in →
Settings → Members (issue 13, part 5). The rest of the flow is covered cheaply at service
and HTTP level (tests/service/test_members_onboarding.py)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from accountlink_ui.cli import main
from accountlink_ui.services.wiring import get_services
from accountlink_ui.settings import get_settings
from tests.support.browser import axe_serious_violations

PASSWORD = "a long enough passphrase"
_LINK = re.compile(r"https?://\S+/invite/([A-Za-z0-9_-]+)")


@pytest.fixture
def operator_cli(
    app_server: str,
    app_database_url: str,
    app_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[..., str]]:
    """``accountlink ...`` against the running app's database; returns what it printed."""
    monkeypatch.setenv("ACCOUNTLINK_DATABASE_URL", app_database_url)
    monkeypatch.setenv("ACCOUNTLINK_DATA_DIR", str(app_data_dir))
    get_settings.cache_clear()
    get_services.cache_clear()

    def run(*argv: str) -> str:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return captured.out

    try:
        yield run
    finally:
        get_settings.cache_clear()
        get_services.cache_clear()


def test_an_invited_admin_joins_signs_in_and_manages_members(
    page: Page,
    browser: Browser,
    app_server: str,
    operator_cli: Callable[..., str],
    screenshot: Callable[..., Path],
) -> None:
    suffix = secrets.token_hex(3)
    operator_cli("org", "create", "--name", f"Fjord Aid {suffix}", "--slug", f"fjord-{suffix}")
    printed = operator_cli(
        "admin", "invite", "--org", f"fjord-{suffix}", "--email", f"a{suffix}@fjord.test"
    )
    found = _LINK.search(printed)
    assert found, printed
    token = found.group(1)

    page.goto(f"/invite/{token}")
    expect(page).to_have_url(re.compile(r"/invite/?$"))  # the token left the address bar
    expect(page.get_by_role("heading", name=f"Join Fjord Aid {suffix}")).to_be_visible()
    expect(page.get_by_text(f"a{suffix}@fjord.test")).to_be_visible()
    assert axe_serious_violations(page) == [], "accept-invite page"
    screenshot("accept-invite-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("accept-invite-390")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Your name").fill("Astrid Admin")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD + "typo")
    page.get_by_role("button", name="Join and sign in").click()
    expect(page.get_by_text("The two passwords differ")).to_be_visible()
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Join and sign in").click()
    expect(page.get_by_role("heading", name="External Integrations")).to_be_visible(timeout=15_000)

    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    me = page.get_by_test_id("member-row").filter(has_text=f"a{suffix}@fjord.test")
    expect(me).to_contain_text("Admin")
    expect(me).to_contain_text("(you)")

    # The last admin cannot demote themselves; the page says why.
    me.get_by_role("button", name="Make member").click()
    expect(page.get_by_test_id("members-notice")).to_contain_text("last admin")
    expect(me).to_contain_text("Admin")

    # Invite a member: the link is shown once.
    page.get_by_label("Email").fill(f"m{suffix}@fjord.test")
    page.get_by_role("button", name="Invite").click()
    link_field = page.get_by_test_id("new-link")
    expect(link_field).to_have_value(re.compile(r"/invite/[A-Za-z0-9_-]{40,}$"))
    expect(page.get_by_test_id("invitation-row")).to_contain_text(f"m{suffix}@fjord.test")
    assert axe_serious_violations(page) == [], "Members page"
    screenshot("members-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_test_id("invitation-row")).to_be_visible()
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done(null)))")
    screenshot("members-390")

    # The operator's link was used once: a second use is refused with a clear message.
    other = browser.new_context(base_url=app_server, viewport={"width": 1280, "height": 800})
    try:
        again = other.new_page()
        again.goto(f"/invite/{token}")
        expect(again.get_by_test_id("link-problem")).to_contain_text("already been used")
        expect(again.get_by_role("button", name="Join and sign in")).to_have_count(0)
        screenshot("accept-invite-used-1280", target=again)

        # A reset link from the CLI opens the new-password page (screenshots only: the
        # reset itself is covered over HTTP), and "Forgot password?" answers alike.
        printed = operator_cli("admin", "reset-link", "--email", f"a{suffix}@fjord.test")
        reset = re.search(r"/reset/([A-Za-z0-9_-]+)", printed)
        assert reset, printed
        again.goto(f"/reset/{reset.group(1)}")
        expect(again.get_by_role("heading", name="Choose a new password")).to_be_visible()
        expect(again.get_by_text(f"a{suffix}@fjord.test")).to_be_visible()
        screenshot("reset-password-1280", target=again)
        again.set_viewport_size({"width": 390, "height": 844})
        screenshot("reset-password-390", target=again)
        again.goto("/login")
        again.get_by_role("link", name="Forgot password?").click()
        expect(again.get_by_role("heading", name="Forgot your password?")).to_be_visible()
        screenshot("forgot-password-390", target=again)
        again.get_by_label("Email").fill("nobody@fjord.test")
        again.get_by_role("button", name="Send reset link").click()
        expect(again.get_by_test_id("reset-requested")).to_be_visible()
        again.set_viewport_size({"width": 1280, "height": 800})
        screenshot("forgot-password-sent-1280", target=again)
    finally:
        other.close()
