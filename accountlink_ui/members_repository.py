"""SQL for people and their one-time sign-in links (``services/members_service.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, func, select

from accountlink_ui.db import rowcount
from accountlink_ui.models import Membership, Role, SignInLink, User, UserSession


def link_by_hash(session: Session, token_hash: str) -> SignInLink | None:
    return session.exec(select(SignInLink).where(SignInLink.token_hash == token_hash)).first()


def use_link(session: Session, link_id: int, now: datetime) -> bool:
    """Mark a link used, unless another request used (or revoked) it first: once only."""
    result = session.execute(
        update(SignInLink)
        .where(
            col(SignInLink.id) == link_id,
            col(SignInLink.used_at).is_(None),
            col(SignInLink.revoked_at).is_(None),
        )
        .values(used_at=now)
    )
    return bool(rowcount(result))


def revoke_open_links(
    session: Session, *, kind: str, email: str, organization_id: int | None, now: datetime
) -> None:
    """Void the unused links of this kind for this email (and organization, if given)."""
    statement = (
        update(SignInLink)
        .where(
            col(SignInLink.kind) == kind,
            col(SignInLink.email) == email,
            col(SignInLink.used_at).is_(None),
            col(SignInLink.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    if organization_id is not None:
        statement = statement.where(col(SignInLink.organization_id) == organization_id)
    session.execute(statement)


def latest_link_at(session: Session, *, kind: str, email: str) -> datetime | None:
    return session.exec(
        select(func.max(SignInLink.created_at)).where(
            SignInLink.kind == kind, SignInLink.email == email
        )
    ).first()


def members_of(session: Session, organization_id: int) -> list[tuple[Membership, User]]:
    rows = session.exec(
        select(Membership, User)
        .join(User, col(User.id) == Membership.user_id)
        .where(Membership.organization_id == organization_id)
        .order_by(col(User.name), col(User.email))
    ).all()
    return [(membership, user) for membership, user in rows]


def admin_memberships(session: Session, organization_id: int) -> Sequence[Membership]:
    """The organization's admin rows, locked until the transaction ends (PostgreSQL), so two
    admins demoting each other at once cannot leave the organization without one."""
    return session.exec(
        select(Membership)
        .where(Membership.organization_id == organization_id, Membership.role == Role.ADMIN.value)
        .with_for_update()
    ).all()


def pending_invitations(
    session: Session, organization_id: int, now: datetime
) -> list[tuple[SignInLink, str | None]]:
    rows = session.exec(
        select(SignInLink, User.name)
        .join(User, col(User.id) == SignInLink.created_by_id, isouter=True)
        .where(
            SignInLink.organization_id == organization_id,
            SignInLink.kind == "invitation",
            col(SignInLink.used_at).is_(None),
            col(SignInLink.revoked_at).is_(None),
            col(SignInLink.expires_at) > now,
        )
        .order_by(col(SignInLink.id).desc())
    ).all()
    return [(link, name) for link, name in rows]


def end_sessions_of(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return rowcount(result)


def organizations_of(session: Session, user_id: int) -> list[int]:
    return list(
        session.exec(select(Membership.organization_id).where(Membership.user_id == user_id)).all()
    )


_SESSION_BY_HASH = select(UserSession).where(col(UserSession.token_hash) == bindparam("token_hash"))
"""Built once: every signed-in page event may resolve its session (see integrations_repository)."""


def session_by_hash(session: Session, token_hash: str) -> UserSession | None:
    """A signed-in session by its token's hash (ended ones too: the caller decides)."""
    return session.exec(_SESSION_BY_HASH, params={"token_hash": token_hash}).first()
