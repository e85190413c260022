"""Settings → Webhooks, end to end: add an endpoint (the sandbox's receiver), see the secret
once, send a test event and see its delivery, with the receiver's status code, in the log."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.support.browser import BF_ADMIN, sign_in_to_dashboard
from tests.support.webhooks import arrival_verifies


def test_add_an_endpoint_send_a_test_event_and_see_it_in_the_delivery_log(
    page: Page, app_server: str, sandbox_url: str, screenshot: Callable[..., Path]
) -> None:
    # A query string of its own: the demo's endpoint points at the same receiver.
    receiver = f"{sandbox_url}/webhooks/receiver?from=e2e"
    httpx.delete(f"{sandbox_url}/_control/webhooks", timeout=5)
    sign_in_to_dashboard(page, BF_ADMIN)
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible(timeout=15_000)

    page.get_by_role("button", name="Add endpoint").click()  # nothing typed yet
    expect(page.get_by_text("Enter the URL")).to_be_visible(timeout=15_000)

    page.get_by_label("Endpoint URL").fill(receiver)
    page.get_by_label("integration.error").check()
    page.get_by_role("button", name="Add endpoint").click()
    shown = page.get_by_test_id("new-webhook-secret")
    expect(shown).to_have_value(re.compile(r"^whsec_\S{40,}$"), timeout=15_000)
    secret = shown.input_value()
    screenshot("webhooks-secret-shown-once")
    page.get_by_role("button", name="Done").click()
    expect(shown).to_have_value("")

    row = page.get_by_test_id("webhook-row").filter(has_text=receiver)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Send test event").click()
    delivery = page.get_by_test_id("delivery-row").filter(has_text="webhook.test").first
    expect(delivery).to_be_visible(timeout=15_000)
    expect(delivery.get_by_test_id("delivery-status-code")).to_have_text("204", timeout=15_000)
    expect(delivery.get_by_text("Delivered")).to_be_visible()
    screenshot("webhooks-delivery-log-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, 0)")
    expect(delivery).to_be_visible()
    screenshot("webhooks-delivery-log-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    arrived = httpx.get(f"{sandbox_url}/_control/webhooks", timeout=5).json()["arrived"]
    [test_event] = [a for a in arrived if a["type"] == "webhook.test"]
    assert arrival_verifies(secret, test_event), "signed with the secret the page showed"

    delivery.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_text("queued again with the same webhook-id")).to_be_visible(timeout=15_000)
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("webhook-row").filter(has_text=receiver)).to_have_count(0)
