"""Integration Edge Functions: the JSON API under /api/v1 and the readiness check.

``api_routes()`` is what the app mounts in front of Reflex (see ``asgi.py``);
tests serve the same routes on their own with their own services.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.routing import Mount, Route

from accountlink_ui.api.app import create_api_app
from accountlink_ui.api.health import readiness_endpoint
from accountlink_ui.services.wiring import Services, get_services

API_PREFIX = "/api/v1"

__all__ = ["API_PREFIX", "api_routes", "create_api_app"]


def api_routes(
    services: Callable[[], Services] = get_services, **options: object
) -> list[Route | Mount]:
    """``/readyz`` and the API mounted at ``/api/v1``; ``options`` go to ``create_api_app``."""
    api = Mount(API_PREFIX, app=create_api_app(services, **options))  # type: ignore[arg-type]
    # Starlette's pattern stops at a line break, so /api/v1/claims/a%0Ab/retry would fall
    # through to the host app's plain-text 404; matched, the API refuses it as JSON (422).
    api.path_regex = re.compile(api.path_regex.pattern, re.DOTALL)
    return [Route("/readyz", readiness_endpoint(services)), api]
