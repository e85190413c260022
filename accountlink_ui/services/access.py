"""Who may act on an organization's integrations, tokens and audit trail: its admins.

One rule for every service, the pages and the API alike (DESIGN rule 7). The caller
passes the acting ``Actor``; the service calls ``require_admin`` (or, for an
integration, ``integration_for_admin``) before it reads or changes anything, and
nothing else decides access: no page or route compares organization ids, and no
service treats "I could read it" as "they may see it".

- Someone who is not a member learns nothing (the organization, or the integration,
  "does not exist"); a member who is not an admin is told who can help.
- An API token acts as its creator *within the token's organization only*
  (``Actor.organization_scope``): a person who administers two organizations cannot
  reach the second with a token made for the first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import integrations_repository
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message
from accountlink_ui.models import Integration, Role
from accountlink_ui.services.errors import NotFound, PermissionDenied
from accountlink_ui.views import Actor

NOT_A_MEMBER = Message.of("access.no_organization")
NO_SUCH_INTEGRATION = Message.of("integration.not_found")
MANAGE_INTEGRATIONS = "integrations"
"""``to`` for managing integrations: its refusal is ``access.admins_only.integrations``."""
"""What a member who is not an admin was refused when they touched an integration."""


def _role(session: Session, actor: Actor, organization_id: int) -> str | None:
    """The actor's role in the organization, or None when they may not reach it at all."""
    scope = actor.organization_scope
    if scope is not None and scope != organization_id:
        return None
    member = integrations_repository.membership(session, organization_id, actor.user_id)
    return None if member is None else str(member.role)


def is_admin_role(role: str | None) -> bool:
    """Whether a membership's role (None: no membership) lets its holder administer: for a
    caller that read the role with other rows already (an API token's holder, in one query)."""
    return role == Role.ADMIN


def administers(session: Session, actor: Actor, organization_id: int) -> bool:
    """Whether ``actor`` may act as an admin of the organization (for rules that refuse in
    their own words, e.g. a reset link only for people of organizations this admin runs)."""
    return is_admin_role(_role(session, actor, organization_id))


def require_admin(
    session: Session,
    actor: Actor,
    organization_id: int,
    *,
    to: str,
    hidden: Message = NOT_A_MEMBER,
) -> None:
    """Raise unless ``actor`` administers the organization; ``to`` names what they tried (the
    code ``access.admins_only.<to>`` says it to them).

    ``hidden`` is the NotFound message for someone who may not reach the organization,
    so a caller looking something up by id can say that *it* does not exist.
    """
    role = _role(session, actor, organization_id)
    if role is None:
        raise NotFound(hidden)
    if not is_admin_role(role):
        raise PermissionDenied(Message.of(f"access.admins_only.{to}"))


def require_member(session: Session, actor: Actor, organization_id: int) -> None:
    """Raise NotFound unless ``actor`` belongs to the organization (any role): for what
    every member sees, such as the dashboard's open incidents."""
    if _role(session, actor, organization_id) is None:
        raise NotFound(NOT_A_MEMBER)


def integration_for_admin(
    session: Session, actor: Actor, integration_id: int, *, to: str
) -> Integration:
    """The integration, once ``require_admin`` allowed ``actor`` its organization; to anyone
    else it does not exist, whether or not it does."""
    row = integrations_repository.integration(session, integration_id)
    if row is None:
        raise NotFound(NO_SUCH_INTEGRATION)
    require_admin(session, actor, row.organization_id, to=to, hidden=NO_SUCH_INTEGRATION)
    return row


@dataclass(frozen=True)
class AdmittedIntegration:
    """What a service needs of an integration it let an admin act on (no secrets)."""

    id: int
    organization_id: int
    type_key: str
    display_name: str
    status: str


def admitted_integration(
    engine: Engine, actor: Actor, integration_id: int, *, to: str
) -> AdmittedIntegration:
    """``integration_for_admin`` in a transaction of its own, for services that check access
    before work that must not hold a database transaction open (a test, a sync, a chart)."""
    with session_scope(engine) as session:
        row = integration_for_admin(session, actor, integration_id, to=to)
        return AdmittedIntegration(
            id=integration_id,
            organization_id=row.organization_id,
            type_key=row.type_key,
            display_name=row.display_name,
            status=row.status,
        )
