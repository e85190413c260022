"""Microsoft Entra ID as served by the sandbox: the v2.0 token endpoint and discovery.

`POST /entra/{tenant}/oauth2/v2.0/token` runs the client credentials grant with
a client secret or a certificate assertion; `GET /entra/{tenant}/v2.0/.well-known/
openid-configuration` is what MSAL reads first. `{tenant}` is a GUID or a domain.
Point an authority at `<sandbox root>/entra/<tenant>` to use it.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.credentials import ACCESS_TOKEN_LIFETIME, EntraTenant
from accountlink_ui.sandbox.endpoint import SystemProfile, endpoint, form_fields, sandbox_root
from accountlink_ui.sandbox.entra_assertion import (
    JWT_BEARER,
    AssertionRejected,
    MalformedJwt,
    unverified_parts,
    verify_client_assertion,
)
from accountlink_ui.sandbox.entra_errors import aadsts_error, generic_error
from accountlink_ui.sandbox.faults import Fault
from accountlink_ui.sandbox.state import SandboxState

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$", re.I)
_NO_CACHE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def tenant_urls(root: str, tenant_id: str) -> dict[str, str]:
    """The absolute endpoint URLs of a tenant, as its discovery document lists them."""
    base = f"{root}/entra/{tenant_id}"
    return {
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
    }


async def _read_client_credential(request: Request) -> tuple[str | None, str | None]:
    """Log the secret, or the thumbprint an assertion names (not the whole JWT)."""
    form = await form_fields(request)
    if form.get("client_assertion"):
        try:
            header = unverified_parts(form["client_assertion"])[0]
        except MalformedJwt:
            return "client_assertion", None
        return "client_assertion", header.get("x5t#S256") or header.get("x5t")
    if form.get("client_secret"):
        return "client_secret", form["client_secret"]
    basic = _basic_client(request)
    return ("client_secret_basic", basic[1]) if basic else (None, None)


def _basic_client(request: Request) -> tuple[str, str] | None:
    """client_secret_basic: client id and secret in an Authorization: Basic header."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _tenant_not_found(request: Request, tenant: str) -> Response:
    code = 90002 if _GUID.match(tenant) or _DOMAIN.match(tenant) else 900023
    return aadsts_error(request, code, tenant=tenant)


async def _expired_secret(request: Request, fault: Fault) -> Response:
    form = await form_fields(request)
    return aadsts_error(request, 7000222, client_id=form.get("client_id", ""))


async def _unknown_tenant(request: Request, fault: Fault) -> Response:
    return aadsts_error(request, 90002, tenant=request.path_params["tenant"])


def entra_routes(state: SandboxState) -> list[Route]:
    """Token endpoint (faultable), discovery document and key set."""
    profile = SystemProfile(
        "entra",
        _read_client_credential,
        generic_error,
        {"expired_secret": _expired_secret, "unknown_tenant": _unknown_tenant},
    )

    async def openid_configuration(request: Request) -> Response:
        name = request.path_params["tenant"]
        tenant = state.credentials.resolve_tenant(name)
        if tenant is None:
            return _tenant_not_found(request, name)
        urls = tenant_urls(sandbox_root(request), tenant.tenant_id)
        return JSONResponse(
            {
                **urls,
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{sandbox_root(request)}/entra/oidc/userinfo",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
                "kerberos_endpoint": f"{sandbox_root(request)}/entra/{tenant.tenant_id}/kerberos",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
                "rbac_url": "https://pas.windows.net",
            }
        )

    async def keys(request: Request) -> Response:
        # Access tokens here are opaque, so there are no signing keys to publish.
        return JSONResponse({"keys": []})

    async def token(request: Request) -> Response:
        return await _token(state, request)

    return [
        Route(
            "/entra/{tenant}/v2.0/.well-known/openid-configuration",
            endpoint(state, profile, openid_configuration, faultable=False),
        ),
        Route("/entra/{tenant}/discovery/v2.0/keys", keys),
        Route(
            "/entra/{tenant}/oauth2/v2.0/token", endpoint(state, profile, token), methods=["POST"]
        ),
    ]


