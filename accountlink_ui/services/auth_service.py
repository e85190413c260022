"""Sign-in, sessions and the people behind them.

Passwords are hashed with argon2id. A session token is random, handed to the
browser once (in an HttpOnly cookie), and stored only as its SHA-256, the
*session key*, so a copy of the database does not let anyone sign in. The UI
never sees the token either: the web layer turns the cookie into the session
key before Reflex reads the request, so the key is all a state file can hold.

A session ends at sign-out, after ``idle_minutes`` without an event, or
``session_hours`` after sign-in, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

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


def session_key(token: str) -> str:
    """The key a session is stored and looked up by: the SHA-256 of its token."""
    return hashlib.sha256(token.encode()).hexdigest()


TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often, not on every event."""


class AuthService:
    def __init__(
        self,
        *,
        engine: Engine,
        session_hours: int = 12,
        idle_minutes: int = 30,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._lifetime = timedelta(hours=session_hours)
        self._idle = timedelta(minutes=idle_minutes)
        self._now = clock

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
                    token_hash=session_key(token),
                    user_id=user.id or 0,
                    created_at=self._now(),
                    last_seen_at=self._now(),
                    expires_at=self._now() + self._lifetime,
                )
            )
            actor = Actor(user_id=user.id or 0, email=user.email, name=user.name)
            return SignedIn(token=token, actor=actor, memberships=self._memberships(session, actor))

    def resolve(self, token: str | None) -> SignedIn | None:
        """The person behind a session token, or None when it is unknown, ended or expired."""
        if not token:
            return None
        signed_in = self.resolve_key(session_key(token))
        return SignedIn(token, signed_in.actor, signed_in.memberships) if signed_in else None

    def resolve_key(self, key: str | None) -> SignedIn | None:
        """The person behind a session key, or None when unknown, ended, idle too long or expired.

        The returned ``token`` is empty: only the browser's cookie holds the token.
        Each call counts as activity for the idle timeout.
        """
        if not key or len(key) != 64:
            return None
        now = self._now()
        with session_scope(self._engine) as session:
            record = session.exec(select(UserSession).where(UserSession.token_hash == key)).first()
            if record is None or record.ended_at is not None:
                return None
            expires_at = as_utc(record.expires_at)
            last_seen = as_utc(record.last_seen_at) or as_utc(record.created_at)
            if expires_at is None or expires_at <= now:
                return None
            if last_seen is None or last_seen + self._idle <= now:
                record.ended_at = now
                session.add(record)
                return None
            if now - last_seen >= TOUCH_INTERVAL:
                record.last_seen_at = now
                session.add(record)
            user = session.get(User, record.user_id)
            if user is None:
                return None
            actor = Actor(user_id=user.id or 0, email=user.email, name=user.name)
            return SignedIn(token="", actor=actor, memberships=self._memberships(session, actor))

    def sign_out(self, token: str | None) -> None:
        """End the session server-side, so its cookie is refused even if a copy survives."""
        if token:
            self.sign_out_key(session_key(token))

    def sign_out_key(self, key: str | None) -> None:
        if not key:
            return
        with session_scope(self._engine) as session:
            record = session.exec(select(UserSession).where(UserSession.token_hash == key)).first()
            if record is not None and record.ended_at is None:
                record.ended_at = self._now()
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
