"""Who is signed in, for which organization: the base of every page's state.

The session token lives in an HTTP cookie the browser already holds; the user
is resolved from it on the server for each page load, and every service call
passes the resulting actor so the service, not the page, decides access.
"""

from __future__ import annotations

import reflex as rx

from accountlink_ui.services.errors import SignInFailed
from accountlink_ui.services.wiring import get_services
from accountlink_ui.views import Actor

SESSION_COOKIE = "accountlink_session"


class SessionState(rx.State):
    session_token: str = rx.Cookie("", name=SESSION_COOKIE, same_site="strict", max_age=12 * 3600)
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
        signed_in = get_services().auth.resolve(self.session_token)
        if signed_in is None:
            return None
        self.user_name = signed_in.actor.name
        self.organizations = [
            {"id": str(m.organization_id), "name": m.organization_name, "role": m.role}
            for m in signed_in.memberships
        ]
        chosen = next(
            (m for m in signed_in.memberships if m.organization_id == self.organization_id),
            signed_in.memberships[0] if signed_in.memberships else None,
        )
        if chosen is not None:
            self.organization_id = chosen.organization_id
            self.organization_name = chosen.organization_name
            self.role = chosen.role
        return signed_in.actor

    @rx.event
    def redirect_if_signed_in(self):  # type: ignore[no-untyped-def]
        if self._actor() is not None:
            return rx.redirect("/settings/integrations", replace=True)
        return None

    @rx.event
    async def sign_in(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        """The password arrives once in the submit payload and is never kept in state.

        Awaited, so the password check runs off the event loop. The client address is
        Reflex's: the socket's peer, or X-Forwarded-For only through as many proxies as
        the operator declared trusted (``trusted_proxy_hops``).
        """
        try:
            signed_in = await get_services().auth.sign_in_async(
                form.get("email", ""),
                form.get("password", ""),
                address=self.router.session.client_ip,
            )
        except SignInFailed as refused:
            self.sign_in_error = str(refused)
            return None
        self.sign_in_error = ""
        self.session_token = signed_in.token
        self.organization_id = 0
        return rx.redirect("/settings/integrations", replace=True)

    @rx.event
    def sign_out(self):  # type: ignore[no-untyped-def]
        get_services().auth.sign_out(self.session_token)
        self.session_token = ""
        self.user_name = self.organization_name = self.role = ""
        self.organization_id = 0
        return rx.redirect("/login", replace=True)

    @rx.event
    def switch_organization(self, organization_id: str):  # type: ignore[no-untyped-def]
        self.organization_id = int(organization_id) if organization_id.isdigit() else 0
        return rx.redirect("/settings/integrations")
