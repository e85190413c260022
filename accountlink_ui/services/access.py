"""Who may act on an organization's integrations, tokens and audit trail: its admins.

One rule for every service, the pages and the API alike. Someone who is not a member
learns nothing (the organization "does not exist"); a member who is not an admin is
told who can help.
"""

from __future__ import annotations

from sqlmodel import Session

from accountlink_ui import integrations_repository
from accountlink_ui.models import Role
from accountlink_ui.services.errors import NotFound, PermissionDenied
from accountlink_ui.views import Actor


def require_admin(session: Session, actor: Actor, organization_id: int, *, to: str) -> None:
    """Raise unless ``actor`` administers the organization; ``to`` names what they tried."""
    member = integrations_repository.membership(session, organization_id, actor.user_id)
    if member is None:
        raise NotFound("That organization does not exist or you are not a member of it.")
    if member.role != Role.ADMIN:
        raise PermissionDenied(
            f"Only organization admins can {to}. Ask an admin of your organization for access."
        )
