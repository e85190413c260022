"""The app's backend in a process group of its own, for the benchmarks that load it over
HTTP and websockets (``sessions``, ``sign_in_flood``): start it, wait until ready, stop it
and every worker it spawned. Each bench decides the environment."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def launch(port: int, env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``reflex run --env prod --backend-only`` on 127.0.0.1:``port`` with exactly ``env``."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                "bash",
                "-c",
                'source scripts/env.sh && exec reflex run --env prod --backend-only --loglevel info --backend-port "$0"',
                str(port),
            ],
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Reflex and every child it spawned (the granian workers): the process group we started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, 15)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, 9)
    process.wait()


def wait_ready(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 300
    with httpx.Client(timeout=2, trust_env=False) as client:
        while True:
            try:
                if client.get(f"{base}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
                raise SystemExit(f"the backend did not start; last lines of {log_path}:\n{tail}")
            time.sleep(0.5)
