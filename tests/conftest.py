"""What every test needs: settings that cannot reach a developer's real data.

``make run`` and an operator's shell may export ``ACCOUNTLINK_*`` variables
(database URL, master keys, data directory). Tests must never pick those up, so
they are removed before any test module imports the settings, and the data
directory points at a throwaway folder. Variables meant for the test run itself
(``ACCOUNTLINK_TEST_*``, ``ACCOUNTLINK_E2E_*``, ``ACCOUNTLINK_CHROMIUM``) stay.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_KEEP_PREFIXES = ("ACCOUNTLINK_TEST_", "ACCOUNTLINK_E2E_", "ACCOUNTLINK_CHROMIUM")

for _name in [name for name in os.environ if name.startswith("ACCOUNTLINK_")]:
    if not _name.startswith(_KEEP_PREFIXES):
        del os.environ[_name]

_DATA_DIR = tempfile.mkdtemp(prefix="accountlink-test-data-")
os.environ["ACCOUNTLINK_DATA_DIR"] = _DATA_DIR


E2E_DIR = Path(__file__).parent / "e2e"

# The shared fixtures (one sandbox server per process); see tests/support/fixtures.py.
pytest_plugins = ["tests.support.fixtures"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e as e2e (so ``-m "not e2e"`` skips it) and run it first.

    First, because all browser tests form one long unit of work for one xdist worker
    (see ``pytest_xdist_make_scheduler``): started early, it overlaps the rest.
    """
    browser_tests = [item for item in items if E2E_DIR in item.path.parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    others = [item for item in items if E2E_DIR not in item.path.parents]
    items[:] = browser_tests + others


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Spread tests one by one over the workers, except the browser tests, kept together.

    The browser tests drive one session-scoped app server on one port, so they must
    share a worker. xdist's own ``loadgroup`` cannot do this under pytest 9 (it renames
    ``item._nodeid``, which pytest 9 no longer reads), so this scheduler makes the
    e2e directory a single scope and every other test a scope of its own.
    """
    from xdist.scheduler import LoadScopeScheduling

    e2e_prefix = E2E_DIR.relative_to(config.rootpath).as_posix() + "/"

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "e2e" if nodeid.startswith(e2e_prefix) else nodeid

    return BrowserTestsTogether(config, log)  # type: ignore[arg-type]


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A fresh, migrated database of each kind: SQLite always, PostgreSQL when configured."""
    # Imported here: the application's modules must load after the clean-up above.
    from tests.support.databases import postgres_database, sqlite_database

    if request.param == "sqlite":
        return sqlite_database(tmp_path, tmp_path_factory.getbasetemp())
    return postgres_database()
