"""Who is signed in, for which organization: the base of every page's state.

The session token lives in an HttpOnly cookie that only backend routes set and
clear (``web_session.py``); neither page scripts nor this state ever hold it.
Reflex sees the cookie header with the token already replaced by its session
key, and the person is resolved from that key on every event (``_actor()``,
and first of all by ``ui/event_guard.py``), so signing out or going idle takes
effect at once. The state keeps only who that is: names, the organization and
the role, which the service re-checks on every call.
"""

from __future__ import annotations

import asyncio
import contextlib

import reflex as rx

from accountlink_ui.i18n import LOCALES
from accountlink_ui.services.auth_service import SignedIn
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.locale_preferences import (
    DEFAULT_TIME_ZONE,
    LocalePreferences,
    LocaleSettings,
)
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.states.locale import (
    LocaleState,
    preferred_locale,
    relocalizers_for,
    set_document_language,
)
from accountlink_ui.views import Actor, OrganizationMembershipView
from accountlink_ui.web_session import (
    AFTER_SIGN_IN,
    AFTER_SIGN_OUT,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    refusal_message,
    session_key_from_cookie_header,
)

SIGN_IN_FORM_ID = "sign-in-form"

REFLEX_TOKEN_KEY = "token"
"""Where Reflex keeps a tab's client token: ``sessionStorage`` under ``TOKEN_KEY`` in its
``state.js`` (Reflex 0.10). Its state on the server is stored under that token."""


def fresh_page_script(path: str) -> str:
    """JavaScript that opens ``path`` as a new page with a new Reflex client token.

    Used once the session has changed (signed in, signed out, a one-time link used). A
    new page, because the websocket's cookie header is fixed when it connects. A new
    token, so the new page never continues the old page's server state (kept under the
    token), and never takes Reflex's duplicated-tab path: a socket presenting a token the
    server still maps to another socket (the old page's, whose disconnect may be handled
    later) is answered under a renamed token (``new_token``).
    """
    return (
        f"window.sessionStorage.removeItem({REFLEX_TOKEN_KEY!r}); "
        f"window.location.replace({path!r});"
    )


SIGN_IN_SCRIPT = f"""
(async () => {{
  const form = document.getElementById({SIGN_IN_FORM_ID!r});
  let answer;
  try {{
    answer = await fetch({SIGN_IN_PATH!r}, {{
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      headers: {{ Accept: "application/json" }},
    }});
  }} catch (e) {{
    return "failed";
  }}
  if (answer.ok) {{
    {fresh_page_script(AFTER_SIGN_IN)}
    return "";
  }}
  try {{
    return (await answer.json()).error || "failed";
  }} catch (e) {{
    return "failed";
  }}
}})()
"""
"""Posts the sign-in form to the backend route, which sets the HttpOnly cookie.

A new page (with a new client token, ``fresh_page_script``) follows a successful
sign-in: the websocket's cookie header is fixed when it connects, so the signed-in
pages need a new connection.
"""

SIGN_OUT_SCRIPT = f"""
fetch({SIGN_OUT_PATH!r}, {{ method: "POST", credentials: "same-origin", redirect: "manual" }})
  .catch(() => null)
  .then(() => {{ {fresh_page_script(AFTER_SIGN_OUT)} }})
"""
"""Ends the session server-side and clears the cookie (a backend route), then a fresh page."""


def chosen_membership(
    signed_in: SignedIn, organization_id: int
) -> OrganizationMembershipView | None:
    """The organization a page acts for: the one chosen before if still a member, else the first."""
    return next(
        (m for m in signed_in.memberships if m.organization_id == organization_id),
        signed_in.memberships[0] if signed_in.memberships else None,
    )


def session_key_of(state: rx.State) -> str:
    """The session key in the cookie header of the connection that sent the current event."""
    return session_key_from_cookie_header(state.router.headers.cookie)


def _stored_locale_settings(session_key: str, organization_id: int) -> LocaleSettings:
    """The person's saved language and their organization's defaults (a worker thread)."""
    services = get_services()
    signed_in = services.auth.resolve_key(session_key)
    if signed_in is None:
        return LocaleSettings(None, None, DEFAULT_TIME_ZONE)
    chosen = chosen_membership(signed_in, organization_id)
    return LocalePreferences(services.engine).read(
        signed_in.actor, chosen.organization_id if chosen is not None else organization_id
    )


