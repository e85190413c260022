"""Organization API tokens: created and revoked by admins, presented by scripts and monitors.

A token is random, shown to the admin once, and stored only as its SHA-256,
like a session token (auth_service), so a copy of the database opens nothing.

A token acts as an ``ApiActor``: the admin who created it, pinned to the
token's organization. Service calls therefore keep enforcing tenancy through
the creator's membership (DESIGN rule 7), and a token stops working the moment
its creator is no longer an admin of that organization, so removing a person
also removes their scripts' access.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from accountlink_ui import integrations_repository, tokens_repository
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message
from accountlink_ui.models import ApiToken, User, as_utc, utcnow
from accountlink_ui.services.access import is_admin_role, require_admin
from accountlink_ui.services.errors import InvalidConfig, NotFound
from accountlink_ui.views import Actor

TOKEN_PREFIX = "alk_"
"""Marks AccountLink tokens, so secret scanners and people can recognise a leaked one."""
SHOWN_PREFIX_LENGTH = 12
NAME_MAX_LENGTH = 120
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""Write 'last used' at most once a minute per token: a monitor polling every second
should not turn every read into a database write."""


@dataclass(frozen=True)
class ApiActor(Actor):
    """Who acts when a request carries a token: its creator, within the token's organization."""

    organization_id: int = 0
    token_id: int = 0

    @property
    def organization_scope(self) -> int | None:
        return self.organization_id


@dataclass(frozen=True)
class ApiTokenView:
    """One row of Settings → API tokens; the token itself is not here."""

    id: int
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedToken:
    view: ApiTokenView
    token: str = field(repr=False)
    """The only time the plaintext exists outside the caller's hands: show it, then drop it."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenService:
    """Stateless over the engine: cheap to build wherever the services are at hand."""

    def __init__(self, *, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def list_tokens(self, actor: Actor, organization_id: int) -> list[ApiTokenView]:
        """Active tokens first, newest first within each group."""
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="api_tokens")
            rows = tokens_repository.tokens_of(session, organization_id)
            views = [_view(token, creator) for token, creator in rows]
        return sorted(views, key=lambda view: not view.active)

    def create_token(self, actor: Actor, organization_id: int, name: str) -> IssuedToken:
        name = (name or "").strip()
        if not name:
            raise InvalidConfig({"name": Message.of("api_token.name_missing")})
        if len(name) > NAME_MAX_LENGTH:
            raise InvalidConfig({"name": Message.of("text.too_long", maximum=NAME_MAX_LENGTH)})
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="api_tokens")
            row = ApiToken(
                organization_id=organization_id,
                name=name,
                token_hash=token_hash(token),
                prefix=token[:SHOWN_PREFIX_LENGTH],
                created_by_id=actor.user_id,
                created_at=self._clock(),
            )
            session.add(row)
            session.flush()
            integrations_repository.add_audit_event(
                session,
                organization_id=organization_id,
                actor_id=actor.user_id,
                action="api_token.created",
                details={"token": name, "prefix": row.prefix},
            )
            view = _view(row, actor.name)
        return IssuedToken(view=view, token=token)

    def revoke_token(self, actor: Actor, organization_id: int, token_id: int) -> ApiTokenView:
        """Revoking twice is harmless; the second time changes and records nothing."""
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="api_tokens")
            row = session.get(ApiToken, token_id)
            if row is None or row.organization_id != organization_id:
                raise NotFound(Message.of("api_token.not_found"))
            if row.revoked_at is None:
                row.revoked_at = self._clock()
                session.add(row)
                integrations_repository.add_audit_event(
                    session,
                    organization_id=organization_id,
                    actor_id=actor.user_id,
                    action="api_token.revoked",
                    details={"token": row.name, "prefix": row.prefix},
                )
            creator = session.get(User, row.created_by_id)
            return _view(row, creator.name if creator else "")

    def authenticate(self, token: str | None) -> ApiActor | None:
        """The actor behind a presented token, or None when it is unknown, revoked or orphaned."""
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = self._clock()
        with session_scope(self._engine) as session:
            holder = tokens_repository.token_holder(session, token_hash(token))
            # The creator must still administer the token's organization (module docstring).
            if holder is None or holder.revoked_at is not None or not is_admin_role(holder.role):
                return None
            last_used = as_utc(holder.last_used_at)
            if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
                tokens_repository.touch_token(session, holder.token_id, now)
            return ApiActor(
                user_id=holder.user_id,
                email=holder.email,
                name=holder.name,
                organization_id=holder.organization_id,
                token_id=holder.token_id,
            )


def _view(row: ApiToken, creator: str) -> ApiTokenView:
    return ApiTokenView(
        id=row.id or 0,
        name=row.name,
        prefix=row.prefix,
        created_by=creator,
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at),
        revoked_at=as_utc(row.revoked_at),
    )
