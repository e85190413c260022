"""Dataverse's Web API as served by the sandbox: the WhoAmI probe.

`GET /dataverse/api/data/v9.2/WhoAmI` with a bearer token the Entra sandbox
issued for the demo org (`https://hlf.crm4.dynamics.com/.default`). Point the
Dataverse API base at `<sandbox root>/dataverse`. A real 401 from Dataverse
often has an empty body; here it carries an OData error too, so never rely on it.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.endpoint import SystemProfile, endpoint, read_bearer, sandbox_root
from accountlink_ui.sandbox.odata import entra_bearer, odata_error
from accountlink_ui.sandbox.state import SandboxState

_GENERIC = {
    "server_error": ("0x80040216", "An unexpected error occurred."),
    "rate_limited": (
        "0x80072322",
        "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
    ),
    "timeout": ("0x80040216", "The request took too long to answer."),
}


def _error(request: Request, status: int, reason: str) -> Response:
    code, message = _GENERIC[reason]
    return odata_error(status, code, message)


def dataverse_routes(state: SandboxState) -> list[Route]:
    """The WhoAmI route, logged and faultable."""
    profile = SystemProfile("dataverse", read_bearer, _error)

    async def who_am_i(request: Request) -> Response:
        if entra_bearer(state, request, demo.DATAVERSE_ORG_URL) is None:
            authorize = f"{sandbox_root(request)}/entra/{demo.ENTRA_TENANT_ID}/oauth2/authorize"
            return odata_error(
                401,
                "Unauthorized",
                f"The access token is missing, expired or not issued for {demo.DATAVERSE_ORG_URL}.",
                headers={
                    "WWW-Authenticate": f"Bearer authorization_uri={authorize}, "
                    f"resource_id={demo.DATAVERSE_ORG_URL}/"
                },
            )
        root = sandbox_root(request)
        return JSONResponse(
            {
                "@odata.context": f"{root}/dataverse/api/data/v9.2/"
                "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                "BusinessUnitId": demo.DATAVERSE_BUSINESS_UNIT_ID,
                "UserId": demo.DATAVERSE_USER_ID,
                "OrganizationId": demo.DATAVERSE_ORGANIZATION_ID,
            },
            headers={"OData-Version": "4.0"},
        )

    return [Route("/dataverse/api/data/v9.2/WhoAmI", endpoint(state, profile, who_am_i))]
