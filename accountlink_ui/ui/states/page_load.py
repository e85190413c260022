"""What a settings page shows while its data loads, when it is refused, and when it fails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import reflex as rx

from accountlink_ui.services.errors import ServiceError

log = logging.getLogger(__name__)

T = TypeVar("T")


class PageLoadState(rx.State, mixin=True):
    """A mixin: each page gets its own copy of these vars (see ``components.page_states``)."""

    loading: bool = True
    refused: str = ""
    """Why the service refused the signed-in person (not an admin, not a member)."""
    load_error: str = ""
    """The read failed (database down, a bug): the catalogue key of what could not be loaded
    (``"load.audit"``); the page says so in the reader's language instead of showing nothing."""

    def _read(self, fetch: Callable[[], T], what: str) -> T | None:
        """Run the page's read: its result, or None with the refusal or failure recorded.

        ``what`` is the catalogue key naming the data, as in "The audit trail could not be
        loaded".
        """
        outcome = read_outcome(fetch, what)
        self._show_outcome(outcome)
        return outcome.result

    def _show_outcome(self, outcome: ReadOutcome[object]) -> None:
        """Record a read's refusal or failure (assigning only what changed)."""
        if self.refused != outcome.refused:
            self.refused = outcome.refused
        if self.load_error != outcome.load_error:
            self.load_error = outcome.load_error


@dataclass(frozen=True)
class ReadOutcome(Generic[T]):
    """A page read's result, or why there is none (the service refused, or the read failed)."""

    result: T | None = None
    refused: str = ""
    load_error: str = ""


def read_outcome(fetch: Callable[[], T], what: str) -> ReadOutcome[T]:
    """Run a page's read anywhere (a worker thread too): it touches no state.

    ``what`` is the catalogue key naming the data (``"load.audit"``).
    """
    try:
        return ReadOutcome(result=fetch())
    except ServiceError as refused:
        return ReadOutcome(refused=str(refused))
    except Exception:
        log.exception("%s could not be loaded", what)
        return ReadOutcome(load_error=what)
