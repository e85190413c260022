"""Running the sandbox: in the foreground for demos, in a thread for tests.

`running_sandbox()` picks a free port itself, so parallel test sessions never
collide, and shuts uvicorn down cleanly even while a `hang` fault is sleeping.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from accountlink_ui.sandbox.app import create_sandbox_app
from accountlink_ui.sandbox.state import SandboxState

STARTUP_TIMEOUT_SECONDS = 10.0
SHUTDOWN_TIMEOUT_SECONDS = 10.0
# In-flight requests (a hang fault) get this long before uvicorn cancels them.
GRACEFUL_SHUTDOWN_SECONDS = 1


def serve(host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve a fresh demo-seeded sandbox until interrupted (`accountlink sandbox`)."""
    uvicorn.run(create_sandbox_app(), host=host, port=port)


@contextmanager
def running_sandbox(
    state: SandboxState | None = None,
    *,
    tls: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
) -> Iterator[str]:
    """Serve the sandbox on a free port in a background thread; yield its base URL.

    With `tls` (a server-side SSLContext, e.g. from trustme) it speaks HTTPS,
    which MSAL requires of an authority.
    """
    state = state or SandboxState()
    with running_app(create_sandbox_app(state), tls=tls, host=host, state=state) as base_url:
        yield base_url


@contextmanager
def running_app(
    app: ASGIApp,
    *,
    tls: ssl.SSLContext | None = None,
    host: str = "127.0.0.1",
    state: SandboxState | None = None,
) -> Iterator[str]:
    """Serve any ASGI app like `running_sandbox` does (e.g. the sandbox under a Mount).

    Pass the sandbox `state` so hangs in progress end at once when the server stops.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=0,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        ssl_context_factory=(lambda _config, _default: tls) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="accountlink-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("The sandbox server did not start; see the uvicorn log above.")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    scheme = "https" if tls else "http"
    try:
        yield f"{scheme}://{host}:{port}"
    finally:
        if state is not None:
            state.release_hangs()
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_SECONDS)
