"""A recording HTTP server standing in for a host an attacker controls, and the seeded
world the secret-destination tests run in (real adapters against the sandbox).

The recorder answers every request with 200 and a token-shaped JSON body (so a leaking
client would carry on), and keeps each request's raw text (request line, headers, body)
for the assertions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.views import Actor
from tests.support.sandbox import Sandbox
from tests.support.world import SeededWorld


@dataclass
class Recorder:
    base: str
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self) -> list[str]:
        with self.lock:
            return list(self.requests)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _record_and_answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode("latin-1") if length else ""
            with recorder.lock:
                recorder.requests.append(f"{self.requestline}\n{self.headers}\n{body}")
            payload = json.dumps(
                {"access_token": "recorded", "token_type": "Bearer", "expires_in": 3600}
            ).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _record_and_answer

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test output is not the place for the recorded requests."""

    return Handler


@contextmanager
def running_recorder() -> Iterator[Recorder]:
    recorder = Recorder(base="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    recorder.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@dataclass(repr=False)
class DestinationWorld(SeededWorld):
    sandbox: Sandbox = field(kw_only=True)
    recorder: Recorder = field(kw_only=True)

    @property
    def admin(self) -> Actor:
        return self.bf_admin

    @property
    def org(self) -> int:
        return self.bf_org

    def connect(self, draft: ConnectionDraft) -> int:
        """Set an integration up as the wizard does (test, then save with the proof)."""
        integration_id = self.save_integration(draft)
        self.sandbox.state.reset()
        self.recorder.clear()
        return integration_id
