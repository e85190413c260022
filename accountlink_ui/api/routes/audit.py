"""The audit trail over the API: who did what, for auditors' scripts and SIEM imports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accountlink_ui.api.deps import AppServices, Caller
from accountlink_ui.api.responses import errors
from accountlink_ui.api.schemas import AuditEventListOut, AuditEventOut

router = APIRouter(tags=["audit"])


@router.get("/audit-events", responses=errors(403, 404))
def list_audit_events(
    caller: Caller,
    services: AppServices,
    integration_id: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="Only events about this integration."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="How many events, newest first.")] = 100,
) -> AuditEventListOut:
    """The organization's audit events, newest first; details never hold a secret."""
    events = services.audit.list_events(
        caller, caller.organization_id, integration_id=integration_id, limit=limit
    )
    return AuditEventListOut(events=[AuditEventOut.of(event) for event in events])
