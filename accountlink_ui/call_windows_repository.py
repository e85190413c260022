"""Call-window repository: the rows behind the sliding-window budgets.

``api_calls`` counts calls per API token (and, through the tokens, per organization);
``organization_calls`` counts the app's connection tests and syncs per organization.
The services (``services/rate_limits.py``, ``services/work.py``) decide what a budget is;
these functions only read, add and forget rows. Callers of one organization take turns
on the organization's row (``lock_organization``): PostgreSQL locks it, SQLite takes its
single write lock at the transaction's first write.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select

from accountlink_ui.models import ApiCall, ApiToken, Organization, OrganizationCall, as_utc


def lock_organization(session: Session, organization_id: int) -> None:
    """Serialize the organization's budget checks until the transaction ends."""
    session.execute(
        select(Organization.id).where(col(Organization.id) == organization_id).with_for_update()
    )


# --- API calls (per token and per organization over all its tokens) ---------------------------


def token_organization(session: Session, token_id: int) -> int:
    """The organization a token belongs to (the token exists: it just authenticated)."""
    return int(
        session.execute(
            select(ApiToken.organization_id).where(col(ApiToken.id) == token_id)
        ).scalar_one()
    )


def _organization_tokens(organization_id: int) -> ColumnElement[bool]:
    return col(ApiCall.token_id).in_(
        select(ApiToken.id).where(col(ApiToken.organization_id) == organization_id)
    )


def forget_api_calls(
    session: Session, organization_id: int, action: str, *, before: datetime
) -> None:
    """Delete the organization's calls of ``action`` made at or before ``before``."""
    session.execute(
        delete(ApiCall).where(
            _organization_tokens(organization_id),
            col(ApiCall.action) == action,
            col(ApiCall.at) <= before,
        )
    )


def api_call_times(
    session: Session,
    action: str,
    *,
    limit: int,
    token_id: int | None = None,
    organization_id: int | None = None,
) -> list[datetime]:
    """The oldest ``limit`` call times of ``action``, by one token or by one organization."""
    if (token_id is None) == (organization_id is None):
        raise ValueError("api_call_times needs exactly one of token_id and organization_id")
    whose = (
        col(ApiCall.token_id) == token_id
        if token_id is not None
        else _organization_tokens(organization_id or 0)
    )
    calls = session.execute(
        select(ApiCall.at)
        .where(whose, col(ApiCall.action) == action)
        .order_by(col(ApiCall.at))
        .limit(limit)
    ).scalars()
    return [at for at in (as_utc(value) for value in calls) if at is not None]


def add_api_call(session: Session, token_id: int, action: str, at: datetime) -> None:
    session.add(ApiCall(token_id=token_id, action=action, at=at))


def forget_all_api_calls(session: Session) -> None:
    session.execute(delete(ApiCall))


# --- the app's connection tests and syncs, per organization ----------------------------------


def forget_organization_calls(
    session: Session, organization_id: int, action: str, *, before: datetime
) -> None:
    session.execute(
        delete(OrganizationCall).where(
            col(OrganizationCall.organization_id) == organization_id,
            col(OrganizationCall.action) == action,
            col(OrganizationCall.at) <= before,
        )
    )


def organization_call_times(
    session: Session, organization_id: int, action: str, *, limit: int
) -> list[datetime]:
    """The oldest ``limit`` call times of ``action`` by the organization."""
    calls = session.execute(
        select(OrganizationCall.at)
        .where(
            col(OrganizationCall.organization_id) == organization_id,
            col(OrganizationCall.action) == action,
        )
        .order_by(col(OrganizationCall.at))
        .limit(limit)
    ).scalars()
    return [at for at in (as_utc(value) for value in calls) if at is not None]


def add_organization_call(
    session: Session, organization_id: int, action: str, at: datetime
) -> None:
    session.add(OrganizationCall(organization_id=organization_id, action=action, at=at))
