"""When a sync tries a batch again, and how long it waits first.

The numbers live here, apart from the service, so they can be read (and
tuned) in one place. Waiting itself is the caller's injected ``sleep``, so
tests run the whole policy without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    """Per batch, the first try included: a target still failing after that is down."""
    base_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_wait_seconds: float = 120.0
    """A target asking for a longer pause (Xledger out of credits until ``resetAt``, a long
    ``Retry-After``) ends the run instead of holding a worker for hours; the run's error
    says when to expect it to work again, and a later run continues where this one stopped."""
    retry_after_jitter: float = 0.1
    """Up to this fraction is added to a ``retry_after``, so workers told the same pause do
    not all come back in the same instant."""

    def delay(
        self, failed_attempt: int, retry_after: float | None, random: Callable[[], float]
    ) -> float:
        """Seconds to wait after attempt ``failed_attempt`` (1 for the first try) failed.

        The target's own figure wins when it gave one (never less than it asked);
        otherwise exponential backoff with "equal jitter": between half and all of
        ``base * 2**(n-1)``, capped, so retries spread out but never bunch at zero.
        """
        if retry_after is not None:
            wait = max(0.0, retry_after)
            return wait + wait * self.retry_after_jitter * random()
        ceiling = min(self.max_backoff_seconds, self.base_seconds * 2.0 ** (failed_attempt - 1))
        return ceiling / 2 + ceiling / 2 * random()

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    def too_long(self, wait: float) -> bool:
        return wait > self.max_wait_seconds
