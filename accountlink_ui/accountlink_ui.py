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
from accountlink_ui.ui.states.members import MembersState
from accountlink_ui.ui.states.posting import PostingState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.ui.states.webhooks import WebhooksState
from accountlink_ui.ui.states.wizard import WizardState
from accountlink_ui.ui.theme import GLOBAL_STYLE

app = rx.App(
    style=GLOBAL_STYLE,
    stylesheets=["/accountlink.css"],
    html_lang="en",
    api_transformer=mount_backend_routes,
)
# Before any handler of ours runs: signed in, and a payload of the declared shape.
app.add_middleware(EventGuard())
app.register_lifespan_task(prepare_database)
app.register_lifespan_task(run_sync_scheduler)
app.register_lifespan_task(run_outbox_deliverer)

app.add_page(
    login, route="/login", title="Sign in · AccountLink", on_load=SessionState.redirect_if_signed_in
)
app.add_page(
    integrations_page,
    route="/settings/integrations",
    title="External Integrations · AccountLink",
    on_load=IntegrationsState.load,
)
app.add_page(
    wizard_page,
    route="/settings/integrations/new",
    title="Add Integration · AccountLink",
    on_load=WizardState.open,
)
app.add_page(
    credentials_page,
    route="/settings/integrations/[integration_id]/credentials",
    title="Edit Credentials · AccountLink",
    on_load=CredentialsState.open,
)
app.add_page(
    posting_page,
    route="/settings/integrations/[integration_id]/posting",
    title="Posting · AccountLink",
    on_load=PostingState.open,
)
app.add_page(
    api_tokens_page,
    route="/settings/api-tokens",
    title="API tokens · AccountLink",
    on_load=ApiTokensState.load,
)
app.add_page(
    members_page,
    route="/settings/members",
    title="Members · AccountLink",
    on_load=MembersState.load,
)
app.add_page(
    accept_invitation_page,
    route="/invite",
    title="Join · AccountLink",
    on_load=OneTimeLinkState.open_invitation,
)
app.add_page(
    reset_password_page,
    route="/reset",
    title="Choose a new password · AccountLink",
    on_load=OneTimeLinkState.open_reset,
)
app.add_page(
    forgot_password_page,
    route="/forgot-password",
    title="Forgot password · AccountLink",
    on_load=OneTimeLinkState.open_forgot,
)
app.add_page(
    webhooks_page,
    route="/settings/webhooks",
    title="Webhooks · AccountLink",
    on_load=WebhooksState.load,
)
app.add_page(
    audit_page,
    route="/settings/audit",
    title="Audit trail · AccountLink",
    on_load=AuditState.load,
)
app.add_page(
    claims_page,
    route="/settings/claims",
    title="Expense claims · AccountLink",
    on_load=ClaimsState.load,
)
if demo_controls_enabled(get_settings()):
    # Absent outside the demo (and the service refuses its handlers there anyway).
    app.add_page(
        demo_controls_page,
        route=DEMO_ROUTE,
        title="Demo controls · AccountLink",
        on_load=DemoControlsState.load,
    )
app.add_page(
    lambda: rx.box(),
    route="/",
    title="AccountLink",
    on_load=rx.redirect("/settings/integrations", replace=True),
)
