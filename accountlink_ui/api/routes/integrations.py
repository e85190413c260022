"""Integration Edge Functions: read, test and sync the token's organization's integrations.

Each route is one service call made as the token's ``ApiActor``; the service
decides access and writes the audit entry, as it does for the dashboard.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from accountlink_ui.api.deps import AppServices, Caller, rate_limited
from accountlink_ui.api.locale import request_locale
from accountlink_ui.api.responses import errors
from accountlink_ui.api.schemas import (
    ConnectionTestOut,
    IntegrationListOut,
    IntegrationOut,
    SyncRunListOut,
    SyncRunOut,
)

router = APIRouter(prefix="/integrations", tags=["integrations"])

MAX_ID = 2**31 - 1
IntegrationId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The integration's id, as listed by GET /integrations.")
]


@router.get("", responses=errors(403))
def list_integrations(
    request: Request, caller: Caller, services: AppServices
) -> IntegrationListOut:
    """Every configured integration of the token's organization, with status and sync figures."""
    views = services.integrations.list_integrations(caller, caller.organization_id)
    return IntegrationListOut(
        organization_id=caller.organization_id,
        integrations=[
            IntegrationOut.of(view, request_locale(request)) for view in views if view.configured
        ],
    )


@router.get("/{integration_id}", responses=errors(403, 404))
def get_integration(
    request: Request, integration_id: IntegrationId, caller: Caller, services: AppServices
) -> IntegrationOut:
    """One integration: status, last test, sync figures and recent errors; never a secret."""
    view = services.integrations.get_integration(caller, integration_id)
    return IntegrationOut.of(view, request_locale(request))


@router.post(
    "/{integration_id}/test",
    responses=errors(403, 404, 409, 413, 429),
    dependencies=[Depends(rate_limited("test_connection", "connection_tests"))],
)
def test_connection(
    request: Request, integration_id: IntegrationId, caller: Caller, services: AppServices
) -> ConnectionTestOut:
    """Test the stored configuration now, as a sync would use it (at most 10 s).

    A failed test is still 200: the answer says what the accounting system said.
    """
    # The service refuses an integration outside the token's organization (404) before
    # anything is sent. The organization's share of the tests' pool (busy → 409); the token's budget is above.
    retest = partial(services.integrations.retest, caller, integration_id)
    result = services.test_runs.submit(caller.organization_id, retest, budget=False).result()
    return ConnectionTestOut.of(integration_id, result, request_locale(request))


@router.post(
    "/{integration_id}/sync",
    responses=errors(403, 404, 409, 413, 429),
    dependencies=[Depends(rate_limited("sync_now", "syncs"))],
)
def sync_now(integration_id: IntegrationId, caller: Caller, services: AppServices) -> SyncRunOut:
    """Send the organization's approved, unexported claims now; answers with the finished run."""
    sync = partial(services.sync.run, integration_id, trigger="api", actor=caller)
    run = services.sync_runs.submit(caller.organization_id, sync, budget=False).result()
    assert run is not None  # only the schedule's quiet no-op returns None
    return SyncRunOut.model_validate(run)


@router.get("/{integration_id}/sync-runs", responses=errors(403, 404))
def sync_runs(
    integration_id: IntegrationId,
    caller: Caller,
    services: AppServices,
    limit: Annotated[int, Query(ge=1, le=100, description="How many runs, newest first.")] = 20,
) -> SyncRunListOut:
    """The integration's recent sync runs, newest first."""
    runs = services.sync.recent_runs(caller, integration_id, limit=limit)
    return SyncRunListOut(
        integration_id=integration_id, runs=[SyncRunOut.model_validate(run) for run in runs]
    )
