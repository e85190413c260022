"""Integration Edge Functions: the JSON API under /api/v1 and the readiness check.

``api_routes()`` is what the app mounts in front of Reflex (see ``asgi.py``);
tests serve the same routes on their own with their own services.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Mount, Route

from accountlink_ui.api.app import create_api_app
from accountlink_ui.api.health import readiness_endpoint
from accountlink_ui.api.metrics import metrics_endpoint
from accountlink_ui.services.wiring import Services, get_services

API_PREFIX = "/api/v1"

__all__ = ["API_PREFIX", "api_routes", "create_api_app"]


def api_routes(
    services: Callable[[], Services] = get_services, **options: object
) -> list[Route | Mount]:
    """``/readyz``, ``/metrics`` and the API at ``/api/v1``; ``options`` go to ``create_api_app``."""
    return [
        Route("/readyz", readiness_endpoint(services)),
        Route("/metrics", metrics_endpoint(services)),
        Mount(API_PREFIX, app=create_api_app(services, **options)),  # type: ignore[arg-type]
    ]
