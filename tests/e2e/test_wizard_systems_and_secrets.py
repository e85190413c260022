"""Every system set up through the wizard, and proof that typed secrets never come back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, WebSocket, expect

from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.browser import (
    BF_ADMIN,
    HLF_ADMIN,
    TEST_BUDGET_MS,
    choose_type,
    fill_field,
    open_wizard,
    pick,
    run_connection_test,
    save_integration,
    sign_in_to_dashboard,
    submit_credentials,
)

pytestmark = pytest.mark.usefixtures("no_integrations")


def fill_dynamics_common(page: Page) -> None:
    fill_field(page, "tenant_id", demo.ENTRA_TENANT_DOMAIN)
    fill_field(page, "client_id", demo.ENTRA_CLIENT_ID)
    fill_field(page, "bc_environment", demo.BC_ENVIRONMENT)


def finish(page: Page, type_key: str, reached: str) -> None:
    """Test, check the result names what it reached (the company, tenant or host), save."""
    assert reached, "say which company, tenant or host the connection test must name"
    submit_credentials(page)
    ok, seconds = run_connection_test(page)
    assert ok, page.get_by_test_id("test-failure").inner_text()
    assert seconds * 1000 < TEST_BUDGET_MS
    expect(page.get_by_test_id("test-success")).to_contain_text(f"Reached: {reached}")
    save_integration(page)
    expect(page.get_by_test_id(f"integration-{type_key}")).to_contain_text("Active")


def test_dynamics_business_central_with_a_client_secret(page: Page) -> None:
    sign_in_to_dashboard(page, HLF_ADMIN)
    open_wizard(page)
    choose_type(page, "Microsoft Dynamics 365")
    fill_dynamics_common(page)
    fill_field(page, "client_secret", demo.ENTRA_CLIENT_SECRET)
    finish(page, "dynamics", demo.BC_COMPANY_NAME)


def test_dynamics_with_a_wrong_secret_names_the_secret_field(page: Page) -> None:
    sign_in_to_dashboard(page, HLF_ADMIN)
    open_wizard(page)
    choose_type(page, "Microsoft Dynamics 365")
    fill_dynamics_common(page)
    fill_field(page, "client_secret", "hlf~not~the~secret~000")
    submit_credentials(page)
    ok, _ = run_connection_test(page)
    assert not ok
    expect(page.get_by_test_id("test-failure")).to_contain_text("7000215")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_test_id("fault-client_secret")).to_be_visible()


def test_dynamics_business_central_with_a_certificate(
    page: Page, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, HLF_ADMIN)
    open_wizard(page)
    choose_type(page, "Microsoft Dynamics 365")
    pick(page, "Certificate")
    fill_dynamics_common(page)
    fill_field(page, "certificate_pem", demo.DEMO_CERT_PEM)
    fill_field(page, "private_key_pem", demo.DEMO_KEY_PEM)
    screenshot("wizard-step2-dynamics-certificate-1280")
    finish(page, "dynamics", demo.BC_COMPANY_NAME)


def test_generic_rest_with_oauth2_client_credentials(
    page: Page, app_server: str, screenshot: Callable[..., Path]
) -> None:
    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Generic REST API")
    pick(page, "OAuth 2.0 client credentials")
    fill_field(page, "base_url", f"{app_server}/sandbox/rest")
    fill_field(page, "token_url", f"{app_server}/sandbox/rest/oauth2/token")
    fill_field(page, "client_id", demo.REST_OAUTH_CLIENT_ID)
    fill_field(page, "client_secret", demo.REST_OAUTH_CLIENT_SECRET)
    fill_field(page, "scope", demo.REST_OAUTH_SCOPE)
    screenshot("wizard-step2-generic-rest-oauth-1280")
    # A REST API has no company to name: the test names the host it reached.
    finish(page, "generic_rest", httpx.URL(app_server).host)


def test_inline_errors_appear_as_the_admin_leaves_a_field(page: Page) -> None:
    sign_in_to_dashboard(page, HLF_ADMIN)
    open_wizard(page)
    choose_type(page, "Microsoft Dynamics 365")
    fill_field(page, "tenant_id", "not a tenant")
    page.locator("#field-client_id").focus()
    expect(page.get_by_test_id("error-tenant_id")).to_contain_text("GUID or a domain")
    # Leaving the empty client ID on the way to Continue says nothing yet ("required" on
    # blur would shift Continue under the pointer); Continue names it.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").first).to_contain_text("correct the highlighted fields")
    expect(page.get_by_test_id("error-client_id")).to_contain_text("is required")


def test_typed_secrets_never_come_back_from_the_server(page: Page) -> None:
    """Every websocket frame and response during a wizard run and an edit: no typed secret."""
    received: list[str] = []

    def watch(socket: WebSocket) -> None:
        socket.on("framereceived", lambda frame: received.append(str(frame)))

    page.on("websocket", watch)
    page.on("response", lambda response: received.append(_body(response)))
    secrets = [demo.XLEDGER_DEMO_TOKEN, demo.XLEDGER_PRODUCTION_TOKEN]

    sign_in_to_dashboard(page, BF_ADMIN)
    open_wizard(page)
    choose_type(page, "Xledger")
    page.get_by_role("button", name="Show API token").click()
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    page.locator("#field-display_name").focus()
    submit_credentials(page)
    assert run_connection_test(page)[0]
    save_integration(page)
    page.get_by_test_id("integration-xledger").get_by_role("link", name="Edit Credentials").click()
    pick(page, "Production")
    fill_field(page, "api_token", demo.XLEDGER_PRODUCTION_TOKEN)
    page.get_by_role("button", name="Test Connection").click()
    expect(page.get_by_test_id("test-success")).to_be_visible(timeout=TEST_BUDGET_MS)
    page.get_by_role("button", name="Save Credentials").click()
    expect(page.get_by_test_id("saved-message")).to_be_visible()
    expect(page.locator("#field-api_token")).to_have_value("")
    page.reload()
    expect(page.get_by_test_id("mask-api_token")).to_be_visible(timeout=15_000)

    assert len(received) > 20
    leaks = [
        chunk[max(0, chunk.find(secret) - 300) : chunk.find(secret) + 60]
        for chunk in received
        for secret in secrets
        if secret in chunk
    ]
    assert leaks == []
    assert demo.XLEDGER_PRODUCTION_TOKEN not in page.content()


def _body(response: object) -> str:
    try:
        return response.text()  # type: ignore[attr-defined]
    except Exception:  # redirects and aborted requests have no body
        return ""
