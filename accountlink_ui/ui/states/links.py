"""The pages a one-time link opens (accept an invitation, reset a password) and
"Forgot password?". Nobody is signed in on them, so their handlers are public
(``ui/event_guard.py`` PUBLIC_HANDLERS): they only read what a link is for, and show the
answer of the HTTP route the form posts to (``web_links.py``). Neither the token nor a
password ever enters this state: the browser posts the form to the route, and the state
sees the link's SHA-256 only (``SessionKeyMiddleware``)."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.services.members_service import (
    NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    MemberRefused,
    members_service,
)
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.member_messages import FIELD_OF, GENERIC, MEMBER_MESSAGES, member_message
from accountlink_ui.ui.states.session import SessionState, fresh_page_script
from accountlink_ui.web_links import (
    ACCEPT_INVITE_PATH,
    FORGOT_PASSWORD_PATH,
    RESET_PASSWORD_PATH,
)
from accountlink_ui.web_session import AFTER_SIGN_IN, link_key_from_cookie_header

LINK_FORM_ID = "one-time-link-form"
FORGOT_FORM_ID = "forgot-password-form"
ROUTE_REFUSALS = {
    "origin": "That was refused because the request did not come from this site. "
    "Reload the page and try again.",
    "too_large": "That request was too large. Check what you typed.",
    "failed": GENERIC,
}
_PARAMS = {
    "password_short": {"minimum": PASSWORD_MIN_LENGTH},
    "password_long": {"maximum": PASSWORD_MAX_LENGTH},
    "name_long": {"maximum": NAME_MAX_LENGTH},
}


def post_form_script(form_id: str, path: str, next_page: str) -> str:
    """Post a form to a backend route; on success go to ``next_page`` (a new page with a new
    client token, so the websocket reconnects with the new cookie), else hand back the
    route's refusal code."""
    go = fresh_page_script(next_page) if next_page else ""
    return f"""
(async () => {{
  const form = document.getElementById({form_id!r});
  let answer;
  try {{
    answer = await fetch({path!r}, {{
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      headers: {{ Accept: "application/json" }},
    }});
  }} catch (e) {{
    return "failed";
  }}
  if (answer.ok) {{
    {go}
    return "ok";
  }}
  try {{
    return (await answer.json()).error || "failed";
  }} catch (e) {{
    return "failed";
  }}
}})()
"""


ACCEPT_SCRIPT = post_form_script(LINK_FORM_ID, ACCEPT_INVITE_PATH, AFTER_SIGN_IN)
RESET_SCRIPT = post_form_script(LINK_FORM_ID, RESET_PASSWORD_PATH, AFTER_SIGN_IN)
FORGOT_SCRIPT = post_form_script(FORGOT_FORM_ID, FORGOT_PASSWORD_PATH, "")


class OneTimeLinkState(SessionState):
    link_kind: str = ""
    link_email: str = ""
    link_organization: str = ""
    link_problem: str = ""
    link_checked: bool = False
    form_error: str = ""
    name_error: str = ""
    password_error: str = ""
    confirm_error: str = ""
    reset_requested: bool = False

    @rx.event
    def open_invitation(self) -> None:
        self._open("invitation")

    @rx.event
    def open_reset(self) -> None:
        self._open("password_reset")

    def _open(self, kind: str) -> None:
        self.link_kind = kind
        self._clear()
        key = link_key_from_cookie_header(self.router.headers.cookie)
        view = members_service(get_services()).describe_link(kind, key)
        self.link_email, self.link_organization = view.email, view.organization_name
        self.link_problem = (
            member_message(MemberRefused(view.problem), self.locale) if view.problem else ""
        )
        self.link_checked = True

    @rx.event
    def one_time_link_answered(self, answer: str) -> None:
        """The route answered: show why it refused (only known codes; other text a client
        sends gets the generic sentence, so nothing typed is stored here)."""
        self._clear()
        if not answer or answer == "ok":
            return
        if answer in ROUTE_REFUSALS:
            self.form_error = ROUTE_REFUSALS[answer]
            return
        if answer not in MEMBER_MESSAGES or answer in ("account_exists",):
            self.form_error = (
                f"{self.link_email} already has an account. Sign in instead."
                if answer == "account_exists"
                else GENERIC
            )
            return
        message = member_message(MemberRefused(answer, **_PARAMS.get(answer, {})), self.locale)
        field = FIELD_OF.get(answer, "")
        if field == "name":
            self.name_error = message
        elif field == "password":
            self.password_error = message
        elif field == "confirm":
            self.confirm_error = message
        else:  # the link itself: used (by another tab), expired, replaced
            self.link_problem = message

    @rx.event
    def reset_request_answered(self, answer: str) -> None:
        self.reset_requested = answer == "ok"
        self.form_error = "" if answer == "ok" else ROUTE_REFUSALS.get(answer, GENERIC)

    @rx.event
    def open_forgot(self) -> None:
        self.reset_requested = False
        self.form_error = ""

    def _clear(self) -> None:
        self.form_error = self.name_error = self.password_error = self.confirm_error = ""
