"""API tokens and the audit trail, end to end: a token made on the page works with curl-like
calls until it is revoked, and the audit page shows (and exports) who did all of it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
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
    save_integration,
    sign_in_to_dashboard,
    submit_credentials,
)

pytestmark = pytest.mark.usefixtures("no_integrations")


def _set_up_xledger(page: Page) -> None:
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    ok, _ = run_connection_test(page)
    assert ok, page.get_by_test_id("test-failure").inner_text()
    save_integration(page)


def _api(app_server: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{app_server}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        trust_env=False,
    )


def _files_holding(directory: Path, secret: str) -> list[Path]:
    needle = secret.encode()
    return [path for path in directory.rglob("*") if path.is_file() and needle in path.read_bytes()]


def test_token_made_on_the_page_works_until_revoked_and_the_audit_trail_shows_it_all(
    page: Page, app_server: str, app_states_dir: Path, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    _set_up_xledger(page)

    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible(timeout=15_000)
    page.get_by_label("Token name").fill("E2E monitor")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_test_id("new-token")
    expect(shown).to_have_value(re.compile(r"^alk_\S{40,}$"), timeout=15_000)
    token = shown.input_value()
    expect(page.get_by_text("shown only this once")).to_be_visible()
    screenshot("api-tokens-created-once")
    violations = {"tokens (new token shown)": axe_serious_violations(page)}

    with _api(app_server, token) as api:
        listed = api.get("/integrations")
        assert listed.status_code == 200, listed.text
        (xledger,) = listed.json()["integrations"]
        tested = api.post(f"/integrations/{xledger['id']}/test")
        assert tested.status_code == 200 and tested.json()["ok"] is True, tested.text
        assert demo.XLEDGER_DEMO_TOKEN not in listed.text + tested.text

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Token copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token

    # Reflex writes a session's state to disk about 2 s after it changes; the token,
    # on screen until Done, must not be among what it wrote.
    page.wait_for_timeout(3_000)
    assert any(app_states_dir.rglob("*")), "the state manager wrote nothing to look at"
    assert _files_holding(app_states_dir, token) == [], "the new token was stored in state"

    page.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("new-token")).to_be_hidden()
    expect(page.get_by_test_id("new-token")).to_have_value("")
    page.reload()
    row = page.get_by_test_id("token-row").filter(has_text="E2E monitor")
    expect(row).to_contain_text(token[:12])
    expect(row).to_contain_text("Kari Nordmann")
    expect(row).not_to_contain_text("Never")  # last used: the calls above
    assert token not in page.content(), "after Done the token is never shown again"
    screenshot("api-tokens-list")
    violations["tokens (list)"] = axe_serious_violations(page)

    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("status").filter(has_text="Revoked “E2E monitor”")).to_be_visible()
    with _api(app_server, token) as api:
        refused = api.get("/integrations")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")

    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible(timeout=15_000)
    rows = page.get_by_test_id("audit-row")
    for action in (
        "Revoked API token",
        "Created API token",
        "Tested connection",
        "Set up integration",
    ):
        expect(rows.filter(has_text=action).first).to_contain_text("Kari Nordmann")
    expect(rows.first).to_contain_text("Revoked API token")
    screenshot("audit-trail")
    page.mouse.move(0, 0)  # the nav link just clicked would otherwise be measured mid-hover
    violations["audit trail"] = axe_serious_violations(page)
    for where, found in violations.items():
        print(where, *found, sep="\n  ")
    assert not any(violations.values()), violations
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("audit-trail-390")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label("Integration").select_option(label="Xledger")
    expect(rows.filter(has_text=re.compile("(Created|Revoked) API token"))).to_have_count(0)
    expect(rows.filter(has_text="Tested connection").first).to_be_visible()
    page.get_by_label("Integration").select_option(value="all")
    expect(rows.filter(has_text="Created API token")).to_have_count(1)

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename.startswith("accountlink-audit-")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    records = list(csv.DictReader(io.StringIO(exported)))
    actions = [record["action"] for record in records]
    assert "api_token.created" in actions and "api_token.revoked" in actions
    assert actions.index("api_token.created") < actions.index("api_token.revoked")
    assert {record["actor"] for record in records if record["action"].startswith("api_token")} == {
        "Kari Nordmann"
    }
    for secret in (token, demo.XLEDGER_DEMO_TOKEN):
        assert secret not in exported


def test_members_get_neither_tokens_nor_the_trail(page: Page) -> None:
    sign_in_to_dashboard(page, BF_MEMBER)
    page.goto("/settings/api-tokens")
    expect(page.get_by_role("alert")).to_contain_text("Only organization admins")
    expect(page.get_by_role("button", name="Create token")).to_have_count(0)
    page.goto("/settings/audit")
    expect(page.get_by_role("alert")).to_contain_text("Only organization admins")
    expect(page.get_by_role("button", name="Export CSV")).to_have_count(0)


def test_load_balancer_checks_answer_in_the_running_app(app_server: str) -> None:
    alive = httpx.get(f"{app_server}/healthz", trust_env=False)
    ready = httpx.get(f"{app_server}/readyz", trust_env=False)
    openapi = httpx.get(f"{app_server}/api/v1/openapi.json", trust_env=False)
    assert alive.status_code == 200
    assert ready.status_code in (200, 503)
    checks = ready.json()["checks"]
    assert set(checks) == {"database", "migrations", "scheduler", "vault"}
    assert checks["database"]["ok"] and checks["migrations"]["ok"], checks
    assert checks["vault"]["ok"], "a stored credential opens with the running app's keys"
    assert (ready.status_code == 200) == checks["scheduler"]["ok"]
    assert openapi.json()["info"]["title"] == "AccountLink API"
    print(f"/readyz in the running app: {ready.status_code} {checks}")
