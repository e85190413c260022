"""The sandbox as one Starlette app: the external systems plus the control API.

Works standalone (`accountlink sandbox`) and mounted under a prefix in the main
app (`Mount("/sandbox", create_sandbox_app())`): every absolute URL it returns
is built from the request, never hard-coded.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.business_central import business_central_routes
from accountlink_ui.sandbox.control import control_routes
from accountlink_ui.sandbox.dataverse import dataverse_routes
from accountlink_ui.sandbox.endpoint import sandbox_root
from accountlink_ui.sandbox.entra import entra_routes
from accountlink_ui.sandbox.plugins import plugin_systems
from accountlink_ui.sandbox.rest_ledger import rest_routes
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.sandbox.webhook_receiver import webhook_receiver_routes
from accountlink_ui.sandbox.xledger import xledger_routes


def sandbox_endpoints(root: str) -> dict[str, str]:
    """The base URLs an operator points AccountLink at to use the sandbox at `root`."""
    root = root.rstrip("/")
    return {
        "xledger_demo_graphql": f"{root}/xledger/demo/graphql",
        "xledger_production_graphql": f"{root}/xledger/production/graphql",
        "entra_authority_host": f"{root}/entra",
        "entra_demo_authority": f"{root}/entra/{demo.ENTRA_TENANT_ID}",
        "business_central_api": f"{root}/businesscentral",
        "dataverse_api": f"{root}/dataverse",
        "rest_base": f"{root}/rest",
        **{key: url for system in plugin_systems() for key, url in system.endpoints(root).items()},
        "webhook_receiver": f"{root}/webhooks/receiver",
        "control": f"{root}/_control",
    }


def create_sandbox_app(state: SandboxState | None = None, *, control: bool = True) -> Starlette:
    """Build the sandbox app around `state` (a fresh demo-seeded one if omitted).

    The state is also reachable as `app.state.sandbox`. ``control=False`` leaves out
    `/_control/...` (switching faults on, reading request logs): mounted in an app that
    is not a demo, anyone could otherwise break or read the sandbox that app talks to.
    """
    state = state or SandboxState()

    async def index(request: Request) -> Response:
        endpoints = sandbox_endpoints(sandbox_root(request))
        if not control:
            del endpoints["control"]
        return JSONResponse({"service": "AccountLink sandbox", "endpoints": endpoints})

    app = Starlette(
        routes=[
            Route("/", index),
            *xledger_routes(state),
            *entra_routes(state),
            *business_central_routes(state),
            *dataverse_routes(state),
            *rest_routes(state),
            *(route for system in plugin_systems() for route in system.routes(state)),
            *webhook_receiver_routes(state.webhooks, control=control),
            *(control_routes(state) if control else ()),
        ]
    )
    app.state.sandbox = state
    return app
