"""Backend routes mounted beside Reflex's own: health checks, sign-in/out and the sandbox."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from accountlink_ui.api import api_routes
from accountlink_ui.request_ids import RequestIdMiddleware
from accountlink_ui.settings import get_settings
from accountlink_ui.web_links import link_routes
from accountlink_ui.web_session import SessionKeyMiddleware, session_routes


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def mount_backend_routes(reflex_app: ASGIApp) -> ASGIApp:
    """Put our routes in front of Reflex's; everything else falls through to Reflex.

    Reflex (its pages' websocket included) sees the session key, never the token.
    """
    routes: list[Route | Mount] = [Route("/healthz", healthz)]
    routes.extend(api_routes())  # /readyz, /metrics and the JSON API under /api/v1
    routes.extend(session_routes())  # POST /auth/sign-in, /auth/sign-out
    routes.extend(link_routes())  # /invite/<token>, /reset/<token> and what their pages post
    settings = get_settings()
    if settings.mount_sandbox:
        from accountlink_ui.sandbox.app import create_sandbox_app
        from accountlink_ui.sandbox.embedded import embedded_sandbox_state

        # Fault control only in the demo: outside it nobody should switch faults on.
        # The demo controls panel changes this same state in-process.
        sandbox = create_sandbox_app(embedded_sandbox_state(), control=settings.demo)
        routes.append(Mount("/sandbox", app=sandbox))
    routes.append(Mount("/", app=SessionKeyMiddleware(reflex_app)))
    return RequestIdMiddleware(Starlette(routes=routes))
