"""The browser acceptance subset once more, against production mode at scale.

One server for the whole module: ``ACCOUNTLINK_ENV=production`` on PostgreSQL,
Reflex's state in Redis, two Granian workers, the sandbox as a separate server
and the organization created through the services (production has no demo).
Skipped, with the reason, unless PostgreSQL (``ACCOUNTLINK_TEST_DATABASE_URL``)
and Redis (``ACCOUNTLINK_TEST_REDIS_URL``, default redis://127.0.0.1:6379) answer.

The Sync now test proves the cross-worker path: the run starts as a background
task on the worker holding the tab's websocket, the tab then reconnects until
Reflex's socket record in Redis names another worker, and the run's progress and
result still reach it (Reflex's RedisTokenManager publishes updates for a socket
another worker owns on that worker's "lost and found" channel).
"""

from __future__ import annotations

import asyncio
import os
import pickle
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox import endpoint as sandbox_endpoint
from accountlink_ui.sandbox.server import running_sandbox
from accountlink_ui.settings import Settings
from accountlink_ui.vault import KeyRing
from tests.support import production_server as prod
from tests.support.browser import (
    TEST_BUDGET_MS,
    choose_type,
    fill_field,
    open_wizard,
    pick,
    run_connection_test,
    save_integration,
    submit_credentials,
)
from tests.support.databases import POSTGRES_ENV

WORKERS = 2
MOVE_ATTEMPTS = 12
HOLD_SECONDS = 15.0
"""The longest the sandbox holds the sync's request (the adapter's read timeout is 20 s)."""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[prod.ProductionStack]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"production at scale needs PostgreSQL: set {POSTGRES_ENV} (CI does)")
    redis_url = prod.redis_db_url(os.environ.get(prod.REDIS_ENV, prod.DEFAULT_REDIS))
    if redis_url is None:
        pytest.skip(f"production at scale needs Redis: none answers at {prod.REDIS_ENV}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    workdir = tmp_path_factory.mktemp("production")
    name = f"test_e2e_prod_{os.getpid()}"
    database_url = prod.create_database(base, name)
    ring = KeyRing.generate()
    keys = prod.master_keys_value(ring)
    started: prod.ProductionStack | None = None
    try:
        prod.seed_organization(
            Settings(
                env="production",
                database_url=database_url,
                master_keys=keys,
                data_dir=workdir / "data",
            )
        )
        with running_sandbox() as sandbox_url:
            started = prod.start(
                workdir=workdir,
                database_url=database_url,
                redis_url=redis_url,
                sandbox_url=sandbox_url,
                master_keys=keys,
                workers=WORKERS,
                timeout=float(os.environ.get("ACCOUNTLINK_E2E_START_TIMEOUT", "300")),
            )
            print(f"production server up in {started.startup_seconds:.1f} s")
            yield started
    finally:
        if started is not None:
            started.stop()
        prod.drop_database(base, name)


@pytest.fixture
def tab(browser: Browser, stack: prod.ProductionStack) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=stack.base_url)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(prod.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="External Integrations")).to_be_visible(timeout=15_000)


def ensure_xledger(page: Page) -> None:
    """The wizard, as an admin runs it, unless an earlier test of this module already did."""
    card = page.get_by_test_id("integration-xledger")
    expect(card).to_be_visible()
    if "Not configured" not in card.inner_text():
        return
    open_wizard(page)
    choose_type(page, "Xledger")
    fill_field(page, "api_token", demo.XLEDGER_DEMO_TOKEN)
    submit_credentials(page)
    ok, seconds = run_connection_test(page)
    assert ok, page.get_by_test_id("test-failure").inner_text()
    assert seconds * 1000 < TEST_BUDGET_MS
    save_integration(page, posting=True)
    expect(page.get_by_test_id("integration-xledger")).to_contain_text("Active")


@dataclass
class Gate:
    arrived: threading.Event
    release: threading.Event


