"""``mailer.send_now`` (invitations, resets) speaks SMTP to the operator's server, and sends nothing when unset."""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Iterator

import pytest

from accountlink_ui.services.mailer import send_now as send_mail
from accountlink_ui.settings import Settings


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server (no TLS, no auth) to receive one message."""

    received: list[bytes]

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.server.received.append(body)  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_a_message_reaches_the_smtp_server(smtp_server: tuple[int, list[bytes]]) -> None:
    port, received = smtp_server
    settings = Settings(smtp_url=f"smtp://127.0.0.1:{port}", smtp_from="al@example.org")
    sent = send_mail(settings, to="kari@bf.test", subject="Invitation", body="Open the link")
    assert sent is True
    [message] = received
    assert b"To: kari@bf.test" in message and b"From: al@example.org" in message
    assert b"Open the link" in message


def test_nothing_is_sent_without_smtp_or_when_the_server_is_gone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="accountlink_ui.services.mailer")
    assert send_mail(Settings(smtp_url=None), to="a@b.test", subject="s", body="b") is False
    assert "ACCOUNTLINK_SMTP_URL is not set" in caplog.text
    unreachable = Settings(smtp_url="smtp://127.0.0.1:9")  # discard port: refused
    assert send_mail(unreachable, to="a@b.test", subject="s", body="secret link") is False
    assert "secret link" not in caplog.text
