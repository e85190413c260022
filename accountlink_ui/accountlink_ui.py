"""The Reflex app: pages, the backend routes it mounts, start-up tasks. Nothing else."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.asgi import mount_backend_routes
from accountlink_ui.services.demo_controls import demo_controls_enabled
from accountlink_ui.settings import get_settings
from accountlink_ui.startup import prepare_database, run_outbox_deliverer, run_sync_scheduler
from accountlink_ui.ui.event_guard import EventGuard
from accountlink_ui.ui.pages.api_tokens import api_tokens_page
from accountlink_ui.ui.pages.audit import audit_page
from accountlink_ui.ui.pages.claims import claims_page
from accountlink_ui.ui.pages.credentials import credentials_page
from accountlink_ui.ui.pages.demo_controls import DEMO_ROUTE, demo_controls_page
from accountlink_ui.ui.pages.integrations import integrations_page
from accountlink_ui.ui.pages.links import (
    accept_invitation_page,
    forgot_password_page,
    reset_password_page,
)
from accountlink_ui.ui.pages.login import login
from accountlink_ui.ui.pages.members import members_page
from accountlink_ui.ui.pages.posting import posting_page
from accountlink_ui.ui.pages.webhooks import webhooks_page
from accountlink_ui.ui.pages.wizard import wizard_page
from accountlink_ui.ui.states.api_tokens import ApiTokensState
from accountlink_ui.ui.states.audit import AuditState
from accountlink_ui.ui.states.claims import ClaimsState
from accountlink_ui.ui.states.credentials import CredentialsState
from accountlink_ui.ui.states.demo_controls import DemoControlsState
from accountlink_ui.ui.states.integrations import IntegrationsState
from accountlink_ui.ui.states.links import OneTimeLinkState
from accountlink_ui.ui.states.locale import t
from accountlink_ui.ui.states.members import MembersState
from accountlink_ui.ui.states.posting import PostingState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.ui.states.webhooks import WebhooksState
from accountlink_ui.ui.states.wizard import WizardState
from accountlink_ui.ui.theme import GLOBAL_STYLE

app = rx.App(
    style=GLOBAL_STYLE,
    stylesheets=["/accountlink.css"],
    # The header's link mark in the browser tab (without it every page load asks for a
    # /favicon.ico that does not exist, a 404 in the console).
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml")],
    html_lang="en",  # the build's default; pick_locale sets document.documentElement.lang
    api_transformer=mount_backend_routes,
)
# Before any handler of ours runs: signed in, and a payload of the declared shape.
app.add_middleware(EventGuard())
app.register_lifespan_task(prepare_database)
app.register_lifespan_task(run_sync_scheduler)
app.register_lifespan_task(run_outbox_deliverer)

app.add_page(
    login,
    route="/login",
    title=t("title.sign_in"),
    on_load=[SessionState.pick_locale, SessionState.redirect_if_signed_in],
)
app.add_page(
    integrations_page,
    route="/settings/integrations",
    title=t("title.integrations"),
    on_load=[SessionState.pick_locale, IntegrationsState.load],
)
app.add_page(
    wizard_page,
    route="/settings/integrations/new",
    title=t("title.wizard"),
    on_load=[SessionState.pick_locale, WizardState.open],
)
app.add_page(
    credentials_page,
    route="/settings/integrations/[integration_id]/credentials",
    title=t("title.credentials"),
    on_load=[SessionState.pick_locale, CredentialsState.open],
)
app.add_page(
    posting_page,
    route="/settings/integrations/[integration_id]/posting",
    title=t("title.posting"),
    on_load=[SessionState.pick_locale, PostingState.open],
)
app.add_page(
    api_tokens_page,
    route="/settings/api-tokens",
    title=t("title.api_tokens"),
    on_load=[SessionState.pick_locale, ApiTokensState.load],
)
app.add_page(
    members_page,
    route="/settings/members",
    title=t("title.members"),
    on_load=[SessionState.pick_locale, MembersState.load],
)
app.add_page(
    accept_invitation_page,
    route="/invite",
    title=t("title.invite"),
    on_load=[SessionState.pick_locale, OneTimeLinkState.open_invitation],
)
app.add_page(
    reset_password_page,
    route="/reset",
    title=t("title.reset"),
    on_load=[SessionState.pick_locale, OneTimeLinkState.open_reset],
)
app.add_page(
    forgot_password_page,
    route="/forgot-password",
    title=t("title.forgot"),
    on_load=[SessionState.pick_locale, OneTimeLinkState.open_forgot],
)
app.add_page(
    webhooks_page,
    route="/settings/webhooks",
    title=t("title.webhooks"),
    on_load=[SessionState.pick_locale, WebhooksState.load],
)
app.add_page(
    audit_page,
    route="/settings/audit",
    title=t("title.audit"),
    on_load=[SessionState.pick_locale, AuditState.load],
)
app.add_page(
    claims_page,
    route="/settings/claims",
    title=t("title.claims"),
    on_load=[SessionState.pick_locale, ClaimsState.load],
)
if demo_controls_enabled(get_settings()):
    # Absent outside the demo (and the service refuses its handlers there anyway).
    app.add_page(
        demo_controls_page,
        route=DEMO_ROUTE,
        title=t("title.demo_controls"),
        on_load=[SessionState.pick_locale, DemoControlsState.load],
    )
app.add_page(
    lambda: rx.box(),
    route="/",
    title="AccountLink",
    on_load=rx.redirect("/settings/integrations", replace=True),
)
