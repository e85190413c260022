"""Time for tests: a clock that moves only when the test moves it, and waiting on a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass
class FakeClock:
    """Injected wherever the product takes a ``clock``: expiry and leases without waiting."""

    now: datetime = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        """``advance(29)`` or ``advance(minutes=30, seconds=1)``."""
        self.now += timedelta(seconds=seconds, **delta)


def wait_for(condition: Callable[[], object], *, timeout: float = 5.0, what: str = "") -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` at the deadline.

    For what happens in another thread or process (a scheduler firing, a server coming
    up) where there is no event to wait on: the test waits only as long as it must.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)
