"""The production build is served and renders in a real browser."""

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_production_build_renders_product_name(page: Page, screenshot) -> None:
    page.goto("/")

    expect(page.get_by_text("AccountLink").first).to_be_visible()
    screenshot("smoke-home")


def test_backend_answers_on_the_same_port(app_server: str) -> None:
    response = httpx.get(f"{app_server}/ping", timeout=5, trust_env=False)

    assert response.status_code == 200
