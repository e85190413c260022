"""The /api/v1 application: routes, error shapes, limits and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from accountlink_ui.api import claim_messages, errors
from accountlink_ui.api.limits import MAX_BODY_BYTES, MAX_CLAIMS_BODY_BYTES, BodySizeLimit
from accountlink_ui.api.routes import audit, claims, integrations, webhooks
from accountlink_ui.services.rate_limits import RateLimit, RateLimiter
from accountlink_ui.services.wiring import Services, get_services

DOCS_ASSETS = "/docs-assets"
DESCRIPTION = """\
Monitor and operate an organization's accounting integrations with `curl` and a token.

Authenticate with an organization API token (Settings → API tokens) sent as
`Authorization: Bearer alk_...`. Every answer is JSON; errors are
`{"detail": "..."}`. Connection tests and syncs are limited per token and,
over all its tokens, per organization (429 with `Retry-After`). No answer ever
contains a credential.

**Sending claims from your app.** `POST /claims` takes one claim or `{"claims": [...]}`
with up to 500; a request is stored whole or not at all (422 lists every invalid claim
by index, id and field; 409 names the fields of a claim id sent before with other
values). Send the same claims again safely: unchanged claims are answered from what is
stored, and an `Idempotency-Key` header replays the first answer for 24 hours. Read
their status with `GET /claims` (filters, cursor pages) and `GET /claims/{claim_id}`,
using your app's own claim id. API tokens carry no scopes yet: every token of an
organization may send and read its claims (tokens are created by admins, per purpose,
and revoked one by one).
"""


def create_api_app(
    services: Callable[[], Services] = get_services,
    *,
    rate_limit: RateLimit | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """Build the API over ``services``, called per request so the app builds them lazily."""
    # FastAPIOffline: the docs page loads Swagger UI from the installed package
    # (/docs-assets/...), not from a CDN, so it works offline and leaks no visits.
    app = FastAPIOffline(
        title="AccountLink API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        static_url=DOCS_ASSETS,
        swagger_ui_parameters={"validatorUrl": None},
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.services = services
    # A test's own budgets; None means the services' (``Services.rate_limits``).
    app.state.limiter = RateLimiter(rate_limit) if rate_limit is not None else None
    app.add_middleware(
        BodySizeLimit,
        max_bytes=max_body_bytes,
        larger={("POST", "/claims"): max(max_body_bytes, MAX_CLAIMS_BODY_BYTES)},
    )
    errors.install(app)
    claim_messages.install(app)
    app.include_router(integrations.router)
    app.include_router(audit.router)
    app.include_router(webhooks.router)
    app.include_router(claims.router)
    app.include_router(claims.settings_router)
    return app