def _save_locale(session_key: str, locale: str) -> None:
    services = get_services()
    signed_in = services.auth.resolve_key(session_key)
    if signed_in is not None:
        LocalePreferences(services.engine).save_user_locale(signed_in.actor, locale)


class SessionState(LocaleState):
    user_name: str = ""
    organization_id: int = 0
    organization_name: str = ""
    role: str = ""
    organizations: list[dict[str, str]] = []
    sign_in_error: str = ""

    @rx.var
    def is_admin(self) -> bool:
        return self.role == "admin"

    def _actor(self) -> Actor | None:
        """Resolve the person (a database read when the process has not seen the key lately).

        Background handlers resolve off the event loop instead (``signed_in_off_loop``)
        and hand the result to ``_apply_signed_in``.
        """
        return self._apply_signed_in(get_services().auth.resolve_key(session_key_of(self)))

    def _set_if_changed(self, name: str, value: object) -> None:
        """Assign only a new value: an assignment, even of the same value, re-sends the var."""
        if getattr(self, name) != value:
            setattr(self, name, value)

    def _apply_signed_in(self, signed_in: SignedIn | None) -> Actor | None:
        """Show who is signed in (names, organization, role); their actor, or None."""
        if signed_in is None:
            for name in ("user_name", "organization_name", "role"):
                self._set_if_changed(name, "")
            self._set_if_changed("organizations", [])
            return None
        self._set_if_changed("user_name", signed_in.actor.name)
        self._set_if_changed(
            "organizations",
            [
                {"id": str(m.organization_id), "name": m.organization_name, "role": m.role}
                for m in signed_in.memberships
            ],
        )
        chosen = chosen_membership(signed_in, self.organization_id)
        if chosen is not None:
            self._set_if_changed("organization_id", chosen.organization_id)
            self._set_if_changed("organization_name", chosen.organization_name)
            self._set_if_changed("role", chosen.role)
        return signed_in.actor

    @rx.event
    async def pick_locale(self):  # type: ignore[no-untyped-def]
        """At every page load: the saved choice, else the browser's Accept-Language, else
        the organization's default, else English. The read runs off the event loop."""
        stored = await asyncio.to_thread(
            _stored_locale_settings, session_key_of(self), self.organization_id
        )
        locale = preferred_locale(
            stored.user_locale,
            self.router.headers.accept_language,
            stored.organization_locale,
        )
        self._apply_locale(locale, stored.time_zone)
        return set_document_language(self.locale)

    @rx.event
    async def choose_locale(self, locale: str):  # type: ignore[no-untyped-def]
        """The header's language switch: show it at once, remember it for next time, and
        recompute the text this page's state formatted in the old language."""
        if locale not in LOCALES:
            return None
        self._apply_locale(locale)
        with contextlib.suppress(ServiceError):  # the account is gone: this tab still switches
            await asyncio.to_thread(_save_locale, session_key_of(self), locale)
        return [set_document_language(locale), *relocalizers_for(self.router.url.path)]

    @rx.event
    def redirect_if_signed_in(self):  # type: ignore[no-untyped-def]
        self.sign_in_error = ""
        if self._actor() is not None:
            return rx.redirect(AFTER_SIGN_IN, replace=True)
        return None

    @rx.event
    def sign_in_answered(self, refusal: str) -> None:
        """The sign-in route answered (see SIGN_IN_SCRIPT): show why it refused, if it did.

        Only a known refusal code is shown; anything else a client sends gets the
        generic message, so this cannot be used to store text in the state.
        """
        self.sign_in_error = refusal_message(refusal) if refusal else ""

    @rx.event
    def switch_organization(self, organization_id: str):  # type: ignore[no-untyped-def]
        """Only an organization the person belongs to can be chosen."""
        member_of = {org["id"] for org in self.organizations}
        if organization_id in member_of:
            self.organization_id = int(organization_id)
        return rx.redirect(AFTER_SIGN_IN)
