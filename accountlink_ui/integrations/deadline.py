"""A deadline shared by every request of one operation (e.g. a connection test)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Deadline:
    """``seconds`` from creation; requests take their timeouts from what remains."""

    seconds: float
    _started: float = field(default_factory=time.monotonic, repr=False)

    def remaining(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self._started))

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self._started
