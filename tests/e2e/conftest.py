"""End-to-end fixtures: the production build of the app, and a real Chromium.

``app_server`` builds and starts the app once per session exactly as
``make run`` serves it (``reflex run --env prod`` with ``scripts/env.sh``),
against a throwaway data directory and SQLite file, and yields its base URL.
``browser``/``page`` drive the Debian Chromium through Playwright (Playwright's
own browser download is not used). ``screenshot`` saves the current page under
``test-results/screenshots/``; a failing test gets one saved automatically.

Knobs:
    ACCOUNTLINK_E2E_PORT            port to serve on (default 8000)
    ACCOUNTLINK_E2E_START_TIMEOUT   seconds to wait for build + start (default 240)
    ACCOUNTLINK_CHROMIUM            Chromium binary (default /usr/bin/chromium)
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.support.browser import VIEWPORT

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = ROOT / "test-results" / "screenshots"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_LOCALE = "en-US"
# A 2-core CI machine builds and serves the app while the browser runs: give each
# expectation room for a slow event round trip (assertions still fail fast on wrong text).
expect.set_options(timeout=12_000)
LOG_TAIL_LINES = 80


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the item so ``page`` can see that a test failed, and
    give a failed browser test what the app server was doing (CI prints only the report)."""
    report = yield
    setattr(item, f"_report_{report.when}", report)
    if report.failed and _APP_SERVER:
        report.sections.append(("app server at the failure", _server_condition(*_APP_SERVER[0])))
    journal = getattr(item, "_browser_journal", None)
    if report.failed and journal is not None:
        report.sections.append(("the browser's last requests and console lines", journal.text()))
    return report


class BrowserJournal:
    """What a tab asked of the server and logged, kept for a failure report.

    A request with no answer in the report is one the server never answered, which a
    screenshot cannot show (a page stuck mid-navigation still shows the old document).
    """

    KEPT = 60

    def __init__(self, tab: Page) -> None:
        self._started = time.monotonic()
        self._lines: list[str] = []
        tab.on("request", lambda r: self._add(f"→ {r.method} {r.url}"))
        tab.on("response", lambda r: self._add(f"← {r.status} {r.url}"))
        tab.on("requestfailed", lambda r: self._add(f"✗ {r.url} {r.failure}"))
        tab.on("console", lambda m: self._add(f"console {m.type}: {m.text[:300]}"))
        tab.on("websocket", self._watch_socket)
        tab.on(
            "framenavigated",
            lambda f: self._add(f"navigated {f.url}") if not f.parent_frame else None,
        )

    def _watch_socket(self, socket: WebSocket) -> None:
        """The page's websocket: when it opened and closed, the event names it sent."""
        self._add(f"websocket opened {socket.url[:80]}")
        socket.on("framesent", lambda frame: self._add(f"ws sent {_event_name(frame)}"))
        socket.on("framereceived", lambda frame: self._add(f"ws got {len(frame)} chars"))
        socket.on("close", lambda _: self._add("websocket closed"))

    def _add(self, line: str) -> None:
        if "/assets/" in line:
            return  # the build's scripts and styles: many, and never the story
        self._lines.append(f"{time.monotonic() - self._started:7.2f} s  {line}")
        del self._lines[: -self.KEPT]

    def text(self) -> str:
        return "\n".join(self._lines) or "(nothing recorded)"


def _event_name(frame: str | bytes) -> str:
    """The handler a Socket.IO frame names (``...accountlink_ui___ui___states___x.handler``)."""
    text = frame if isinstance(frame, str) else frame.decode(errors="replace")
    found = re.search(r'"name":\s*"([^"]+)"', text)
    return found.group(1).rpartition(".")[2] if found else text[:40]


_APP_SERVER: list[tuple[str, Path]] = []
"""The base URL and log of the session's app server while it runs."""


