"""Reflex configuration for AccountLink.

The app owns its database engine (``accountlink_ui.db``), so ``db_url`` stays
unset: Reflex's own ``rx.Model`` engine is not used.

In production (``reflex run --env prod``) Reflex serves the compiled frontend
and the backend from one port. ``--frontend-port``/``--backend-port`` (or
``REFLEX_FRONTEND_PORT``/``REFLEX_BACKEND_PORT``) move both together; the
frontend's backend URL follows because ``api_url`` is left at its default.

Plugins are explicit: Radix Themes is on with the app's theme (Reflex 0.10
deprecates both implicit enablement and ``rx.App(theme=...)``); the sitemap
plugin that Reflex adds by default is off (an admin console has nothing to
index); there is no Tailwind plugin. A build fetches nothing beyond the npm
registry.

One websocket message is capped at 256 KiB (Reflex's default is 1 MB): the
largest message a page sends is a credential form with a certificate and a key,
and what a browser sends is kept in the session's state until its next event.
With ``REFLEX_REDIS_URL`` set, the backend runs one worker per CPU unless
``GRANIAN_WORKERS`` says otherwise (without Redis always one: sessions on disk
are not shared between processes), with Reflex's opportunistic locking on.

Auto-generated ``set_<var>`` setters are off (Reflex 0.10's default); the app's
event guard refuses them and ``setvar`` even if they were switched on.
"""

import os

import reflex as rx

from accountlink_ui.ui.theme import APP_THEME

PORT = 8000

os.environ.setdefault("REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE", str(256 * 1024))

if os.environ.get("REFLEX_REDIS_URL"):
    # Several backend workers need Redis (sessions are shared there); Reflex's default is
    # 2 x CPUs + 1, which on 2 cores ran 5 workers that mostly queued for the CPU
    # (bench/sessions.py). One per CPU this process may use; GRANIAN_WORKERS overrides.
    os.environ.setdefault("GRANIAN_WORKERS", str(max(len(os.sched_getaffinity(0)), 1)))
    # Opportunistic locking (Reflex's own, off by default): a worker keeps a session's
    # Redis lock and its state in memory between that session's events while nobody else
    # asks for it, and hands both over when another worker does. A browser's websocket
    # stays on one worker, so most events skip the lock round trips and the state's
    # read and write: at 200 dashboard sessions on 2 cores, CPU per event fell by about
    # a fifth and no lock was held over 100 ms (bench/sessions.py). REFLEX_OPLOCK_ENABLED=false
    # turns it off.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
    # How long a worker keeps an idle session's lock. Reflex's default is half the lock's
    # expiry (5 s): a tab that reconnects to another worker waits that long whenever the
    # contention notice through Redis goes astray. One second keeps the gain (an event and
    # its background task follow within milliseconds; same p95 at 200 sessions) and
    # bounds that wait to a second.
    os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", "1s")

config = rx.Config(
    app_name="accountlink_ui",
    frontend_port=PORT,
    backend_port=PORT,
    telemetry_enabled=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=APP_THEME)],
    disable_plugins=[rx.plugins.SitemapPlugin],
    show_built_with_reflex=False,
)
