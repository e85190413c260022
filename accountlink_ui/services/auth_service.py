"""Sign-in, sessions and the people behind them.

Passwords are hashed with argon2id. A session token is random, handed to the
browser once, and stored only as its SHA-256, so a copy of the database does
not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlmodel import select

from accountlink_ui import repository
from accountlink_ui.db import session_scope
from accountlink_ui.models import Membership, Organization, Role, User, UserSession, as_utc, utcnow
from accountlink_ui.services.errors import SignInFailed
from accountlink_ui.views import Actor, OrganizationMembershipView

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")
WRONG_CREDENTIALS = "That email and password do not match an account. Check both and try again."


@dataclass(frozen=True)
class SignedIn:
    token: str
    actor: Actor
    memberships: tuple[OrganizationMembershipView, ...]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    def __init__(self, *, engine: Engine, session_hours: int = 12) -> None:
        self._engine = engine
        self._lifetime = timedelta(hours=session_hours)

    def sign_in(self, email: str, password: str) -> SignedIn:
        email = (email or "").strip().lower()
        if not email or not password:
            raise SignInFailed("Enter your email and password.")
        with session_scope(self._engine) as session:
            user = repository.user_by_email(session, email)
            try:
                _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                raise SignInFailed(WRONG_CREDENTIALS) from None
            if user is None:
                raise SignInFailed(WRONG_CREDENTIALS)
            token = secrets.token_urlsafe(32)
            session.add(
                UserSession(
                    token_hash=_token_hash(token),
                    user_id=user.id or 0,
                    expires_at=utcnow() + self._lifetime,
                )
            )
            actor = Actor(user_id=user.id or 0, email=user.email, name=user.name)
            return SignedIn(token=token, actor=actor, memberships=self._memberships(session, actor))

    def resolve(self, token: str | None) -> SignedIn | None:
        """The person behind a session token, or None when it is unknown, ended or expired."""
        if not token:
            return None
        with session_scope(self._engine) as session:
            record = session.exec(
                select(UserSession).where(UserSession.token_hash == _token_hash(token))
            ).first()
            if record is None or record.ended_at is not None:
                return None
            expires_at = as_utc(record.expires_at)
            if expires_at is None or expires_at <= utcnow():
                return None
            user = session.get(User, record.user_id)
            if user is None:
                return None
            actor = Actor(user_id=user.id or 0, email=user.email, name=user.name)
            return SignedIn(token=token, actor=actor, memberships=self._memberships(session, actor))

    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        with session_scope(self._engine) as session:
            record = session.exec(
                select(UserSession).where(UserSession.token_hash == _token_hash(token))
            ).first()
            if record is not None and record.ended_at is None:
                record.ended_at = utcnow()
                session.add(record)

    def create_user(self, *, email: str, name: str, password: str) -> Actor:
        with session_scope(self._engine) as session:
            user = User(
                email=email.strip().lower(), name=name, password_hash=hash_password(password)
            )
            session.add(user)
            session.flush()
            return Actor(user_id=user.id or 0, email=user.email, name=user.name)

    def add_membership(self, *, organization_id: int, user_id: int, role: Role) -> None:
        with session_scope(self._engine) as session:
            session.add(
                Membership(organization_id=organization_id, user_id=user_id, role=role.value)
            )

    def create_organization(self, *, name: str, slug: str) -> int:
        with session_scope(self._engine) as session:
            organization = Organization(name=name, slug=slug)
            session.add(organization)
            session.flush()
            return organization.id or 0

    @staticmethod
    def _memberships(session, actor: Actor) -> tuple[OrganizationMembershipView, ...]:  # type: ignore[no-untyped-def]
        return tuple(
            OrganizationMembershipView(
                organization_id=organization.id or 0,
                organization_name=organization.name,
                role=membership.role,
            )
            for membership, organization in repository.memberships_of(session, actor.user_id)
        )
