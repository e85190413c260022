"""API-token repository: the organization tokens' rows, found by organization or by hash.

The queries only; ``services/api_token_service.py`` decides who may see or use them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Row, bindparam, update
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from accountlink_ui.models import ApiToken, Membership, User


def tokens_of(session: Session, organization_id: int) -> list[tuple[ApiToken, str]]:
    """The organization's tokens, newest first, each with its creator's name."""
    rows = session.exec(
        select(ApiToken, User.name)
        .join(User, col(User.id) == ApiToken.created_by_id)
        .where(ApiToken.organization_id == organization_id)
        .order_by(col(ApiToken.id).desc())
    ).all()
    return [(token, creator) for token, creator in rows]


# Built once: every API call runs it, and composing it cost more than SQLite's query.
_HOLDER: Executable = (
    select_rows(
        col(ApiToken.id).label("token_id"),
        col(ApiToken.organization_id),
        col(ApiToken.revoked_at),
        col(ApiToken.last_used_at),
        col(User.id).label("user_id"),
        col(User.email),
        col(User.name),
        col(Membership.role),
    )
    .join(User, col(User.id) == ApiToken.created_by_id)
    .outerjoin(
        Membership,
        (col(Membership.organization_id) == ApiToken.organization_id)
        & (col(Membership.user_id) == ApiToken.created_by_id),
    )
    .where(col(ApiToken.token_hash) == bindparam("token_hash"))
)
_TOUCH = (
    update(ApiToken)
    .where(col(ApiToken.id) == bindparam("token_id"))
    .values(last_used_at=bindparam("at"))
)


def token_holder(session: Session, token_hash: str) -> Row[Any] | None:
    """The token with its creator and the creator's role in the token's organization
    (``role`` None when they are no longer a member), in one query: what an API call
    needs to know who it acts as. None for an unknown hash (or a creator since deleted)."""
    return session.execute(_HOLDER, {"token_hash": token_hash}).first()


def touch_token(session: Session, token_id: int, at: datetime) -> None:
    """Record when the token was last used (the service does it at most once a minute)."""
    session.execute(_TOUCH, {"token_id": token_id, "at": at})
