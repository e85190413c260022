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

_KEEP_PREFIXES = ("ACCOUNTLINK_TEST_", "ACCOUNTLINK_E2E_", "ACCOUNTLINK_CHROMIUM")

for _name in [name for name in os.environ if name.startswith("ACCOUNTLINK_")]:
    if not _name.startswith(_KEEP_PREFIXES):
        del os.environ[_name]

_DATA_DIR = tempfile.mkdtemp(prefix="accountlink-test-data-")
os.environ["ACCOUNTLINK_DATA_DIR"] = _DATA_DIR


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_DATA_DIR, ignore_errors=True)