def _server_condition(base_url: str, log_path: Path) -> str:
    """Whether the server answers now, how fast, and the end of its log."""
    started = time.monotonic()
    try:
        answer = httpx.get(f"{base_url}/ping", timeout=10, trust_env=False)
        ping = f"/ping answered {answer.status_code} in {time.monotonic() - started:.2f} s"
    except httpx.HTTPError as exc:
        ping = f"/ping failed after {time.monotonic() - started:.2f} s: {exc!r}"
    return f"{ping}\nlog {log_path}, last lines:\n{_log_tail(log_path, 40)}"


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _log_tail(log_path: Path, lines_wanted: int = LOG_TAIL_LINES) -> str:
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log written)"
    return "\n".join(lines[-lines_wanted:])


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Reflex and every child it spawned (node, server workers)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            pass
    # Children can outlive the leader; sweep the group whatever happened above.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _server_is_ready(client: httpx.Client, base_url: str) -> bool:
    try:
        ping = client.get(f"{base_url}/ping")
        page = client.get(f"{base_url}/")
    except httpx.HTTPError:
        return False
    return ping.status_code == 200 and page.status_code == 200 and "<html" in page.text


@pytest.fixture(scope="session")
def app_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The running app's data directory: its SQLite file and master key file."""
    data_dir = tmp_path_factory.mktemp("app_data")
    return data_dir


@pytest.fixture(scope="session")
def app_database_url(app_data_dir: Path) -> str:
    return f"sqlite:///{app_data_dir / 'accountlink.db'}"


