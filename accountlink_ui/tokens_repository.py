"""API-token repository: the organization tokens' rows, found by organization or by hash.

The queries only; ``services/api_token_service.py`` decides who may see or use them.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from accountlink_ui.models import ApiToken, User


def tokens_of(session: Session, organization_id: int) -> list[tuple[ApiToken, str]]:
    """The organization's tokens, newest first, each with its creator's name."""
    rows = session.exec(
        select(ApiToken, User.name)
        .join(User, col(User.id) == ApiToken.created_by_id)
        .where(ApiToken.organization_id == organization_id)
        .order_by(col(ApiToken.id).desc())
    ).all()
    return [(token, creator) for token, creator in rows]


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()
