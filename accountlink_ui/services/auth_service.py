"""Sign-in, sessions and the people behind them.

Passwords are hashed with argon2id. A session token is random, handed to the
browser once (in an HttpOnly cookie), and stored only as its SHA-256, the
*session key*, so a copy of the database does not let anyone sign in. The UI
never sees the token either: the web layer turns the cookie into the session
key before Reflex reads the request, so the key is all a state file can hold.

A session ends at sign-out, after ``idle_minutes`` without an event, or
``session_hours`` after sign-in, whichever comes first.

Failed sign-ins are throttled per typed email and per client address
(``sign_in_throttle``); a throttled attempt never reaches argon2. The check
itself runs on a small pool of its own (``sign_in_async``), so the event loop
keeps serving everyone else while it hashes, and a flood cannot take every thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import integrations_repository, members_repository
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message, translate
from accountlink_ui.i18n.compat import english
from accountlink_ui.models import Membership, Organization, Role, User, UserSession, as_utc, utcnow
from accountlink_ui.services.errors import SignInFailed, SignInThrottled
from accountlink_ui.services.sign_in_throttle import Admission, Keys, Refusal, SignInThrottle
from accountlink_ui.views import Actor, OrganizationMembershipView

log = logging.getLogger(__name__)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("timing-equaliser")
MISSING_CREDENTIALS = english(Message.of("auth.missing_credentials"))
WRONG_CREDENTIALS = english(Message.of("auth.wrong_credentials"))
THROTTLED = translate("en", "auth.throttled")
"""The same text whether or not the email has an account: it must not tell them apart.
These three are the English texts (the sign-in page's redirect codes); refusals carry codes."""
UNKNOWN_ADDRESS = "unknown"
FAILED_ACTION = "sign_in.failed"
THROTTLED_ACTION = "sign_in.throttled"
HASH_THREAD_NICE = 10
AUDIT_BY = "someone signing in"
"""The audit trail's actor for these events: whoever typed the email, not its owner."""


class Verifier(Protocol):
    def verify(self, hash: str, password: str) -> object: ...


def _yield_cpu() -> None:
    """Hashing threads (and argon2's own, which inherit it) run at a lower priority.

    argon2 is meant to be costly: with a few checks running, the CPU would be shared
    evenly with the event loop thread, and every page and health check would wait. At
    nice 10 the loop gets the CPU first; hashing takes what is left. Linux sets nice per
    thread; elsewhere (or if refused) this changes nothing.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICE)


def wait_message(seconds: int) -> Message:
    """'1 second', '40 seconds', '15 minutes': how long THROTTLED asks the person to wait."""
    if seconds < 120:
        if seconds == 1:
            return Message.of("duration.one_second")
        return Message.of("duration.seconds", count=seconds)
    return Message.of("duration.minutes", count=-(-seconds // 60))


def wait_text(seconds: int) -> str:
    return english(wait_message(seconds))


@dataclass(frozen=True)
class SignedIn:
    token: str
    actor: Actor
    memberships: tuple[OrganizationMembershipView, ...]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _who(user: User | None) -> str:
    """How a log line names whoever typed the email: the account's own address, never the
    text typed for an unknown one (people paste passwords into the email field)."""
    return f"account {user.email!r}" if user is not None else "an email with no account"


def session_key(token: str) -> str:
    """The key a session is stored and looked up by: the SHA-256 of its token."""
    return hashlib.sha256(token.encode()).hexdigest()


TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_seen_at`` is written at most this often, not on every event."""
RECHECK_INTERVAL = timedelta(seconds=2)
"""How long a resolved session is reused without reading the database again. Every
websocket event resolves its session twice (the event gate, then the handler's actor),
and a page sends several events at once; sign-out in this process forgets it at once, in
another worker within this interval."""
_RECENT_MAX = 4096


@dataclass(frozen=True)
class _Admitted:
    keys: Keys
    email: str
    address: str
    user_id: int | None
    password_hash: str
    failures: int


class AuthService:
    def __init__(
        self,
        *,
        engine: Engine,
        session_hours: int = 12,
        idle_minutes: int = 30,
        clock: Callable[[], datetime] = utcnow,
        throttle: SignInThrottle | None = None,
        hasher: Verifier = _hasher,
        hash_workers: int = 1,
        throttled_answer_seconds: float = 0.0,
    ) -> None:
        self._engine = engine
        self._lifetime = timedelta(hours=session_hours)
        self._idle = timedelta(minutes=idle_minutes)
        self._now = clock
        self._recent: dict[str, tuple[datetime, SignedIn]] = {}
        self._recent_lock = threading.Lock()
        self._throttle = throttle or SignInThrottle()
        self._hasher = hasher
        self._hash_workers = hash_workers
        self._throttled_answer_seconds = throttled_answer_seconds
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def sign_in(self, email: str, password: str, *, address: str = "") -> SignedIn:
        """Check the password in this thread (CLI, tests); pages use ``sign_in_async``."""
        admitted = self._admit(email, password, address)
        return self._finish(admitted, self._verify(admitted.password_hash, password))

    async def sign_in_async(self, email: str, password: str, *, address: str = "") -> SignedIn:
        """The same, with the database work on threads and argon2 on the hashing pool.

        Only the hashing pool's few threads ever run argon2, so however many attempts
        arrive, the default executor (the database steps, other handlers) and the event
        loop stay free; attempts beyond the pool's size wait their turn.
        """
        try:
            admitted = await asyncio.to_thread(self._admit, email, password, address)
        except SignInThrottled:
            # A refusal is cheap to give, so one connection could ask again at once, all
            # day, at the event loop's expense. Answering late (an awaited sleep, which
            # costs nothing) paces each connection: Reflex runs its events one at a time.
            await asyncio.sleep(self._throttled_answer_seconds)
            raise
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(
            self._hash_pool(), self._verify, admitted.password_hash, password
        )
        if not ok:
            # A wrong password is answered late too: a client that waits for each answer
            # (a browser, most scripts) then buys far fewer hashes per second, and a person
            # who mistyped does not notice a second.
            await asyncio.sleep(self._throttled_answer_seconds)
        return await asyncio.to_thread(self._finish, admitted, ok)

    def _hash_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._hash_workers,
                    thread_name_prefix="sign-in-hash",
                    initializer=_yield_cpu,
                )
            return self._pool

    def _admit(self, email: str, password: str, address: str) -> _Admitted:
        """Refuse a throttled attempt before any hashing, or count it and hand back the hash."""
        email = (email or "").strip().lower()
        address = (address or "").strip().lower() or UNKNOWN_ADDRESS
        if not email or not password:
            raise SignInFailed(Message.of("auth.missing_credentials"))
        keys = self._throttle.keys(email, address)
        with session_scope(self._engine) as session:
            user = integrations_repository.user_by_email(session, email)
            known = user is not None
            outcome: Refusal | Admission | None
            outcome = self._throttle.refusal(session, keys, mark_audited=known)
            if outcome is None:
                outcome = self._throttle.admit(session, keys, mark_audited=known)
            if not isinstance(outcome, Refusal):
                return _Admitted(
                    keys=keys,
                    email=email,
                    address=address,
                    user_id=user.id if user is not None else None,
                    password_hash=user.password_hash if user is not None else _DUMMY_HASH,
                    failures=outcome.account_failures,
                )
            self._refused(session, user, email, address, outcome)
        # Raised after the commit: the audit entry and the block's mark must stay.
        raise SignInThrottled(
            Message.of("auth.throttled", wait=wait_message(outcome.retry_after)),
            retry_after=outcome.retry_after,
        )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return True

    def _finish(self, admitted: _Admitted, ok: bool) -> SignedIn:
        with session_scope(self._engine) as session:
            user = session.get(User, admitted.user_id) if admitted.user_id is not None else None
            if ok and user is not None:
                return self._signed_in(session, user, admitted)
            self._failed(session, user, admitted)
        # Raised after the commit, so the audit entry stays.
        raise SignInFailed(Message.of("auth.wrong_credentials"))

    def _signed_in(self, session: Session, user: User, admitted: _Admitted) -> SignedIn:
        self._throttle.succeeded(session, admitted.keys)
        return self._new_session(session, user)

    def open_session(self, user_id: int) -> SignedIn:
        """A new session for someone who proved who they are by a one-time link."""
        with session_scope(self._engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise SignInFailed(Message.of("auth.wrong_credentials"))
            return self._new_session(session, user)

    def forget_user(self, user_id: int) -> None:
        """Drop this process's resolved sessions of a person (their sessions were ended)."""
        with self._recent_lock:
            self._recent = {
                key: value
                for key, value in self._recent.items()
                if value[1].actor.user_id != user_id
            }

    def _new_session(self, session: Session, user: User) -> SignedIn:
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

    def _failed(self, session: Session, user: User | None, admitted: _Admitted) -> None:
        """Audit a wrong password for an account; an unknown email goes to the log only."""
        log.warning(
            "Failed sign-in for %s from %s (failure %d in a row)",
            _who(user),
            admitted.address,
            admitted.failures,
        )
        if user is not None:
            self._audit(
                session,
                user,
                FAILED_ACTION,
                {"email": user.email, "address": admitted.address, "failures": admitted.failures},
            )

    def _refused(
        self, session: Session, user: User | None, email: str, address: str, refusal: Refusal
    ) -> None:
        """Log every refusal; audit the first one of each block for an account."""
        log.info(
            "Throttled sign-in for %s from %s: %s, retry after %d s",
            _who(user),
            address,
            "locked out" if refusal.locked else "delayed",
            refusal.retry_after,
        )
        if user is not None and refusal.first_of_block:
            self._audit(
                session,
                user,
                THROTTLED_ACTION,
                {
                    "email": user.email,
                    "address": address,
                    "locked": refusal.locked,
                    "until": refusal.until.isoformat(timespec="seconds"),
                },
            )

    @staticmethod
    def _audit(session: Session, user: User, action: str, details: dict[str, object]) -> None:
        """One event per organization of the account: the trail is read per organization."""
        for organization_id in members_repository.organizations_of(session, user.id or 0):
            integrations_repository.add_audit_event(
                session,
                organization_id=organization_id,
                actor_id=None,
                action=action,
                details={**details, "by": AUDIT_BY},
            )

    def resolve(self, token: str | None) -> SignedIn | None:
        """The person behind a session token, or None when it is unknown, ended or expired."""
        if not token:
            return None
        signed_in = self.resolve_key(session_key(token))
        return SignedIn(token, signed_in.actor, signed_in.memberships) if signed_in else None

    def recently_resolved(self, key: str | None) -> SignedIn | None:
        """The person behind a key this process resolved within ``RECHECK_INTERVAL``, or None.

        No database read: an event loop can ask this first and resolve in a worker
        thread only when it answers None.
        """
        if not key:
            return None
        now = self._now()
        with self._recent_lock:
            recent = self._recent.get(key)
        return recent[1] if recent is not None and now < recent[0] else None

    def resolve_key(self, key: str | None) -> SignedIn | None:
        """The person behind a session key, or None when unknown, ended, idle too long or expired.

        The returned ``token`` is empty: only the browser's cookie holds the token.
        Each call counts as activity for the idle timeout.
        """
        if not key or len(key) != 64:
            return None
        now = self._now()
        with self._recent_lock:
            recent = self._recent.get(key)
        if recent is not None and now < recent[0]:
            return recent[1]
        signed_in = self._read_session(key, now)
        with self._recent_lock:
            if len(self._recent) >= _RECENT_MAX:
                self._recent = {k: v for k, v in self._recent.items() if now < v[0]}
            if signed_in is None:
                self._recent.pop(key, None)
            else:  # only sessions that exist: made-up keys cannot fill this
                self._recent[key] = (now + RECHECK_INTERVAL, signed_in)
        return signed_in

    def _read_session(self, key: str, now: datetime) -> SignedIn | None:
        with session_scope(self._engine) as session:
            record = members_repository.session_by_hash(session, key)
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
        with self._recent_lock:
            self._recent.pop(key, None)
        with session_scope(self._engine) as session:
            record = members_repository.session_by_hash(session, key)
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
    def _memberships(session: Session, actor: Actor) -> tuple[OrganizationMembershipView, ...]:
        return tuple(
            OrganizationMembershipView(
                organization_id=organization.id or 0,
                organization_name=organization.name,
                role=membership.role,
            )
            for membership, organization in integrations_repository.memberships_of(
                session, actor.user_id
            )
        )
