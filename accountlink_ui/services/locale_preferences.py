"""Which language and time zone a person's pages use: their choice, else their organization's.

The browser's Accept-Language sits between the two, and only the page sees it, so this
service hands the page both stored values and the page decides (``ui/states/locale.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine

from accountlink_ui import integrations_repository as repository
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import LOCALES
from accountlink_ui.models import Organization, User
from accountlink_ui.services.errors import NotFound, ServiceError
from accountlink_ui.views import Actor

DEFAULT_TIME_ZONE = "UTC"


class UnsupportedLocale(ServiceError):
    def __init__(self, locale: str) -> None:
        super().__init__(
            f"Language {locale[:20]!r} is not offered; choose one of {', '.join(LOCALES)}."
        )


@dataclass(frozen=True)
class LocaleSettings:
    user_locale: str | None
    """What the person chose in the header, or None: then the browser decides."""
    organization_locale: str | None
    """The organization's default; None when the person is not a member of it."""
    time_zone: str


def valid_time_zone(name: str) -> str:
    """``name`` if it is an IANA zone this machine knows, else UTC (never an exception
    on a page load because someone stored a zone the server lacks)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_TIME_ZONE
    return name


class LocalePreferences:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self, actor: Actor | None, organization_id: int) -> LocaleSettings:
        """The stored choices for this person in this organization (one short read).

        Another organization's defaults are not revealed: a non-member gets UTC and None.
        """
        with session_scope(self._engine) as session:
            user = session.get(User, actor.user_id) if actor is not None else None
            organization = None
            if actor is not None and repository.membership(session, organization_id, actor.user_id):
                organization = session.get(Organization, organization_id)
            return LocaleSettings(
                user_locale=user.locale if user is not None and user.locale in LOCALES else None,
                organization_locale=(
                    organization.locale
                    if organization is not None and organization.locale in LOCALES
                    else None
                ),
                time_zone=valid_time_zone(
                    organization.time_zone if organization is not None else DEFAULT_TIME_ZONE
                ),
            )

    def save_user_locale(self, actor: Actor, locale: str) -> None:
        """Remember the person's language for every page and device they sign in on."""
        if locale not in LOCALES:
            raise UnsupportedLocale(locale)
        with session_scope(self._engine) as session:
            user = session.get(User, actor.user_id)
            if user is None:
                raise NotFound("That account no longer exists.")
            user.locale = locale
            session.add(user)

    def set_organization_defaults(
        self, organization_id: int, *, locale: str, time_zone: str
    ) -> None:
        """The organization's language and zone (the demo seed and operators; not a page)."""
        if locale not in LOCALES:
            raise UnsupportedLocale(locale)
        if valid_time_zone(time_zone) != time_zone:
            raise ServiceError(f"Time zone {time_zone[:64]!r} is not a known IANA zone.")
        with session_scope(self._engine) as session:
            organization = session.get(Organization, organization_id)
            if organization is None:
                raise NotFound(f"Organization {organization_id} does not exist.")
            organization.locale = locale
            organization.time_zone = time_zone
            session.add(organization)
