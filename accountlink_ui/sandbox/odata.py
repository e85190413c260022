"""What Business Central and Dataverse share: OData errors and Entra bearer tokens.

Both APIs accept only access tokens the Entra sandbox issued for their own
resource, and both answer failures as `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from accountlink_ui.sandbox.credentials import IssuedToken
from accountlink_ui.sandbox.endpoint import authorization
from accountlink_ui.sandbox.state import SandboxState


def odata_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An OData error; the message ends with a correlation id as Microsoft's do."""
    return JSONResponse(odata_error_body(code, message), status, headers=headers)


def odata_error_body(code: str, message: str) -> dict[str, Any]:
    """The body of an OData error (also an answer inside a `$batch`)."""
    return {"error": {"code": code, "message": f"{message} CorrelationId: {uuid.uuid4()}."}}


def entra_bearer(
    state: SandboxState, request: Request, resource: str, tenant: str | None = None
) -> IssuedToken | None:
    """The live Entra token in the Authorization header, if it was issued for `resource`.

    `tenant` (GUID or domain), when given, must name the tenant the token is from.
    """
    scheme, value = authorization(request)
    if scheme != "bearer" or not value:
        return None
    token = state.credentials.active_token(value, "entra")
    if token is None or token.resource != resource:
        return None
    if tenant is not None:
        named = state.credentials.resolve_tenant(tenant)
        if named is None or named.tenant_id != token.tenant_id:
            return None
    return token
