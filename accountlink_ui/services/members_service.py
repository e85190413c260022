"""Organizations and the people in them: invitations, roles, removal, password resets.

Outside the demo this is how anyone gets in. An operator creates an organization
and invites its first admin from the CLI; admins invite, promote, demote and
remove people on Settings → Members. An invitation or a password reset is a
one-time link (``<public_url>/invite/<token>``, ``/reset/<token>``): the token is
random, shown (or emailed) once, and stored only as its SHA-256, like session and
API tokens, so a copy of the database opens nothing. A link works once, until it
expires; a newer link for the same email and purpose voids the older one.

Rules kept here, whoever calls (page, CLI, tests): only admins of the organization
manage its people (tenancy, DESIGN rule 7); the last admin of an organization can
be neither demoted nor removed; every change is audited. Refusals are
``MemberRefused(code, **params)``; the words are the caller's
(``ui/member_messages.py``), DESIGN rule 11.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from accountlink_ui import integrations_repository
from accountlink_ui import members_repository as people
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import DEFAULT_LOCALE, LOCALES, Message, translate
from accountlink_ui.models import (
    Membership,
    Organization,
    Role,
    SignInLink,
    SignInLinkKind,
    User,
    as_utc,
    utcnow,
)
from accountlink_ui.services.access import administers, require_admin
from accountlink_ui.services.auth_service import AuthService, SignedIn, hash_password, session_key
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor

if TYPE_CHECKING:
    from accountlink_ui.services.wiring import Services

log = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
NAME_MAX_LENGTH = 200
ORGANIZATION_NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 320
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
RESET_REQUEST_INTERVAL = timedelta(minutes=1)
"""A forgotten-password request for the same email within this long sends nothing more:
the form cannot be used to flood someone's inbox."""
OPERATOR = "operator (command line)"
"""The audit trail's 'by' for what the CLI does: no signed-in person did it."""
INVITE_PATH = "/invite/"
RESET_PATH = "/reset/"


class MemberRefused(ServiceError):
    """The call changed nothing; ``code`` and ``params`` say why (see ui/member_messages.py)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(Message.of(f"member.{code}", **params))  # type: ignore[arg-type]
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return self.code  # as before: the code (callers render ``said`` for a person)


@dataclass(frozen=True)
class MemberView:
    user_id: int
    name: str
    email: str
    role: str
    is_you: bool


@dataclass(frozen=True)
class InvitationView:
    id: int
    email: str
    role: str
    invited_by: str
    expires_at: datetime


@dataclass(frozen=True)
class MembersView:
    members: list[MemberView]
    invitations: list[InvitationView]


@dataclass(frozen=True)
class IssuedLink:
    """A one-time link, the only time its token exists outside the recipient's hands."""

    kind: str
    email: str
    expires_at: datetime
    emailed: bool
    url: str = field(repr=False)


@dataclass(frozen=True)
class LinkView:
    """What the accept / reset page shows before anyone types: who it is for, or why not."""

    kind: str
    email: str = ""
    organization_name: str = ""
    problem: str = ""
    """'' when the link can be used; else a MemberRefused code (link_unknown, link_used, ...)."""


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not email:
        raise MemberRefused("email_missing")
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email):
        raise MemberRefused("email_invalid")
    return email


