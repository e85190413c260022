"""A webhook receiver for demos and tests: what an organization's app would run.

``POST /webhooks/receiver`` checks the Standard Webhooks signature against the secrets
it was given (``POST /_control/webhooks {"secret": "whsec_..."}``; the demo seed gives
it the demo endpoint's), keeps what arrived (verified or not) and answers 204, or the
status of an armed failure (``{"fail_next": 3, "status": 503}``) so a demo or a test
can watch AccountLink retry. ``GET /_control/webhooks`` reads what arrived;
``DELETE`` forgets it all. Repeats (the same ``webhook-id``) are kept too, marked, as
a receiver that drops repeats would see them.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox import demo_credentials as demo

MAX_KEPT = 1_000
MAX_BODY = 256 * 1024


class WebhookInbox:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: list[str] = [demo.DEMO_WEBHOOK_SECRET]
        self._arrived: list[dict[str, Any]] = []
        self._fail_next = 0
        self._fail_status = 500
        self._hold_seconds = 0.0
        self.epoch = 0

    def reset(self) -> None:
        """Forget what arrived and any armed failure; keep the secrets (like the demo
        credentials, they outlive a reset)."""
        with self._lock:
            self._arrived = []
            self._fail_next = 0
            self._fail_status = 500
            self._hold_seconds = 0.0
            self.epoch += 1  # ends holds in progress

    def add_secret(self, secret: str) -> None:
        Webhook(secret)  # refuses what is not a secret
        with self._lock:
            if secret not in self._secrets:
                self._secrets.append(secret)

    def arm(self, fail_next: int, status: int, hold_seconds: float = 0.0) -> None:
        """The next ``fail_next`` deliveries answer ``status``; with ``hold_seconds``, only
        after holding the answer back that long (a receiver that stalls: the sender may be
        killed before it learns the answer)."""
        with self._lock:
            self._fail_next, self._fail_status = fail_next, status
            self._hold_seconds = hold_seconds
            self.epoch += 1

    def arrived(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._arrived)

    def receive(self, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
        """Keep one delivery; the status to answer with, after how many seconds."""
        with self._lock:
            secrets = list(self._secrets)
        verified = False
        for secret in secrets:
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
                verified = True
                break
            except (WebhookVerificationError, ValueError):
                continue
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        with self._lock:
            status, hold = 204, 0.0
            if self._fail_next > 0:
                self._fail_next -= 1
                status, hold = self._fail_status, self._hold_seconds
            webhook_id = headers.get("webhook-id", "")
            seen = any(entry["webhook_id"] == webhook_id for entry in self._arrived)
            self._arrived.append(
                {
                    "received_at": time.time(),
                    "webhook_id": webhook_id,
                    "timestamp": headers.get("webhook-timestamp", ""),
                    "signature": headers.get("webhook-signature", ""),
                    "verified": verified,
                    "repeat": seen,
                    "answered": status,
                    "type": event.get("type") if isinstance(event, dict) else None,
                    "event": event,
                    "body": body.decode(errors="replace"),
                }
            )
            del self._arrived[:-MAX_KEPT]
            return status, hold


def webhook_receiver_routes(inbox: WebhookInbox, *, control: bool) -> list[Route]:
    async def receiver(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"detail": "Body too large."}, 413)
        headers = {key.lower(): value for key, value in request.headers.items()}
        epoch = inbox.epoch
        status, hold = inbox.receive(body, headers)
        until = time.monotonic() + hold
        while time.monotonic() < until and inbox.epoch == epoch:
            await asyncio.sleep(0.05)
        return Response(status_code=status)

    async def control_webhooks(request: Request) -> Response:
        if request.method == "DELETE":
            inbox.reset()
            return JSONResponse({"reset": True})
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
                allowed = {"secret", "fail_next", "status", "hold_seconds"}
                if not isinstance(body, dict) or set(body) - allowed:
                    raise ValueError(f"Send a JSON object with any of {sorted(allowed)}.")
                if "secret" in body:
                    inbox.add_secret(str(body["secret"]))
                if "fail_next" in body:
                    fail_next, status = int(body["fail_next"]), int(body.get("status", 500))
                    hold = float(body.get("hold_seconds", 0.0))
                    if (
                        not 0 <= fail_next <= 1000
                        or not 200 <= status <= 599
                        or not 0 <= hold <= 120
                    ):
                        raise ValueError(
                            "fail_next is 0..1000, status 200..599, hold_seconds 0..120."
                        )
                    inbox.arm(fail_next, status, hold)
            except (ValueError, TypeError) as error:
                return JSONResponse({"detail": str(error)}, 422)
        return JSONResponse({"arrived": inbox.arrived()})

    routes = [Route("/webhooks/receiver", receiver, methods=["POST"])]
    if control:
        routes.append(
            Route("/_control/webhooks", control_webhooks, methods=["GET", "POST", "DELETE"])
        )
    return routes
