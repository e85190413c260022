"""Limits that keep one caller from exhausting the API or the accounting systems behind it.

Bodies are capped before any route runs. Connection tests and syncs call the
organization's accounting system, which rate-limits AccountLink in turn (Xledger
answers BURST_RATE_LIMIT_REACHED), so each token gets its own small budget, and
all tokens of one organization share a larger one: an admin (or a stolen admin
session) creating token after token gets no fresh budget for the organization.
The budgets are kept in the database (``api_calls``), so every backend worker
spends from the same ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, Engine, delete
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accountlink_ui.db import session_scope
from accountlink_ui.models import ApiCall, ApiToken, Organization, as_utc, utcnow

MAX_BODY_BYTES = 64 * 1024
MAX_CLAIMS_BODY_BYTES = 1024 * 1024
"""POST /claims: a batch of 500 claims at their longest fields fits in 1 MiB."""


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whether declared or streamed.

    A streamed (chunked) body is read up to the cap before any route runs and then
    replayed, so the cap holds even for routes that never read their body.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        larger: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}
        """(method, path ending) → a larger cap for that route (POST /claims)."""

    def _cap(self, scope: Scope) -> int:
        path = str(scope.get("path", "")).rstrip("/")
        for (method, ending), cap in self.larger.items():
            if scope.get("method") == method and path.endswith(ending):
                return cap
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > cap:
                await self._refuse(send, cap)
                return
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > cap:
                await self._refuse(send, cap)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, cap: int) -> None:
        body = json.dumps(
            {
                "detail": f"The request body is larger than {cap // 1024} KiB; "
                "this API accepts small JSON bodies only."
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class RateLimit:
    calls: int = 10
    """Per token and action."""
    per_seconds: float = 60.0
    organization_calls: int = 30
    """Per organization and action, over all its tokens (``api_organization_budget``)."""


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    """Whole seconds until one more call is allowed (the Retry-After header)."""
    scope: Literal["token", "organization"] = "token"
    """Which budget is spent: the token's own, or its organization's."""


class RateLimiter:
    """Sliding windows per token and per organization, for each action.

    A call is allowed when the token made fewer than ``calls`` and the token's
    organization (all its tokens, revoked ones included) fewer than
    ``organization_calls`` in the last ``per_seconds``. Each allowed call is a row;
    rows that left the window are deleted by the next call. Callers of one
    organization take turns: PostgreSQL locks the organization's row, and SQLite
    takes its single write lock at the first statement of the transaction (the delete).
    """

    def __init__(
        self, limit: RateLimit = RateLimit(), clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.limit = limit
        self._clock = clock

    def take(self, engine: Engine, token_id: int, action: str) -> Refusal | None:
        """Count one call; a Refusal (and no count) when the budget is spent."""
        now = self._clock()
        window = timedelta(seconds=self.limit.per_seconds)
        with session_scope(engine) as session:
            organization_id = session.execute(
                select(ApiToken.organization_id).where(col(ApiToken.id) == token_id)
            ).scalar_one()
            session.execute(
                select(Organization.id)
                .where(col(Organization.id) == organization_id)
                .with_for_update()
            )
            same_org = col(ApiCall.token_id).in_(
                select(ApiToken.id).where(col(ApiToken.organization_id) == organization_id)
            )
            action_is = col(ApiCall.action) == action
            session.execute(
                delete(ApiCall).where(same_org, action_is, col(ApiCall.at) <= now - window)
            )
            budgets: tuple[
                tuple[Literal["token", "organization"], ColumnElement[bool], int], ...
            ] = (
                ("token", col(ApiCall.token_id) == token_id, self.limit.calls),
                ("organization", same_org, self.limit.organization_calls),
            )
            refusals: list[Refusal] = []
            for scope, whose, allowed in budgets:
                calls = session.execute(
                    select(ApiCall.at)
                    .where(whose, action_is)
                    .order_by(col(ApiCall.at))
                    .limit(allowed)
                ).scalars()
                recent: list[datetime] = [as_utc(at) for at in calls]
                if len(recent) >= allowed:
                    wait = (recent[0] + window - now).total_seconds()
                    refusals.append(Refusal(max(1, math.ceil(wait)), scope))
            if refusals:
                return max(refusals, key=lambda refusal: refusal.retry_after)
            session.add(ApiCall(token_id=token_id, action=action, at=now))
        return None

    def reset(self, engine: Engine) -> None:
        """Forget every spent call (tests, and an operator lifting a block by hand)."""
        with session_scope(engine) as session:
            session.execute(delete(ApiCall))
