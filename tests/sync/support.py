"""Helpers for sync tests: drafts that reach the sandbox.

A lost answer (the target stored a batch, the client never heard) is the
sandbox's own ``lost_answer`` fault.
"""

from __future__ import annotations

from accountlink_ui.demo_drafts import business_central_draft, rest_draft, xledger_draft
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.integration_service import ConnectionDraft

__all__ = ["business_central_draft", "rest_draft", "tripletex_draft", "xledger_draft"]


def tripletex_draft(employee_token: str = demo.TRIPLETEX_EMPLOYEE_TOKEN) -> ConnectionDraft:
    return ConnectionDraft(
        "tripletex",
        "sandbox",
        "session_token",
        {"consumer_token": demo.TRIPLETEX_CONSUMER_TOKEN, "employee_token": employee_token},
    )
