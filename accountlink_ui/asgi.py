"""Backend routes mounted beside Reflex's own: health checks and the sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from accountlink_ui.api import api_routes
from accountlink_ui.settings import get_settings


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def mount_backend_routes(reflex_app: ASGIApp) -> ASGIApp:
    """Put our routes in front of Reflex's; everything else falls through to Reflex."""
    routes: list[Route | Mount] = [Route("/healthz", healthz)]
    routes.extend(api_routes())  # /readyz and the JSON API under /api/v1
    settings = get_settings()
    if settings.mount_sandbox:
        from accountlink_ui.sandbox.app import create_sandbox_app

        # Fault control only in the demo: outside it nobody should switch faults on.
        sandbox = create_sandbox_app(control=settings.demo)
        routes.append(Mount("/sandbox", app=sandbox))
    routes.append(Mount("/", app=reflex_app))
    return Starlette(routes=routes)
