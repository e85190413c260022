"""Helpers for sync tests: drafts that reach the sandbox.

A lost answer (the target stored a batch, the client never heard) is the
sandbox's own ``lost_answer`` fault.
"""

from __future__ import annotations

from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.integration_service import ConnectionDraft


def xledger_draft(token: str = demo.XLEDGER_DEMO_TOKEN) -> ConnectionDraft:
    return ConnectionDraft("xledger", "sandbox", "api_token", {"api_token": token})


def business_central_draft(secret: str = demo.ENTRA_CLIENT_SECRET) -> ConnectionDraft:
    return ConnectionDraft(
        "dynamics",
        "sandbox",
        "client_secret",
        {
            "product": "business_central",
            "tenant_id": demo.ENTRA_TENANT_ID,
            "client_id": demo.ENTRA_CLIENT_ID,
            "bc_environment": demo.BC_ENVIRONMENT,
            "client_secret": secret,
        },
    )


def rest_draft(base: str, api_key: str = demo.REST_API_KEY) -> ConnectionDraft:
    return ConnectionDraft(
        "generic_rest",
        "sandbox",
        "api_key_header",
        {
            "base_url": f"{base}/rest",
            "health_path": "/health",
            "expected_status": "200",
            "records_path": "/expenses",
            "header_name": demo.REST_API_KEY_HEADER,
            "api_key": api_key,
        },
    )
