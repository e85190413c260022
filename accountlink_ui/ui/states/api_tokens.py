"""Settings → API tokens: list, create (shown once) and revoke organization API tokens.

The new token is the one secret this app must send to the browser, once, so
the admin can copy it. It never enters the state: Reflex keeps state on disk (or
in Redis), so the token goes straight into the page's read-only field as a
one-off client action, and Done clears the field. The service keeps only its hash.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from accountlink_ui.services.api_token_service import ApiTokenService, ApiTokenView
from accountlink_ui.services.errors import InvalidConfig, ServiceError
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import Reader, when
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState


@dataclass
class TokenRow:
    """One token as the table shows it; all text, and never the token itself."""

    id: int
    name: str
    prefix: str
    created_by: str
    created: str
    last_used: str
    state: str
    active: bool


def _row(view: ApiTokenView, reader: Reader) -> TokenRow:
    return TokenRow(
        id=view.id,
        name=view.name,
        prefix=f"{view.prefix}…",
        created_by=view.created_by,
        created=when(view.created_at, reader),
        last_used=when(view.last_used_at, reader) or reader.t("dashboard.never"),
        state=reader.t("status.active")
        if view.active
        else reader.t("tokens.revoked_at", at=when(view.revoked_at, reader)),
        active=view.active,
    )


def _tokens() -> ApiTokenService:
    return get_services().api_tokens


NEW_TOKEN_FIELD = "new-token"
"""The id of the read-only field the new token is written into, in the browser only."""


class ApiTokensState(PageLoadState, SessionState):
    tokens: list[TokenRow] = []
    name_error: str = ""
    notice: str = ""
    token_shown: bool = False
    new_token_name: str = ""

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.loading = True
        self.token_shown, self.new_token_name = False, ""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        views = self._read(
            lambda: _tokens().list_tokens(actor, self.organization_id), "load.api_tokens"
        )
        self.tokens = [_row(view, self._reader()) for view in views or []]
        self.loading = False
        return None

    @rx.event
    def relocalize(self):  # type: ignore[no-untyped-def]
        """The table in the page's language. Not a reload: the page stays mounted (no
        loading state), so a token shown once stays in its field until copied."""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self._refresh(actor)
        return None

    @rx.event
    def create(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.name_error = self.notice = ""
        try:
            issued = _tokens().create_token(actor, self.organization_id, form.get("name", ""))
        except InvalidConfig as refused:
            self.name_error = refused.errors.get("name", str(refused))
            return None
        except ServiceError as refused:
            self.notice = str(refused)
            return None
        self.token_shown, self.new_token_name = True, issued.view.name
        self._refresh(actor)
        return [rx.set_value(NEW_TOKEN_FIELD, issued.token), rx.set_value("token-name", "")]

    @rx.event
    def dismiss_token(self):  # type: ignore[no-untyped-def]
        self.token_shown, self.new_token_name = False, ""
        return rx.set_value(NEW_TOKEN_FIELD, "")

    @rx.event
    def copy_token(self):  # type: ignore[no-untyped-def]
        # Read from the field in the browser: the server no longer has the token.
        return [
            rx.call_script(
                f"navigator.clipboard.writeText(document.getElementById('{NEW_TOKEN_FIELD}').value)"
            ),
            rx.toast.success(self._t("tokens.copied")),
        ]

    @rx.event
    def revoke(self, token_id: int):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        try:
            view = _tokens().revoke_token(actor, self.organization_id, token_id)
            self.notice = self._t("tokens.revoked_notice", name=view.name)
        except ServiceError as refused:
            self.notice = str(refused)
        self._refresh(actor)
        return None

    def _refresh(self, actor) -> None:  # type: ignore[no-untyped-def]
        try:
            self.tokens = [
                _row(v, self._reader()) for v in _tokens().list_tokens(actor, self.organization_id)
            ]
        except ServiceError as refused:
            self.refused = str(refused)


relocalize_on(r"/settings/api-tokens/?", ApiTokensState.relocalize)
