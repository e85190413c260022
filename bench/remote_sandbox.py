"""The sandbox in a process of its own, for the benchmarks: the systems it stands in for are
remote, so it must not share the measured process's interpreter (and its lock)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


@contextmanager
def remote_sandbox() -> Iterator[str]:
    """Serve a fresh demo sandbox on a free port in a child process; yield its base URL.

    In-process, its request handling would take turns with the code being measured on one
    interpreter lock, and work that overlaps a call (the sync's database writes) or merely
    follows it would be charged as if the target were waiting for it.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "accountlink_ui.cli", "sandbox", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/_control/faults", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(10)
