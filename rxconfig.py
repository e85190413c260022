"""Reflex configuration for AccountLink.

The app owns its database (``accountlink_ui.db``), so ``db_url`` stays unset:
Reflex's own ``rx.Model`` engine is not used. In production (``reflex run
--env prod``) Reflex serves the compiled frontend and the backend from one
port; ``--frontend-port``/``--backend-port`` (or ``REFLEX_FRONTEND_PORT`` and
``REFLEX_BACKEND_PORT``) move both together.

Plugins are listed explicitly: the sitemap plugin that Reflex enables by
default is switched off (an admin console has nothing to index), and no
Tailwind plugin is used, so a build makes no requests beyond the npm registry.
"""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

PORT = 8000

config = rx.Config(
    app_name="accountlink_ui",
    frontend_port=PORT,
    backend_port=PORT,
    telemetry_enabled=False,
    plugins=[],
    disable_plugins=[SitemapPlugin],
    show_built_with_reflex=False,
)
