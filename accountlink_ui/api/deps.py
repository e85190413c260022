"""Who is calling and with what: typed dependencies every route states in its signature.

``Caller`` resolves the bearer token to an ``ApiActor`` (or answers 401), so a
route cannot forget authentication; ``AppServices`` is whatever services the
app was built with (the running app's, or a test's). Which organization a token
may reach is the services' decision (``services/access.require_admin``): a route
passes the caller and never compares organization ids itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accountlink_ui.services.api_token_service import ApiActor
from accountlink_ui.services.rate_limits import RateLimiter
from accountlink_ui.services.wiring import Services

REALM = 'Bearer realm="AccountLink API"'
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="OrganizationToken",
    description="An organization API token from Settings → API tokens, sent as "
    "`Authorization: Bearer alk_...`.",
)


def _services(request: Request) -> Services:
    provider: Callable[[], Services] = request.app.state.services
    return provider()


AppServices = Annotated[Services, Depends(_services)]


def unauthorized(detail: str, *, invalid: bool) -> HTTPException:
    challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})


def _caller(
    services: AppServices,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiActor:
    if credentials is None:
        raise unauthorized(
            "Send an organization API token as 'Authorization: Bearer <token>'. "
            "An admin creates one under Settings → API tokens.",
            invalid=False,
        )
    actor = services.api_tokens.authenticate(credentials.credentials)
    if actor is None:
        raise unauthorized(
            "This API token is not valid: it is mistyped, revoked, or its creator is no longer "
            "an admin of the organization. Create a new one under Settings → API tokens.",
            invalid=True,
        )
    return actor


Caller = Annotated[ApiActor, Depends(_caller)]


def rate_limited(action: str, description: str) -> Callable[..., None]:
    """A dependency spending one unit of the token's budget for ``action`` (429 when spent)."""

    def spend(request: Request, caller: Caller, services: AppServices) -> None:
        limiter: RateLimiter = request.app.state.limiter or services.rate_limits
        refusal = limiter.take(services.engine, caller.token_id, action)
        if refusal is not None:
            limit = limiter.limit
            if refusal.scope == "organization":
                spent = (
                    f"Too many {description} for this organization: at most "
                    f"{limit.organization_calls} per {limit.per_seconds:g} seconds across all "
                    "its API tokens."
                )
            else:
                spent = (
                    f"Too many {description} with this token: at most {limit.calls} per "
                    f"{limit.per_seconds:g} seconds."
                )
            raise HTTPException(
                status_code=429,
                detail=f"{spent} Try again in {refusal.retry_after} s.",
                headers={"Retry-After": str(refusal.retry_after)},
            )

    return spend