@pytest.fixture
def held_sync_request(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """Hold the next request a ``slow`` fault catches until the test releases it.

    The sandbox runs in this process (``running_sandbox``), so the test decides when the
    sync's call to Xledger answers instead of racing a fixed delay: the run stays in
    flight on its worker for as long as the tab needs to move to the other one.
    """
    gate = Gate(threading.Event(), threading.Event())
    original = sandbox_endpoint.fault_response

    async def held(state: Any, request: Any, fault: Any, profile: Any) -> Any:
        if fault.mode != "slow":
            return await original(state, request, fault, profile)
        gate.arrived.set()
        deadline = time.monotonic() + HOLD_SECONDS
        while not gate.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return None

    monkeypatch.setattr(sandbox_endpoint, "fault_response", held)
    try:
        yield gate
    finally:
        gate.release.set()


def socket_owner(page: Page, client: redis.Redis) -> str | None:
    """The Reflex instance (one per worker process) holding this tab's websocket."""
    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    raw = client.get(f"token_manager_socket_record_{token}")
    return None if raw is None else str(pickle.loads(raw).instance_id)


def wait_for_owner(page: Page, client: redis.Redis, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while (owner := socket_owner(page, client)) is None:
        assert time.monotonic() < deadline, "the tab's websocket never registered in Redis"
        page.wait_for_timeout(100)
    return owner


def test_readyz_reports_database_migrations_redis_and_the_scheduler_leader(
    stack: prod.ProductionStack,
) -> None:
    ready = httpx.get(f"{stack.base_url}/readyz", trust_env=False, timeout=10)
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert {"database", "migrations", "scheduler", "redis"} <= set(checks)
    assert all(check["ok"] for check in checks.values()), checks
    assert httpx.get(f"{stack.base_url}/healthz", trust_env=False).status_code == 200
    docs = httpx.get(f"{stack.base_url}/api/v1/openapi.json", trust_env=False)
    assert docs.json()["info"]["title"] == "AccountLink API"
    # Production mounts no sandbox and seeds no demo people.
    assert httpx.get(f"{stack.base_url}/sandbox/", trust_env=False).status_code == 404


def test_wizard_then_sync_now_progress_reaches_the_tab_after_it_moves_to_another_worker(
    tab: Page, stack: prod.ProductionStack, held_sync_request: Gate
) -> None:
    client = redis.Redis.from_url(stack.redis_url)
    try:
        sign_in(tab, prod.ADMIN)
        ensure_xledger(tab)
        tab.screenshot(path=SCREENSHOTS / "production-dashboard-1280.png", full_page=True)
        httpx.post(
            f"{stack.sandbox_url}/_control/faults",
            json={"system": "xledger", "mode": "slow", "seconds": 0.01, "times": 1},
            timeout=5,
        ).raise_for_status()
        started_on = wait_for_owner(tab, client)
        card = tab.get_by_test_id("integration-xledger")
        card.get_by_role("button", name="Sync now").click()
        expect(card.get_by_test_id("sync-progress")).to_be_visible()
        assert held_sync_request.arrived.wait(HOLD_SECONDS), "the sync never called Xledger"

        moved_to = started_on
        reloads = 0
        while reloads < MOVE_ATTEMPTS:
            reloads += 1
            tab.reload()
            expect(tab.get_by_role("heading", name="External Integrations")).to_be_visible()
            moved_to = wait_for_owner(tab, client)
            if moved_to != started_on:
                break
        assert moved_to != started_on, (
            f"the tab reconnected {MOVE_ATTEMPTS} times to the worker running the sync"
        )
        card = tab.get_by_test_id("integration-xledger")
        # Still running (its Xledger call is held): what follows comes from the other worker.
        expect(card.get_by_test_id("sync-progress")).to_be_visible()
        expect(tab.get_by_text("Sync finished")).to_have_count(0)
        held_sync_request.release.set()
        expect(tab.get_by_role("status").first).to_contain_text(
            re.compile(r"Sync finished: [1-9]\d* claims sent"), timeout=45_000
        )
        expect(card).to_contain_text(re.compile(r"Records synced\s*[1-9]"))
        assert socket_owner(tab, client) == moved_to
        print(
            f"Sync now ran on worker {started_on[:8]}, reached the tab on {moved_to[:8]} "
            f"after {reloads} reload(s)"
        )
        tab.screenshot(path=SCREENSHOTS / "production-sync-other-worker-1280.png", full_page=True)
    finally:
        client.close()


def test_credentials_are_edited_in_place(tab: Page, stack: prod.ProductionStack) -> None:
    sign_in(tab, prod.ADMIN)
    ensure_xledger(tab)
    card = tab.get_by_test_id("integration-xledger")
    card.get_by_role("link", name="Edit Credentials").click()
    expect(tab.get_by_test_id("mask-api_token")).to_contain_text("••••")
    pick(tab, "Production")
    fill_field(tab, "api_token", demo.XLEDGER_PRODUCTION_TOKEN)
    tab.get_by_role("button", name="Test Connection").click()
    expect(tab.get_by_test_id("test-success")).to_be_visible(timeout=TEST_BUDGET_MS)
    tab.get_by_role("button", name="Save Credentials").click()
    expect(tab.get_by_test_id("saved-message")).to_contain_text("version")
    tab.screenshot(path=SCREENSHOTS / "production-credentials-saved-1280.png", full_page=True)
    log = httpx.get(f"{stack.sandbox_url}/_control/requests/xledger", timeout=5).json()
    assert any(demo.XLEDGER_PRODUCTION_TOKEN in str(entry) for entry in log)


def test_a_member_is_refused_admin_pages(tab: Page) -> None:
    sign_in(tab, prod.MEMBER)
    for path in ("/settings/api-tokens", "/settings/audit"):
        tab.goto(path)
        expect(tab.get_by_role("alert")).to_contain_text("Only organization admins")
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.screenshot(path=SCREENSHOTS / "production-member-refused-390.png", full_page=True)


def test_demo_controls_are_absent_in_production(tab: Page) -> None:
    """No Demo controls link in the settings, and /settings/demo is no page of this app."""
    sign_in(tab, prod.ADMIN)
    navigation = tab.get_by_role("navigation")
    expect(navigation.get_by_role("link", name="API tokens")).to_be_visible()
    expect(tab.get_by_role("link", name="Demo controls")).to_have_count(0)
    tab.goto("/settings/demo")
    expect(tab.get_by_text("404")).to_be_visible(timeout=15_000)
    expect(tab.get_by_role("heading", name="Demo controls")).to_have_count(0)
    expect(tab.get_by_role("button", name="Reset the demo")).to_have_count(0)