@pytest.fixture(scope="session")
def app_states_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the running app's Reflex state manager keeps browser sessions' state on disk."""
    return tmp_path_factory.mktemp("app_states")


@pytest.fixture(scope="session")
def sandbox_url(app_server: str) -> str:
    """The sandbox external systems, mounted inside the app as in the demo."""
    return f"{app_server}/sandbox"


@pytest.fixture(scope="session")
def app_server(
    tmp_path_factory: pytest.TempPathFactory,
    app_data_dir: Path,
    app_database_url: str,
    app_states_dir: Path,
) -> Iterator[str]:
    """Base URL of the app, built and served in production mode for this session.

    ``ACCOUNTLINK_DEMO=1`` makes the app migrate and seed its fresh database on
    start-up, so the server is ready for sign-in once it answers.
    """
    port = int(os.environ.get("ACCOUNTLINK_E2E_PORT", "8000"))
    start_timeout = float(os.environ.get("ACCOUNTLINK_E2E_START_TIMEOUT", "240"))
    if not _port_is_free(port):
        pytest.fail(
            f"Port {port} is already in use (a `make run` still running?). Stop that "
            f"server or pick another port with ACCOUNTLINK_E2E_PORT=<port>.",
            pytrace=False,
        )

    workdir = tmp_path_factory.mktemp("app_server")
    data_dir = app_data_dir
    log_path = workdir / "reflex.log"
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ACCOUNTLINK_DATA_DIR": str(data_dir),
        "ACCOUNTLINK_DATABASE_URL": app_database_url,
        "ACCOUNTLINK_DEMO": "1",
        "ACCOUNTLINK_MOUNT_SANDBOX": "1",
        "ACCOUNTLINK_SCHEDULER_RECONCILE_SECONDS": "1",
        # One organization runs the whole suite's connection tests and syncs: the
        # per-organization budget (10 tests, 5 syncs a minute) is not what these test.
        "ACCOUNTLINK_CONNECTION_TESTS_PER_MINUTE": "600",
        "ACCOUNTLINK_SYNCS_PER_MINUTE": "600",
        # Every browser test signs in from 127.0.0.1: the per-address throttle (covered by
        # tests/security) would otherwise carry one test's wrong passwords into the next.
        "ACCOUNTLINK_SIGNIN_ADDRESS_FREE_FAILURES": "1000",
        "ACCOUNTLINK_SIGNIN_ADDRESS_LOCKOUT_FAILURES": "5000",
        "ACCOUNTLINK_SANDBOX_URL": f"{base_url}/sandbox",
        "REFLEX_STATES_WORKDIR": str(app_states_dir),
    }

    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                "bash",
                "-c",
                'source scripts/env.sh && exec reflex run --env prod --loglevel info --frontend-port "$0" --backend-port "$0"',
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    try:
        deadline = time.monotonic() + start_timeout
        with httpx.Client(timeout=5, trust_env=False) as client:
            while not _server_is_ready(client, base_url):
                if process.poll() is not None:
                    pytest.fail(
                        f"`reflex run --env prod` exited with {process.returncode} before "
                        f"serving {base_url}. Log {log_path}, last lines:\n{_log_tail(log_path)}",
                        pytrace=False,
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"The app did not serve {base_url} within {start_timeout:.0f} s "
                        f"(ACCOUNTLINK_E2E_START_TIMEOUT). Log {log_path}, last lines:\n"
                        f"{_log_tail(log_path)}",
                        pytrace=False,
                    )
                time.sleep(0.5)
        _APP_SERVER[:] = [(base_url, log_path)]
        yield base_url
    finally:
        _APP_SERVER.clear()
        _stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium shared by the session."""
    executable = os.environ.get("ACCOUNTLINK_CHROMIUM", DEFAULT_CHROMIUM)
    if not os.access(executable, os.X_OK):
        pytest.fail(
            f"No Chromium at {executable}. Run `bash scripts/ensure_chromium.sh` (installs "
            f"the Debian package as root) or set ACCOUNTLINK_CHROMIUM=/path/to/chromium.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _screenshot_path(name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


@pytest.fixture
def page(browser: Browser, app_server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context per test, with relative URLs resolving to the app."""
    # A browser preferring English: the demo organizations default to Norwegian, and the
    # English tests select by English labels (tests/e2e/test_norwegian.py sets nb-NO).
    context = browser.new_context(viewport=VIEWPORT, base_url=app_server, locale=BROWSER_LOCALE)
    tab = context.new_page()
    request.node._browser_journal = BrowserJournal(tab)
    try:
        yield tab
        report = getattr(request.node, "_report_call", None)
        if report is not None and report.failed:
            # Best effort: a page stuck mid-navigation never paints, and a screenshot that
            # times out must not add an error to the failure it was meant to show.
            with contextlib.suppress(PlaywrightError):
                tab.screenshot(
                    path=_screenshot_path(f"{request.node.name}-failed"),
                    full_page=True,
                    timeout=5_000,
                )
    finally:
        context.close()


@pytest.fixture
def screenshot(page: Page) -> Callable[..., Path]:
    """``screenshot("wizard-step-2")`` saves the test's page to test-results/screenshots/."""

    def save(name: str, *, target: Page | None = None, full_page: bool = True) -> Path:
        path = _screenshot_path(name)
        (target or page).screenshot(path=path, full_page=full_page)
        return path

    return save


@pytest.fixture
def no_integrations(app_server: str, app_database_url: str) -> Iterator[None]:
    """Start a test with no integrations and a fresh sandbox, so order never matters."""
    from sqlalchemy import text

    from accountlink_ui.db import engine_for

    with engine_for(app_database_url).begin() as connection:
        for statement in (
            "DELETE FROM sync_runs",
            "DELETE FROM scheduler_leases WHERE name LIKE 'sync:%'",
            "DELETE FROM credential_versions",
            "DELETE FROM posting_settings_versions",
            "DELETE FROM integration_incidents",
            "DELETE FROM integrations",
            "UPDATE users SET locale = NULL",  # no saved language: the browser decides
            "UPDATE expense_claims SET status = 'approved', external_reference = NULL, "
            "exported_at = NULL, exported_integration_id = NULL, last_error = NULL",
        ):
            connection.execute(text(statement))
    httpx.post(f"{app_server}/sandbox/_control/reset", timeout=5)
    yield
    httpx.delete(f"{app_server}/sandbox/_control/faults", timeout=5)
