"""What a settings page shows while its data loads, when it is refused, and when it fails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

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
    """The read failed (database down, a bug): the page says so instead of showing nothing."""

    def _read(self, fetch: Callable[[], T], what: str) -> T | None:
        """Run the page's read: its result, or None with the refusal or failure recorded.

        ``what`` names the data for the admin, as in "The audit trail could not be loaded".
        """
        self.refused = self.load_error = ""
        try:
            return fetch()
        except ServiceError as refused:
            self.refused = str(refused)
        except Exception:
            log.exception("%s could not be loaded", what)
            self.load_error = f"{what} could not be loaded. Try again in a moment."
        return None
