"""The API's call budgets: per token, and per organization over all its tokens.

Connection tests and syncs call the organization's accounting system, which
rate-limits AccountLink in turn (Xledger answers BURST_RATE_LIMIT_REACHED), so each
token gets its own small budget, and all tokens of one organization share a larger
one: an admin (or a stolen admin session) creating token after token gets no fresh
budget for the organization. The budgets are rows in the database (``api_calls``,
``call_windows_repository``), so every backend worker spends from the same ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine

from accountlink_ui import call_windows_repository as windows
from accountlink_ui.db import session_scope
from accountlink_ui.models import utcnow
from accountlink_ui.settings import Settings


@dataclass(frozen=True)
class RateLimit:
    calls: int = 10
    """Per token and action."""
    per_seconds: float = 60.0
    organization_calls: int = 30
    """Per organization and action, over all its tokens (``api_organization_budget``)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimit:
        """The operator's organization budget (``ACCOUNTLINK_API_ORGANIZATION_BUDGET``)."""
        return cls(organization_calls=settings.api_organization_budget)


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    """Whole seconds until one more call is allowed (the Retry-After header)."""
    scope: Literal["token", "organization"] = "token"
    """Which budget is spent: the token's own, or its organization's."""


def seconds_until_free(
    recent: Sequence[datetime], allowed: int, window: timedelta, now: datetime
) -> int | None:
    """None while fewer than ``allowed`` calls (oldest first) are in the window; otherwise
    the whole seconds until the oldest leaves it (at least 1)."""
    if len(recent) < allowed:
        return None
    return max(1, math.ceil((recent[0] + window - now).total_seconds()))


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
            organization_id = windows.token_organization(session, token_id)
            windows.lock_organization(session, organization_id)
            windows.forget_api_calls(session, organization_id, action, before=now - window)
            token_calls = windows.api_call_times(
                session, action, limit=self.limit.calls, token_id=token_id
            )
            organization_calls = windows.api_call_times(
                session,
                action,
                limit=self.limit.organization_calls,
                organization_id=organization_id,
            )
            budgets: tuple[tuple[Literal["token", "organization"], list[datetime], int], ...] = (
                ("token", token_calls, self.limit.calls),
                ("organization", organization_calls, self.limit.organization_calls),
            )
            refusals = [
                Refusal(wait, scope)
                for scope, recent, allowed in budgets
                if (wait := seconds_until_free(recent, allowed, window, now)) is not None
            ]
            if refusals:
                return max(refusals, key=lambda refusal: refusal.retry_after)
            windows.add_api_call(session, token_id, action, now)
        return None

    def reset(self, engine: Engine) -> None:
        """Forget every spent call (tests, and an operator lifting a block by hand)."""
        with session_scope(engine) as session:
            windows.forget_all_api_calls(session)