def check_password(password: str, confirm: str, email: str) -> None:
    """The password rules: long enough, not absurdly long, typed twice alike, not the email."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise MemberRefused("password_short", minimum=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise MemberRefused("password_long", maximum=PASSWORD_MAX_LENGTH)
    if password.strip().lower() == email:
        raise MemberRefused("password_is_email")
    if password != confirm:
        raise MemberRefused("password_mismatch")


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise MemberRefused("role_invalid") from None


def slugify(name: str) -> str:
    return _SLUG_CHARS.sub("-", name.lower()).strip("-")[:80]


class MembersService:
    """Stateless over the engine: cheap to build wherever the services are at hand."""

    def __init__(
        self,
        *,
        engine: Engine,
        auth: AuthService,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        send_mail: Callable[..., bool] | None = None,
    ) -> None:
        from accountlink_ui.services import mailer

        self._engine = engine
        self._auth = auth
        self._settings = settings
        self._now = clock
        self._send = send_mail or (lambda **message: mailer.send_now(settings, **message))
        self._mail_configured = (
            send_mail is not None or mailer.Mailer.from_settings(settings).configured
        )

    # --- the operator (CLI) -------------------------------------------------------------

    def create_organization(self, name: str, slug: str = "") -> Organization:
        name = (name or "").strip()
        if not name:
            raise MemberRefused("organization_name_missing")
        if len(name) > ORGANIZATION_NAME_MAX_LENGTH:
            raise MemberRefused("organization_name_long", maximum=ORGANIZATION_NAME_MAX_LENGTH)
        slug = slugify(slug or name)
        if not slug:
            raise MemberRefused("organization_slug_invalid")
        try:
            with session_scope(self._engine) as session:
                if integrations_repository.organization_by_slug(session, slug) is not None:
                    raise MemberRefused("organization_slug_taken", slug=slug)
                organization = Organization(name=name, slug=slug, created_at=self._now())
                session.add(organization)
                session.flush()
                integrations_repository.add_audit_event(
                    session,
                    organization_id=organization.id or 0,
                    actor_id=None,
                    action="organization.created",
                    details={"name": name, "slug": slug, "by": OPERATOR},
                )
                return organization
        except IntegrityError:
            raise MemberRefused("organization_slug_taken", slug=slug) from None

    def find_organization(self, reference: str) -> Organization:
        """An organization by its slug or its id, as the operator types it."""
        reference = (reference or "").strip()
        with session_scope(self._engine) as session:
            found = integrations_repository.organization_by_slug(session, reference.lower())
            if found is None and reference.isdigit():
                found = integrations_repository.organization(session, int(reference))
            if found is None:
                raise MemberRefused("organization_unknown", reference=reference)
            return found

    def operator_invite(self, organization_id: int, email: str, role: str = "admin") -> IssuedLink:
        return self._invite(None, organization_id, email, role)

    def operator_reset_link(self, email: str) -> IssuedLink:
        email = normalise_email(email)
        with session_scope(self._engine) as session:
            user = integrations_repository.user_by_email(session, email)
            if user is None:
                raise MemberRefused("no_account", email=email)
            return self._issue_reset(session, user, by=None, send=False)

    # --- admins (Settings → Members) ----------------------------------------------------

    def list_members(self, actor: Actor, organization_id: int) -> MembersView:
        now = self._now()
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="members")
            members = [
                MemberView(
                    user_id=user.id or 0,
                    name=user.name,
                    email=user.email,
                    role=membership.role,
                    is_you=user.id == actor.user_id,
                )
                for membership, user in people.members_of(session, organization_id)
            ]
            invitations = [
                InvitationView(
                    id=link.id or 0,
                    email=link.email,
                    role=link.role or Role.MEMBER.value,
                    invited_by=invited_by or OPERATOR,
                    expires_at=as_utc(link.expires_at),
                )
                for link, invited_by in people.pending_invitations(session, organization_id, now)
            ]
        return MembersView(members=members, invitations=invitations)

    def invite(self, actor: Actor, organization_id: int, email: str, role: str) -> IssuedLink:
        return self._invite(actor, organization_id, email, role)

    def revoke_invitation(self, actor: Actor, organization_id: int, invitation_id: int) -> None:
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="members")
            link = session.get(SignInLink, invitation_id)
            if (
                link is None
                or link.organization_id != organization_id
                or link.kind != SignInLinkKind.INVITATION
            ):
                raise MemberRefused("invitation_unknown")
            if link.used_at is None and link.revoked_at is None:
                link.revoked_at = self._now()
                session.add(link)
                self._audit(
                    session, organization_id, actor, "member.invitation_revoked", email=link.email
                )

    def change_role(
        self, actor: Actor, organization_id: int, user_id: int, role: str
    ) -> MemberView:
        new_role = _role(role)
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="members")
            membership, user = self._member(session, organization_id, user_id)
            if membership.role == new_role.value:
                return self._view(membership, user, actor)
            if membership.role == Role.ADMIN.value:
                self._keep_an_admin(session, organization_id, user, "demote")
            previous = membership.role
            membership.role = new_role.value
            session.add(membership)
            self._audit(
                session,
                organization_id,
                actor,
                "member.role_changed",
                email=user.email,
                role={"from": previous, "to": new_role.value},
            )
            return self._view(membership, user, actor)

    def remove_member(self, actor: Actor, organization_id: int, user_id: int) -> MemberView:
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="members")
            membership, user = self._member(session, organization_id, user_id)
            if membership.role == Role.ADMIN.value:
                self._keep_an_admin(session, organization_id, user, "remove")
            view = self._view(membership, user, actor)
            session.delete(membership)
            self._audit(
                session, organization_id, actor, "member.removed", email=user.email, role=view.role
            )
        self._auth.forget_user(user_id)  # its cached memberships in this process
        return view

    def reset_link_for(self, actor: Actor, organization_id: int, user_id: int) -> IssuedLink:
        """A reset link for a member, for the admin to hand over (or emailed, with SMTP).

        Only when every organization the person belongs to is one this admin runs: a reset
        link opens the whole account, so it must not reach into another organization.
        """
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="members")
            _, user = self._member(session, organization_id, user_id)
            for other in people.organizations_of(session, user_id):
                if not administers(session, actor, other):
                    raise MemberRefused("reset_other_organization", email=user.email)
            link = self._issue_reset(session, user, by=actor, send=True)
        return self._mail_reset(link)

    # --- anyone (the sign-in page's "Forgot password?") --------------------------------

    def request_reset(self, email: str) -> None:
        """Email a reset link when the email has an account and SMTP is configured.

        Answers the same in every case (nothing tells whether the email has an account);
        without SMTP nothing is sent, and an admin or the operator makes the link.
        """
        try:
            email = normalise_email(email)
        except MemberRefused:
            return
        if not self._mail_configured:
            log.info("Password reset asked for; no email sent: ACCOUNTLINK_SMTP_URL is not set")
            return
        with session_scope(self._engine) as session:
            user = integrations_repository.user_by_email(session, email)
            if user is None:
                return
            latest = as_utc(
                people.latest_link_at(session, kind=SignInLinkKind.PASSWORD_RESET, email=email)
            )
            if latest is not None and self._now() - latest < RESET_REQUEST_INTERVAL:
                return
            link = self._issue_reset(session, user, by=None, send=True)
        self._mail_reset(link)

    def describe_link(self, kind: str, key: str) -> LinkView:
        """The link behind a token's SHA-256 (what the page's state may hold), or why not."""
        with session_scope(self._engine) as session:
            try:
                link = self._usable(session, kind, key)
            except MemberRefused as refused:
                return LinkView(kind=kind, problem=refused.code)
            organization = (
                integrations_repository.organization(session, link.organization_id)
                if link.organization_id is not None
                else None
            )
            return LinkView(
                kind=kind,
                email=link.email,
                organization_name=organization.name if organization else "",
            )

    def accept_invitation(self, token: str, name: str, password: str, confirm: str) -> SignedIn:
        """Create the invited person's account and membership, then sign them in."""
        key = session_key(token or "")
        name = (name or "").strip()
        with session_scope(self._engine) as session:
            link = self._usable(session, SignInLinkKind.INVITATION, key)
            email = link.email
        if not name:
            raise MemberRefused("name_missing")
        if len(name) > NAME_MAX_LENGTH:
            raise MemberRefused("name_long", maximum=NAME_MAX_LENGTH)
        check_password(password, confirm, email)
        password_hash = hash_password(password)  # outside the transaction: argon2 is slow
        now = self._now()
        try:
            with session_scope(self._engine) as session:
                link = self._usable(session, SignInLinkKind.INVITATION, key)
                if integrations_repository.user_by_email(session, link.email) is not None:
                    raise MemberRefused("account_exists", email=link.email)
                if not people.use_link(session, link.id or 0, now):
                    raise MemberRefused("link_used")
                user = User(email=link.email, name=name, password_hash=password_hash)
                user.created_at = now
                session.add(user)
                session.flush()
                organization_id = link.organization_id or 0
                role = link.role or Role.MEMBER.value
                session.add(
                    Membership(organization_id=organization_id, user_id=user.id or 0, role=role)
                )
                integrations_repository.add_audit_event(
                    session,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="member.joined",
                    details={"email": user.email, "role": role},
                )
                user_id = user.id or 0
        except IntegrityError:
            raise MemberRefused("account_exists", email=email) from None
        return self._auth.open_session(user_id)

    def reset_password(self, token: str, password: str, confirm: str) -> SignedIn:
        """Set a new password, end every other session of the person, sign them in."""
        key = session_key(token or "")
        with session_scope(self._engine) as session:
            email = self._usable(session, SignInLinkKind.PASSWORD_RESET, key).email
        check_password(password, confirm, email)
        password_hash = hash_password(password)
        now = self._now()
        with session_scope(self._engine) as session:
            link = self._usable(session, SignInLinkKind.PASSWORD_RESET, key)
            user = session.get(User, link.user_id) if link.user_id is not None else None
            if user is None:
                raise MemberRefused("link_unknown")
            if not people.use_link(session, link.id or 0, now):
                raise MemberRefused("link_used")
            user.password_hash = password_hash
            session.add(user)
            ended = people.end_sessions_of(session, user.id or 0, now)
            people.revoke_open_links(
                session,
                kind=SignInLinkKind.PASSWORD_RESET,
                email=user.email,
                organization_id=None,
                now=now,
            )
            for organization_id in people.organizations_of(session, user.id or 0):
                integrations_repository.add_audit_event(
                    session,
                    organization_id=organization_id,
                    actor_id=user.id,
                    action="member.password_reset",
                    details={"email": user.email, "sessions_ended": ended},
                )
            user_id = user.id or 0
        self._auth.forget_user(user_id)
        return self._auth.open_session(user_id)

    # --- inside -------------------------------------------------------------------------

    def _invite(
        self, actor: Actor | None, organization_id: int, email: str, role: str
    ) -> IssuedLink:
        email = normalise_email(email)
        new_role = _role(role)
        token = secrets.token_urlsafe(32)
        now = self._now()
        expires = now + timedelta(hours=self._settings.invitation_hours)
        with session_scope(self._engine) as session:
            if actor is not None:
                require_admin(session, actor, organization_id, to="members")
            organization = integrations_repository.organization(session, organization_id)
            if organization is None:
                raise MemberRefused("organization_unknown", reference=str(organization_id))
            existing = integrations_repository.user_by_email(session, email)
            if existing is not None:
                if integrations_repository.membership(session, organization_id, existing.id or 0):
                    raise MemberRefused("already_member", email=email)
                # An account can be opened by whoever holds an invitation link (shown to
                # the inviting admin when no email is sent), so adding an existing account
                # to a second organization would let one organization's admin reach into
                # another's. Not supported until invitations are confirmed by the account.
                raise MemberRefused("account_elsewhere", email=email)
            people.revoke_open_links(
                session,
                kind=SignInLinkKind.INVITATION,
                email=email,
                organization_id=organization_id,
                now=now,
            )
            session.add(
                SignInLink(
                    token_hash=session_key(token),
                    kind=SignInLinkKind.INVITATION.value,
                    email=email,
                    organization_id=organization_id,
                    role=new_role.value,
                    created_by_id=actor.user_id if actor else None,
                    created_at=now,
                    expires_at=expires,
                )
            )
            self._audit(
                session,
                organization_id,
                actor,
                "member.invited",
                email=email,
                role=new_role.value,
                expires=expires.isoformat(timespec="minutes"),
            )
            organization_name = organization.name
        url = self._url(INVITE_PATH, token)
        emailed = False
        if actor is not None and self._mail_configured:
            # The invitee has no account, so no language of their own yet: English.
            words = {
                "organization": organization_name,
                "inviter": actor.name,
                "expires": f"{expires:%Y-%m-%d %H:%M}",
                "url": url,
            }
            emailed = self._send(
                to=email,
                subject=translate(DEFAULT_LOCALE, "email.invitation.subject", words),
                body=translate(DEFAULT_LOCALE, "email.invitation.body", words),
            )
        return IssuedLink(
            kind=SignInLinkKind.INVITATION.value,
            email=email,
            expires_at=expires,
            emailed=emailed,
            url=url,
        )

    def _issue_reset(
        self, session: Session, user: User, *, by: Actor | None, send: bool
    ) -> IssuedLink:
        token = secrets.token_urlsafe(32)
        now = self._now()
        expires = now + timedelta(minutes=self._settings.password_reset_minutes)
        people.revoke_open_links(
            session,
            kind=SignInLinkKind.PASSWORD_RESET,
            email=user.email,
            organization_id=None,
            now=now,
        )
        session.add(
            SignInLink(
                token_hash=session_key(token),
                kind=SignInLinkKind.PASSWORD_RESET.value,
                email=user.email,
                user_id=user.id,
                created_by_id=by.user_id if by else None,
                created_at=now,
                expires_at=expires,
            )
        )
        for organization_id in people.organizations_of(session, user.id or 0):
            self._audit(
                session,
                organization_id,
                by,
                "member.reset_link_created",
                email=user.email,
                **({} if by else {"by": "the person themselves" if send else OPERATOR}),
            )
        return IssuedLink(
            kind=SignInLinkKind.PASSWORD_RESET.value,
            email=user.email,
            expires_at=expires,
            emailed=False,
            url=self._url(RESET_PATH, token),
        )

    def _locale_of(self, email: str) -> str:
        """The person's language: ``users.locale`` once that column exists, else English."""
        with session_scope(self._engine) as session:
            user = integrations_repository.user_by_email(session, email)
            locale = getattr(user, "locale", None)
        return locale if locale in LOCALES else DEFAULT_LOCALE

    def _mail_reset(self, link: IssuedLink) -> IssuedLink:
        """Email a reset link, after its transaction committed (never inside one: a slow
        SMTP server must not hold a database lock), and not through the outbox: see
        ``mailer.send_now`` for why."""
        if not self._mail_configured:
            return link
        words = {"expires": f"{link.expires_at:%Y-%m-%d %H:%M}", "url": link.url}
        locale = self._locale_of(link.email)
        emailed = self._send(
            to=link.email,
            subject=translate(locale, "email.reset.subject"),
            body=translate(locale, "email.reset.body", words),
        )
        return replace(link, emailed=emailed)

    def _usable(self, session: Session, kind: str, key: str) -> SignInLink:
        link = people.link_by_hash(session, key) if len(key) == 64 else None
        if link is None or link.kind != kind:
            raise MemberRefused("link_unknown")
        if link.used_at is not None:
            raise MemberRefused("link_used")
        if link.revoked_at is not None:
            raise MemberRefused("link_revoked")
        expires = as_utc(link.expires_at)
        if expires is None or expires <= self._now():
            raise MemberRefused("link_expired")
        return link

    @staticmethod
    def _member(session: Session, organization_id: int, user_id: int) -> tuple[Membership, User]:
        membership = integrations_repository.membership(session, organization_id, user_id)
        user = session.get(User, user_id) if membership is not None else None
        if membership is None or user is None:
            raise MemberRefused("not_member")
        return membership, user

    @staticmethod
    def _keep_an_admin(session: Session, organization_id: int, user: User, what: str) -> None:
        admins = people.admin_memberships(session, organization_id)
        if len([admin for admin in admins if admin.user_id != user.id]) == 0:
            raise MemberRefused(f"last_admin_{what}", email=user.email)

    @staticmethod
    def _view(membership: Membership, user: User, actor: Actor) -> MemberView:
        return MemberView(
            user_id=user.id or 0,
            name=user.name,
            email=user.email,
            role=membership.role,
            is_you=user.id == actor.user_id,
        )

    @staticmethod
    def _audit(
        session: Session,
        organization_id: int,
        actor: Actor | None,
        action: str,
        **details: object,
    ) -> None:
        if actor is None:
            details.setdefault("by", OPERATOR)
        integrations_repository.add_audit_event(
            session,
            organization_id=organization_id,
            actor_id=actor.user_id if actor else None,
            action=action,
            details=dict(details),
        )

    def _url(self, path: str, token: str) -> str:
        return self._settings.public_url.rstrip("/") + path + token


def members_service(services: Services) -> MembersService:
    """Built from the wired services."""
    return MembersService(engine=services.engine, auth=services.auth, settings=services.settings)
