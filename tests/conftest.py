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
