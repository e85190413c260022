"""Everything the integrations dashboard shows, read in one transaction.

Admins reload the dashboard often and many at once (``bench/sessions.py``): what a
load costs is mostly per transaction and per query (a pooled connection, its ping,
BEGIN and COMMIT, a round trip and a GIL hand-over each), not per row. So the page
asks once: one access check, then the integrations and the open incidents in the same
transaction. The next scheduled runs live in the scheduler's own table and are read
only when an integration is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from accountlink_ui.db import session_scope
from accountlink_ui.services.access import MANAGE_INTEGRATIONS, require_admin
from accountlink_ui.services.incident_service import IncidentView, incident_views
from accountlink_ui.services.integration_service import integration_views
from accountlink_ui.services.scheduler_jobs import next_runs
from accountlink_ui.views import Actor, IntegrationView


@dataclass(frozen=True)
class Dashboard:
    integrations: list[IntegrationView]
    """One per known type, configured or not (as ``IntegrationService.list_integrations``)."""
    next_syncs: dict[int, datetime | None]
    """Integration id → its next scheduled sync (None: not scheduled)."""
    incidents: list[IncidentView]


class DashboardService:
    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    def read(self, actor: Actor, organization_id: int) -> Dashboard:
        """The dashboard of an organization ``actor`` administers (others are refused, as by
        ``list_integrations``: NotFound for outsiders, PermissionDenied for members)."""
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to=MANAGE_INTEGRATIONS)
            views = integration_views(session, organization_id)
            names = {view.id: view.display_name for view in views if view.id is not None}
            incidents = incident_views(session, organization_id, names)
        return Dashboard(
            integrations=views,
            next_syncs=next_runs(self._engine, list(names)),
            incidents=incidents,
        )