async def _token(state: SandboxState, request: Request) -> Response:
    """The client credentials grant, checked in the order Entra reports problems."""
    form = await form_fields(request)
    name = request.path_params["tenant"]
    tenant = state.credentials.resolve_tenant(name)
    if tenant is None:
        return _tenant_not_found(request, name)
    grant_type = form.get("grant_type")
    if not grant_type:
        return aadsts_error(request, 900144, parameter="grant_type")
    if grant_type != "client_credentials":
        return aadsts_error(request, 70003, grant_type=grant_type)
    basic = _basic_client(request)
    client_id = form.get("client_id") or (basic[0] if basic else "")
    if not client_id:
        return aadsts_error(request, 900144, parameter="client_id")
    app = state.credentials.entra_app(tenant.tenant_id, client_id)
    if app is None:
        code = state.entra_unknown_client_code  # 700016 unless switched to 700011
        return aadsts_error(request, code, client_id=client_id, tenant=tenant.display_name)
    secret = form.get("client_secret") or (basic[1] if basic else "")
    if form.get("client_assertion"):
        if form.get("client_assertion_type") != JWT_BEARER:
            return aadsts_error(request, 900144, parameter="client_assertion_type")
        try:
            verify_client_assertion(
                form["client_assertion"],
                app=app,
                client_id=client_id,
                audiences=_token_endpoint_urls(request, name, tenant),
                refuse_ps256=state.entra_refuse_ps256,
            )
        except AssertionRejected as rejected:
            return aadsts_error(request, rejected.code, status=None, **rejected.params)
    elif secret:
        status = app.secret_status(secret, time.time())
        if status != "valid":
            code = 7000222 if status == "expired" else 7000215
            return aadsts_error(request, code, client_id=client_id)
    else:
        return aadsts_error(request, 7000218)
    scope = form.get("scope", "").strip()
    if not scope:
        return aadsts_error(request, 900144, parameter="scope")
    resource = _resource_of(scope)
    if resource is None:
        return aadsts_error(request, 70011, scope=scope)
    canonical = _known_resource(request, resource)
    if canonical is None:
        return aadsts_error(
            request, 500011, resource=resource, tenant=f"{tenant.display_name} ({tenant.domain})"
        )
    issued = state.credentials.issue_token(
        issuer="entra",
        client_id=app.client_id,
        tenant_id=tenant.tenant_id,
        resource=canonical,
        scope=scope,
    )
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME,
            "ext_expires_in": ACCESS_TOKEN_LIFETIME,
            "access_token": issued.value,
        },
        headers=_NO_CACHE,
    )


def _token_endpoint_urls(request: Request, name: str, tenant: EntraTenant) -> set[str]:
    """Audiences Entra accepts: this token endpoint, naming the tenant by GUID or domain."""
    root = sandbox_root(request)
    return {
        f"{root}/entra/{alias}/oauth2/v2.0/token"
        for alias in (name, tenant.tenant_id, tenant.domain)
    }


def _resource_of(scope: str) -> str | None:
    """The resource URL of a single `<resource>/.default` scope, or None if invalid."""
    scopes = scope.split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        return None
    resource = scopes[0].removesuffix("/.default")
    parts = urlsplit(resource)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return resource


def _known_resource(request: Request, resource: str) -> str | None:
    """Map a requested resource to the API it names: Business Central or Dataverse.

    The demo org answers to both its `<org>.crm4` URL and its `<org>.api.crm4`
    form; the sandbox's own Dataverse URL counts as the demo org too, so an org
    URL typed as the sandbox address works as well as the real-looking ones.
    """
    wanted = resource.rstrip("/").lower()
    if wanted == demo.BC_RESOURCE.lower():
        return demo.BC_RESOURCE
    dataverse = (
        demo.DATAVERSE_ORG_URL,
        demo.DATAVERSE_API_URL,
        f"{sandbox_root(request)}/dataverse",
    )
    if wanted in {url.lower() for url in dataverse}:
        return demo.DATAVERSE_ORG_URL
    return None
