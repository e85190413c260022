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

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from accountlink_ui.api.errors import SaidHTTPException
from accountlink_ui.i18n import Message
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


def unauthorized(said: Message, *, invalid: bool) -> SaidHTTPException:
    challenge = f'{REALM}, error="invalid_token"' if invalid else REALM
    return SaidHTTPException(401, said, headers={"WWW-Authenticate": challenge})


def _caller(
    services: AppServices,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiActor:
    if credentials is None:
        raise unauthorized(Message.of("api.token_missing"), invalid=False)
    actor = services.api_tokens.authenticate(credentials.credentials)
    if actor is None:
        raise unauthorized(Message.of("api.token_invalid"), invalid=True)
    return actor


Caller = Annotated[ApiActor, Depends(_caller)]


def rate_limited(action: str, what: str) -> Callable[..., None]:
    """A dependency spending one unit of the token's budget for ``action`` (429 when spent);
    ``what`` names the work in the catalogue (``work.what.<what>``)."""

    def spend(request: Request, caller: Caller, services: AppServices) -> None:
        limiter: RateLimiter = request.app.state.limiter or services.rate_limits
        refusal = limiter.take(services.engine, caller.token_id, action)
        if refusal is not None:
            limit = limiter.limit
            organization = refusal.scope == "organization"
            raise SaidHTTPException(
                429,
                Message.of(
                    "api.rate_limited_organization" if organization else "api.rate_limited_token",
                    what=Message.of(f"work.what.{what}"),
                    calls=limit.organization_calls if organization else limit.calls,
                    seconds=limit.per_seconds,
                    retry_after=refusal.retry_after,
                ),
                headers={"Retry-After": str(refusal.retry_after)},
            )

    return spend
