"""Settings → Members: who can sign in for this organization, and as what."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.ui.components.page_states import page_states
from accountlink_ui.ui.components.shell import signed_in_page
from accountlink_ui.ui.components.shown_once import shown_once
from accountlink_ui.ui.states.locale import t, tf
from accountlink_ui.ui.states.members import (
    NEW_LINK_FIELD,
    InvitationRow,
    MemberRow,
    MembersState,
)


def _new_link() -> rx.Component:
    """The link, once."""
    return shown_once(
        rx.text(MembersState.link_heading, weight="medium"),
        rx.text(MembersState.link_detail, size="2"),
        icon="mail",
        field_id=NEW_LINK_FIELD,
        label=t("members.one_time_link"),
        test_id="new-link",
        shown=MembersState.link_shown,
        on_copy=MembersState.copy_link,
        on_done=MembersState.dismiss_link,
    )


def _invite_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(t("members.invite_heading"), size="4", as_="h2"),
            rx.flex(
                rx.vstack(
                    rx.el.label(t("login.email"), html_for="invite-email", font_weight="500"),
                    rx.input(
                        id="invite-email",
                        name="email",
                        type="email",
                        placeholder=t("members.email_placeholder"),
                        max_length=320,
                        aria_describedby="invite-email-help",
                        aria_invalid=rx.cond(MembersState.email_error != "", "true", "false"),
                        width="100%",
                        size="3",
                    ),
                    spacing="1",
                    flex="1 1 260px",
                ),
                rx.vstack(
                    rx.el.label(t("members.role"), html_for="invite-role", font_weight="500"),
                    rx.el.select(
                        rx.el.option(t("members.role.member"), value="member"),
                        rx.el.option(t("members.role.admin"), value="admin"),
                        id="invite-role",
                        name="role",
                        default_value="member",
                        class_name="rt-reset rt-SelectTrigger rt-r-size-3 rt-variant-surface",
                        style={"height": "var(--space-7)", "padding": "0 12px"},
                    ),
                    spacing="1",
                    flex="0 0 auto",
                ),
                rx.button(
                    rx.icon("user-plus", size=16, aria_hidden="true"),
                    t("members.invite"),
                    type="submit",
                    size="3",
                    align_self="end",
                ),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(
                MembersState.email_error != "",
                rx.text(MembersState.email_error, color_scheme="red", size="2", role="alert"),
                rx.text(
                    t("members.invite_help"),
                    id="invite-email-help",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=MembersState.invite,
        reset_on_submit=False,
        width="100%",
    )


def _confirm(
    trigger: rx.Var[str],
    title: rx.Var[str],
    text: rx.Var[str],
    action: rx.Var[str],
    event: rx.EventSpec,
) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(trigger, variant="soft", color_scheme="red", size="1")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(text),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(t("wizard.cancel"), variant="soft", color_scheme="gray")
                ),
                rx.alert_dialog.action(rx.button(action, color_scheme="red", on_click=event)),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
    )


def _member_row(row: MemberRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row.name, rx.cond(row.is_you, t("members.you"), ""), weight="medium"),
                rx.text(row.email, size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.badge(
                row.role_label,
                color_scheme=rx.cond(row.is_admin, "indigo", "gray"),
                high_contrast=True,
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row.is_admin,
                    rx.button(
                        t("members.make_member"),
                        variant="soft",
                        size="1",
                        on_click=MembersState.change_role(row.user_id, "member"),
                    ),
                    rx.button(
                        t("members.make_admin"),
                        variant="soft",
                        size="1",
                        on_click=MembersState.change_role(row.user_id, "admin"),
                    ),
                ),
                rx.button(
                    t("members.reset_link"),
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    on_click=MembersState.reset_link(row.user_id),
                ),
                _confirm(
                    t("members.remove"),
                    tf("members.remove_title", name=row.name),
                    t("members.remove_explain"),
                    t("members.remove"),
                    MembersState.remove(row.user_id),
                ),
                spacing="2",
                wrap="wrap",
            )
        ),
        data_testid="member-row",
    )


def _invitation_row(row: InvitationRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.email),
        rx.table.cell(row.role_label),
        rx.table.cell(row.invited_by),
        rx.table.cell(row.expires),
        rx.table.cell(
            rx.button(
                t("members.cancel_invitation"),
                variant="soft",
                color_scheme="red",
                size="1",
                on_click=MembersState.revoke_invitation(row.id),
            )
        ),
        data_testid="invitation-row",
    )


def _header(*label_keys: str) -> rx.Component:
    return rx.table.header(
        rx.table.row(
            *[rx.table.column_header_cell(t(key)) for key in label_keys],
            rx.table.column_header_cell(rx.el.span(t("table.actions"), class_name="sr-only")),
        )
    )


def _content() -> rx.Component:
    return rx.vstack(
        rx.cond(
            MembersState.notice != "",
            rx.callout(
                MembersState.notice,
                icon=rx.cond(MembersState.notice_is_error, "triangle-alert", "info"),
                color_scheme=rx.cond(MembersState.notice_is_error, "red", "blue"),
                role=rx.cond(MembersState.notice_is_error, "alert", "status"),
                width="100%",
                data_testid="members-notice",
            ),
        ),
        _new_link(),
        rx.card(_invite_form(), width="100%", size="3"),
        rx.heading(t("members.people"), size="4", as_="h2"),
        rx.box(
            rx.table.root(
                _header("members.column.person", "members.role"),
                rx.table.body(rx.foreach(MembersState.members, _member_row)),
                variant="surface",
                width="100%",
            ),
            width="100%",
            overflow_x="auto",
        ),
        rx.cond(
            MembersState.invitations.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.heading(t("members.waiting_invitations"), size="4", as_="h2"),
                rx.box(
                    rx.table.root(
                        _header(
                            "login.email",
                            "members.role",
                            "members.column.invited_by",
                            "members.column.works_until",
                        ),
                        rx.table.body(rx.foreach(MembersState.invitations, _invitation_row)),
                        variant="surface",
                        width="100%",
                    ),
                    width="100%",
                    overflow_x="auto",
                ),
                spacing="3",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )


def members_body() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.heading(t("nav.members"), size="7", as_="h1"),
            rx.text(t("members.intro"), color_scheme="gray"),
            spacing="1",
        ),
        page_states(
            _content(),
            loading=MembersState.loading,
            refused=MembersState.refused,
            load_error=MembersState.load_error,
        ),
        spacing="5",
        width="100%",
    )


members_page = signed_in_page(members_body)
