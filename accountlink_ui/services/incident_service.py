"""Open incidents for the dashboard's notice: an integration that stopped working, since when
and why, until a run reaches the target again (``services/events`` opens and closes them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import integrations_repository
from accountlink_ui import outbox_repository as repo
from accountlink_ui.db import session_scope
from accountlink_ui.models import as_utc
from accountlink_ui.services.access import require_member
from accountlink_ui.views import Actor


@dataclass(frozen=True)
class IncidentView:
    integration_id: int
    integration_name: str
    cause: str
    """``integration.error`` or ``credentials.rejected``: a code the page words."""
    reason: str
    opened_at: datetime


class IncidentService:
    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    def open_incidents(self, actor: Actor, organization_id: int) -> list[IncidentView]:
        """Every member of the organization sees them (the dashboard is theirs too)."""
        with session_scope(self._engine) as session:
            require_member(session, actor, organization_id)
            return incident_views(session, organization_id)


def incident_views(
    session: Session, organization_id: int, names: Mapping[int, str] | None = None
) -> list[IncidentView]:
    """The organization's open incidents, oldest first, in the caller's transaction (it has
    checked who may see them). ``names``: integration id → display name, when the caller
    has read the integrations already; otherwise one query names them all."""
    incidents = repo.open_incidents_of(session, organization_id)
    if not incidents:
        return []
    if names is None:
        names = {
            row.id: row.display_name
            for row in integrations_repository.integrations_of(session, organization_id)
            if row.id is not None
        }
    return [
        IncidentView(
            integration_id=incident.integration_id,
            integration_name=names.get(incident.integration_id, ""),
            cause=incident.cause,
            reason=incident.reason,
            opened_at=as_utc(incident.opened_at) or incident.opened_at,
        )
        for incident in incidents
    ]
