"""Helpers for the scheduler tests: integrations straight into the tables, and raw job rows."""

from __future__ import annotations

import pickle
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from accountlink_ui.db import session_scope
from accountlink_ui.models import Integration, Organization, User
from accountlink_ui.services.scheduler import SyncScheduler
from accountlink_ui.services.scheduler_jobs import JOBS_TABLE, job_id_for

MakeScheduler = Callable[..., SyncScheduler]
"""The ``schedulers`` fixture: makes schedulers with test-sized timings, stops them after."""


def insert_integration(engine: Engine, *, minutes: int = 15) -> int:
    """An active integration straight into the tables, for tests that only need it scheduled."""
    suffix = secrets.token_hex(4)
    with session_scope(engine) as session:
        organization = Organization(name=f"Org {suffix}", slug=f"org-{suffix}")
        user = User(email=f"admin-{suffix}@example.test", name="Admin", password_hash="-")
        session.add_all([organization, user])
        session.flush()
        integration = Integration(
            organization_id=organization.id,
            type_key="xledger",
            display_name="Xledger",
            environment="sandbox",
            auth_flow="api_token",
            status="active",
            sync_interval_minutes=minutes,
            created_by_id=user.id,
            updated_by_id=user.id,
        )
        session.add(integration)
        session.flush()
        assert integration.id is not None
        return integration.id


def job_row(engine: Engine, integration_id: int) -> tuple[str, float, bytes] | None:
    """The job's stored row exactly as the job store keeps it (id, next run, pickled job)."""
    with engine.connect() as connection:
        row = connection.execute(
            text(f"SELECT id, next_run_time, job_state FROM {JOBS_TABLE} WHERE id = :id"),
            {"id": job_id_for(integration_id)},
        ).one_or_none()
    return None if row is None else (row[0], row[1], bytes(row[2]))


def job_state(engine: Engine, integration_id: int) -> dict[str, Any]:
    row = job_row(engine, integration_id)
    assert row is not None, f"no job for integration {integration_id}"
    state: dict[str, Any] = pickle.loads(row[2])
    return state


def set_next_run_time(engine: Engine, integration_id: int, moment: datetime) -> None:
    """Move a stored job's next run, as if the scheduler had been down since before it."""
    state = job_state(engine, integration_id)
    state["next_run_time"] = moment
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE {JOBS_TABLE} SET next_run_time = :at, job_state = :state WHERE id = :id"),
            {"at": moment.timestamp(), "state": pickle.dumps(state), "id": state["id"]},
        )


def wait_for_reconcile_round(scheduler: SyncScheduler, timeout: float = 5.0) -> None:
    """Return once the scheduler's own background thread has finished a reconcile round
    started after this call; fail at ``timeout``.

    The lease thread calls ``self.reconcile()``, so wrapping the instance's attribute
    observes exactly its rounds.
    """
    done = threading.Event()
    original = scheduler.reconcile

    def observed() -> None:
        original()
        done.set()

    scheduler.reconcile = observed  # type: ignore[method-assign]
    try:
        assert done.wait(timeout), f"no background reconcile round within {timeout} s"
    finally:
        del scheduler.reconcile  # back to the class's method
