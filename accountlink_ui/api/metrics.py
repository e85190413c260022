"""``/metrics``: Prometheus' scrape of this deployment, behind a bearer token when one is set.

The metrics say how busy the deployment is and which systems its organizations use,
so they are not for anonymous callers once the operator sets
``ACCOUNTLINK_METRICS_TOKEN``; the demo (no token) answers anyone on its own port.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from accountlink_ui.services import metrics
from accountlink_ui.services.wiring import Services
from accountlink_ui.settings import Settings

TOKEN_SETTING = "ACCOUNTLINK_METRICS_TOKEN"


def required_scrape_token(settings: Settings) -> str | None:
    """The token a scrape must send, or None when ``/metrics`` is open.

    The one place that decides: production mode should refuse to start without
    ``ACCOUNTLINK_METRICS_TOKEN`` (then this never returns None there).
    """
    return settings.metrics_token or None


def scrape_allowed(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Constant time: how much of a guess matched must not show in the answer's timing.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def metrics_endpoint(services: Callable[[], Services]) -> Callable[[Request], object]:
    """The ``/metrics`` handler over whichever services the app runs with."""

    async def metrics_route(request: Request) -> Response:
        built = services()
        if not scrape_allowed(request, required_scrape_token(built.settings)):
            return PlainTextResponse(
                f"A scrape needs the token set in {TOKEN_SETTING}: "
                "send it as 'Authorization: Bearer <token>'.",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
            )
        body = await run_in_threadpool(metrics.render, lambda: built.engine)
        return Response(
            body, media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"}
        )

    return metrics_route
