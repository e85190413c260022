"""Shared helpers for the outbox tests: an independent Standard Webhooks check, written from
the spec (not with the library the product signs with), and a local SMTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def signature_matches(
    secret: str, webhook_id: str, timestamp: str, body: bytes, header: str
) -> bool:
    """Standard Webhooks, section "Verifying webhooks": the key is the base64 after
    ``whsec_``; the signed content is ``id.timestamp.body``; the header holds space-separated
    ``v1,<base64 HMAC-SHA256>`` entries, any of which may match."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for entry in header.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(signature), expected):
            return True
    return False


def arrival_verifies(secret: str, arrival: dict[str, Any]) -> bool:
    """One entry of the sandbox receiver's log, checked by hand."""
    return signature_matches(
        secret,
        arrival["webhook_id"],
        arrival["timestamp"],
        arrival["body"].encode(),
        arrival["signature"],
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpSink:
    """What a local SMTP server received."""

    port: int
    messages: list[Message] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        with self.arrived:
            self.messages.append(message_from_bytes(envelope.content))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Message]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=seconds)
            return list(self.messages)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """An aiosmtpd server on a free port (aiosmtpd cannot start on port 0 itself)."""
    for _ in range(5):
        sink = SmtpSink(port=free_port())
        controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
        try:
            controller.start()
        except OSError:
            continue
        try:
            yield sink
        finally:
            controller.stop()
        return
    raise RuntimeError("no free port for the SMTP sink")
