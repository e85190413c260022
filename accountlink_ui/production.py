"""What production mode (``ACCOUNTLINK_ENV=production``) refuses before serving anyone.

Plain Python over the settings and the process environment, so the start-up
hook, ``accountlink check-production`` (run by ``make serve`` before it builds
anything) and the tests share one list. Each refusal names the setting an
operator has to change.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from accountlink_ui.settings import Settings

WORKERS_ENV = "GRANIAN_WORKERS"
"""Reflex 0.10 serves ``--env prod`` with Granian and reads the worker count from this
variable (reflex/utils/exec.py ``run_granian_backend_prod``); when it is unset Reflex
starts one worker without Redis and ``2 * cores + 1`` (at most its cap) with Redis
(reflex/utils/processes.py ``get_num_workers``)."""
REDIS_ENV = "REFLEX_REDIS_URL"
log = logging.getLogger(__name__)


class ProductionRefused(RuntimeError):
    """Production mode would run with a setting that is only safe in the demo."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "ACCOUNTLINK_ENV=production refuses to start:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )


def configured_workers(environ: Mapping[str, str] | None = None) -> int:
    """The backend worker count Reflex will start with (see ``WORKERS_ENV``)."""
    environ = os.environ if environ is None else environ
    value = environ.get(WORKERS_ENV, "").strip()
    if value:
        try:
            return int(value)
        except ValueError:
            raise ProductionRefused([f"{WORKERS_ENV}={value!r} is not a whole number."]) from None
    if environ.get(REDIS_ENV, "").strip():
        return (os.cpu_count() or 1) * 2 + 1
    return 1


def production_problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every reason production mode must not start with these settings (empty: none)."""
    if not settings.production:
        return []
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    if settings.mount_sandbox:
        problems.append(
            "ACCOUNTLINK_MOUNT_SANDBOX is on: the sandbox's fake external systems would be "
            "served under /sandbox. Unset it (run `accountlink sandbox` apart for a test rig)."
        )
    if settings.demo:
        problems.append(
            "ACCOUNTLINK_DEMO is on: demo organizations, users with a published password and "
            "demo claims would be seeded. Unset it."
        )
    if settings.master_keys is None and not settings.resolved_master_key_file.exists():
        problems.append(
            "No master key: set ACCOUNTLINK_MASTER_KEYS, or ACCOUNTLINK_MASTER_KEY_FILE to a "
            f"key file you created and back up (checked: {settings.resolved_master_key_file}). "
            "Production never generates one: every worker and machine must hold the same key."
        )
    if not settings.metrics_token:
        problems.append(
            "ACCOUNTLINK_METRICS_TOKEN is not set: /metrics would be open to anyone who can "
            "reach the app. Set a long random token and give it to the Prometheus scrape "
            "(authorization: {credentials: <token>})."
        )
    try:
        workers = configured_workers(environ)
    except ProductionRefused as exc:
        problems.extend(exc.problems)
        workers = 1
    if settings.resolved_database_url.startswith("sqlite") and workers > 1:
        problems.append(
            f"ACCOUNTLINK_DATABASE_URL is SQLite (the default when unset) while {workers} "
            f"backend workers are configured ({WORKERS_ENV}, or {REDIS_ENV} with Reflex's "
            "default). Use PostgreSQL, or set GRANIAN_WORKERS=1."
        )
    return problems


def check_production(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """Raise :class:`ProductionRefused` naming every unsafe setting; nothing outside production."""
    problems = production_problems(settings, environ)
    if problems:
        raise ProductionRefused(problems)
    if settings.production and settings.sandbox_url:
        # Allowed (a test rig serves `accountlink sandbox` apart), but never what an
        # operator means: every external system would be the sandbox.
        log.warning(
            "ACCOUNTLINK_SANDBOX_URL is set in production: external systems not given "
            "explicitly point at the sandbox there."
        )
