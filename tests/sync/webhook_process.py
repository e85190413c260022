"""A stand-in app process for the outbox crash test: its outbox deliverer running, one sync
run, then it waits to be killed.

Run as ``python -m tests.sync.webhook_process DATABASE_URL SANDBOX_URL DATA_DIR KEY_FILE
INTEGRATION_ID``.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from accountlink_ui.integrations.registry import default_registry
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.wiring import build_services, outbox_deliverer
from tests.support.sandbox import Sandbox


def main(
    database_url: str, sandbox_url: str, data_dir: str, key_file: str, integration_id: str
) -> None:
    settings = Sandbox(sandbox_url, SandboxState()).settings(
        database_url=database_url, data_dir=Path(data_dir), master_key_file=Path(key_file)
    )
    services = build_services(settings, adapters=default_registry(settings))
    deliverer = outbox_deliverer(services)
    deliverer.start()
    services.sync.run(int(integration_id), trigger="schedule")
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main(*sys.argv[1:6])
