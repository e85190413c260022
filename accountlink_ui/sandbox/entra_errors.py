"""Microsoft Entra ID error answers, in Microsoft's exact body shape.

Adapters map the AADSTS code to the form field the admin must fix, so each code
here keeps the HTTP status, the OAuth `error` value and the wording Entra uses.
"""

from __future__ import annotations

import datetime as dt
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse

from accountlink_ui.sandbox.endpoint import sandbox_root

_CERT_DOCS = (
    "Review the documentation at "
    "https://docs.microsoft.com/en-us/azure/active-directory/develop/"
    "active-directory-certificate-credentials ."
)
_NOT_INSTALLED = (
    "This can happen if the application has not been installed by the administrator of the "
    "tenant or consented to by any user in the tenant."
)

# AADSTS code -> (HTTP status, OAuth error, message template).
AADSTS: dict[int, tuple[int, str, str]] = {
    7000215: (
        401,
        "invalid_client",
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        "client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
    ),
    7000222: (
        401,
        "invalid_client",
        "The provided client secret keys for app '{client_id}' are expired. Visit the Azure "
        "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider "
        "using certificate credentials for added security: https://aka.ms/certCreds.",
    ),
    7000218: (
        401,
        "invalid_client",
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
    ),
    700016: (
        400,
        "unauthorized_client",
        "Application with identifier '{client_id}' was not found in the directory "
        f"'{{tenant}}'. {_NOT_INSTALLED} You may have sent your authentication request to the "
        "wrong tenant.",
    ),
    700011: (
        400,
        "unauthorized_client",
        "Application with identifier '{client_id}' was not found in the directory "
        "'{tenant}'. A client application requested a token from this tenant, but the client "
        "app doesn't exist in the tenant, so the call failed.",
    ),
    90002: (
        400,
        "invalid_request",
        "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud. Check with your subscription administrator, this may "
        "happen if there are no active subscriptions for the tenant.",
    ),
    900023: (
        400,
        "invalid_request",
        "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid "
        "external domain.",
    ),
    70011: (
        400,
        "invalid_scope",
        "The provided request must include a 'scope' input parameter. The provided value for "
        "the input parameter 'scope' is not valid. The scope {scope} is not valid.",
    ),
    500011: (
        400,
        "invalid_resource",
        "The resource principal named {resource} was not found in the tenant named {tenant}. "
        f"{_NOT_INSTALLED} You might have sent your authentication request to the wrong tenant.",
    ),
    700027: (401, "invalid_client", "Client assertion failed signature validation. [{reason}]"),
    700021: (
        401,
        "invalid_client",
        f"Client assertion application identifier doesn't match 'client_id' parameter. "
        f"{_CERT_DOCS}",
    ),
    700023: (
        401,
        "invalid_client",
        f"Client assertion audience claim does not match Realm issuer. {_CERT_DOCS}",
    ),
    700024: (
        401,
        "invalid_client",
        f"Client assertion is not within its valid time range. {{reason}} {_CERT_DOCS}",
    ),
    50027: (400, "invalid_request", "JWT token is invalid or malformed. {reason}"),
    900144: (
        400,
        "invalid_request",
        "The request body must contain the following parameter: '{parameter}'.",
    ),
    70003: (
        400,
        "unsupported_grant_type",
        "The app requested an unsupported grant type '{grant_type}'.",
    ),
    90033: (500, "temporarily_unavailable", "A transient error has occurred. Please try again."),
    90055: (
        429,
        "temporarily_unavailable",
        "There are too many incoming requests. Wait and try again.",
    ),
}


def aadsts_timestamp(moment: dt.datetime) -> str:
    """Entra's timestamp format: '2024-03-11 10:23:45Z'."""
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def aadsts_error(
    request: Request, code: int, *, status: int | None = None, **params: str
) -> JSONResponse:
    """The full Entra error response for `code`, message filled from `params`."""
    default_status, error, template = AADSTS[code]
    now = dt.datetime.now(dt.UTC)
    trace_id = str(uuid.uuid4())
    # Entra echoes the client's client-request-id (MSAL sends one) as the correlation id.
    correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
    timestamp = aadsts_timestamp(now)
    description = (
        f"AADSTS{code}: {template.format(**params)} Trace ID: {trace_id} "
        f"Correlation ID: {correlation_id} Timestamp: {timestamp}"
    )
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{sandbox_root(request)}/entra/error?code={code}",
    }
    return JSONResponse(
        body,
        status or default_status,
        headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
    )


def generic_error(request: Request, status: int, reason: str) -> JSONResponse:
    """Entra's answer for the common fault modes (500, 429, gateway timeout)."""
    if reason == "rate_limited":
        return aadsts_error(request, 90055)
    return aadsts_error(request, 90033, status=status)
