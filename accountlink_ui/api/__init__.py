"""Integration Edge Functions: the JSON API under /api/v1 and the readiness check.

``api_routes()`` is what the app mounts in front of Reflex (see ``asgi.py``);
tests serve the same routes on their own with their own services.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.routing import Mount, Route

from accountlink_ui.api.app import create_api_app
from accountlink_ui.api.health import readiness_endpoint
from accountlink_ui.api.limits import MAX_BODY_BYTES
from accountlink_ui.api.metrics import metrics_endpoint
from accountlink_ui.services.rate_limits import RateLimit
from accountlink_ui.services.wiring import Services, get_services

API_PREFIX = "/api/v1"

__all__ = ["API_PREFIX", "api_routes", "create_api_app"]


class ApiMount(Mount):
    """``Mount`` whose path pattern also matches a decoded newline (``%0A``) in the path.

    Starlette's pattern for a mount is ``^/api/v1/(?P<path>.*)$``, and ``.`` stops at a
    newline: ``/api/v1/integrations/%0A/sync`` fell through to the outer app's plain-text
    404 instead of the API's JSON answer (found by Schemathesis).
    """

    def __init__(self, path: str, app: Any) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def api_routes(
    services: Callable[[], Services] = get_services,
    *,
    rate_limit: RateLimit | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> list[Route | Mount]:
    """``/readyz``, ``/metrics`` and the API at ``/api/v1``; the limits go to ``create_api_app``."""
    return [
        Route("/readyz", readiness_endpoint(services)),
        Route("/metrics", metrics_endpoint(services)),
        ApiMount(
            API_PREFIX,
            app=create_api_app(services, rate_limit=rate_limit, max_body_bytes=max_body_bytes),
        ),
    ]
