"""The Reflex app: pages, the backend routes it mounts, start-up tasks. Nothing else."""

from __future__ import annotations

import reflex as rx

from accountlink_ui.asgi import mount_backend_routes
from accountlink_ui.startup import prepare_database
from accountlink_ui.ui.pages.integrations import integrations_page
from accountlink_ui.ui.pages.login import login
from accountlink_ui.ui.states.integrations import IntegrationsState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.ui.theme import APP_THEME, GLOBAL_STYLE

app = rx.App(
    theme=APP_THEME, style=GLOBAL_STYLE, html_lang="en", api_transformer=mount_backend_routes
)
app.register_lifespan_task(prepare_database)

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
    lambda: rx.box(),
    route="/",
    title="AccountLink",
    on_load=rx.redirect("/settings/integrations", replace=True),
)
