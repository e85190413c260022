"""A stand-in app process for the crash test: one sync run, until it ends or is killed.

Run as ``python -m tests.sync.sync_process DATABASE_URL SANDBOX_URL DATA_DIR KEY_FILE
INTEGRATION_ID LEASE_SECONDS``. It uses the real adapters against the sandbox and the
same database and master key as the test, as another app worker would.
"""

from __future__ import annotations

import sys
from pathlib import Path

from accountlink_ui.integrations.registry import default_registry
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.wiring import build_services
from tests.support.sandbox import Sandbox


def main(
    database_url: str,
    sandbox_url: str,
    data_dir: str,
    key_file: str,
    integration_id: str,
    lease_seconds: str,
) -> None:
    settings = Sandbox(sandbox_url, SandboxState()).settings(
        database_url=database_url,
        data_dir=Path(data_dir),
        master_key_file=Path(key_file),
        sync_lease_seconds=float(lease_seconds),
    )
    services = build_services(settings, adapters=default_registry(settings))
    services.sync.run(int(integration_id), trigger="schedule")


if __name__ == "__main__":
    main(*sys.argv[1:7])
