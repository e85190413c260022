"""Settings → Members: the organization's people, their roles, invitations and reset links.

A new invitation or reset link is, like a new API token, sent to the browser once and
never enters the state (Reflex keeps state on disk or in Redis): it is written straight
into the page's read-only field by a client action, and Done clears the field.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.members_service import (
    IssuedLink,
    MembersService,
    MembersView,
    members_service,
)
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import when
from accountlink_ui.ui.member_messages import FIELD_OF, member_message
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState

NEW_LINK_FIELD = "new-link"
"""The id of the read-only field a new link is written into, in the browser only."""
ROLE_LABELS = {"admin": "members.role.admin", "member": "members.role.member"}
"""Catalogue keys of the role names."""


@dataclass
class MemberRow:
    user_id: int
    name: str
    email: str
    role: str
    role_label: str
    is_you: bool
    is_admin: bool


@dataclass
class InvitationRow:
    id: int
    email: str
    role_label: str
    invited_by: str
    expires: str


def _members() -> MembersService:
    return members_service(get_services())


class MembersState(PageLoadState, SessionState):
    members: list[MemberRow] = []
    invitations: list[InvitationRow] = []
    email_error: str = ""
    notice: str = ""
    notice_is_error: bool = False
    link_shown: bool = False
    link_heading: str = ""
    link_detail: str = ""

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.loading = True
        self.link_shown = False
        self.notice = self.email_error = ""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        view = self._read(
            lambda: _members().list_members(actor, self.organization_id), "load.members"
        )
        self._show(view)
        self.loading = False
        return None

    @rx.event
    def invite(self, form: dict[str, str]):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.email_error = self.notice = ""
        email = str(form.get("email", ""))[:400]
        role = str(form.get("role", "member"))
        try:
            link = _members().invite(actor, self.organization_id, email, role)
        except ServiceError as refused:
            self._refusal(refused)
            return None
        self._link(link, self._t("members.invitation_for", email=link.email, role=self._role(role)))
        self._refresh(actor)
        return [rx.set_value(NEW_LINK_FIELD, link.url), rx.set_value("invite-email", "")]

    @rx.event
    def change_role(self, user_id: int, role: str):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.notice = ""
        try:
            view = _members().change_role(actor, self.organization_id, int(user_id), role)
            self._say(
                self._t("members.role_changed", name=view.name, role=self._role(view.role).lower())
            )
        except ServiceError as refused:
            self._refusal(refused)
        self._refresh(actor)
        return None

    @rx.event
    def remove(self, user_id: int):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.notice = ""
        try:
            view = _members().remove_member(actor, self.organization_id, int(user_id))
            self._say(
                self._t(
                    "members.removed",
                    name=view.name,
                    email=view.email,
                    organization=self.organization_name,
                )
            )
        except ServiceError as refused:
            self._refusal(refused)
        self._refresh(actor)
        return None

    @rx.event
    def revoke_invitation(self, invitation_id: int):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.notice = ""
        try:
            _members().revoke_invitation(actor, self.organization_id, int(invitation_id))
            self._say(self._t("members.invitation_cancelled"))
        except ServiceError as refused:
            self._refusal(refused)
        self._refresh(actor)
        return None

    @rx.event
    def reset_link(self, user_id: int):  # type: ignore[no-untyped-def]
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self.notice = ""
        try:
            link = _members().reset_link_for(actor, self.organization_id, int(user_id))
        except ServiceError as refused:
            self._refusal(refused)
            return None
        self._link(link, self._t("members.reset_link_for", email=link.email))
        return rx.set_value(NEW_LINK_FIELD, link.url)

    @rx.event
    def dismiss_link(self):  # type: ignore[no-untyped-def]
        self.link_shown = False
        return rx.set_value(NEW_LINK_FIELD, "")

    @rx.event
    def copy_link(self):  # type: ignore[no-untyped-def]
        # Read from the field in the browser: the server no longer has the link.
        return [
            rx.call_script(
                f"navigator.clipboard.writeText(document.getElementById('{NEW_LINK_FIELD}').value)"
            ),
            rx.toast.success(self._t("members.link_copied")),
        ]

    def _role(self, role: str) -> str:
        return self._t(ROLE_LABELS[role]) if role in ROLE_LABELS else role

    def _link(self, link: IssuedLink, heading: str) -> None:
        self.link_shown = True
        self.link_heading = heading
        self.link_detail = self._t(
            "members.link_emailed" if link.emailed else "members.link_not_emailed",
            until=when(link.expires_at, self._reader()),
        )

    def _say(self, text: str, *, error: bool = False) -> None:
        self.notice, self.notice_is_error = text, error

    def _refusal(self, refused: ServiceError) -> None:
        message = member_message(refused)
        if FIELD_OF.get(getattr(refused, "code", "")) == "email":
            self.email_error = message
        else:
            self._say(message, error=True)

    @rx.event
    def relocalize(self):  # type: ignore[no-untyped-def]
        """After a language switch: the tables again, a shown link and the form kept."""
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        self._refresh(actor)
        return None

    def _refresh(self, actor) -> None:  # type: ignore[no-untyped-def]
        try:
            self._show(_members().list_members(actor, self.organization_id))
        except ServiceError as refused:
            self.refused = str(refused)

    def _show(self, view: MembersView | None) -> None:
        if view is None:
            self.members, self.invitations = [], []
            return
        self.members = [
            MemberRow(
                user_id=m.user_id,
                name=m.name,
                email=m.email,
                role=m.role,
                role_label=self._role(m.role),
                is_you=m.is_you,
                is_admin=m.role == "admin",
            )
            for m in view.members
        ]
        self.invitations = [
            InvitationRow(
                id=i.id,
                email=i.email,
                role_label=self._role(i.role),
                invited_by=i.invited_by,
                expires=when(i.expires_at, self._reader()),
            )
            for i in view.invitations
        ]


relocalize_on(r"/settings/members/?", MembersState.relocalize)
