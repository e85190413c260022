"""Helpers for the scheduler tests: waiting, a settable clock, integrations, raw job rows."""

from __future__ import annotations

import pickle
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from accountlink_ui.db import session_scope
from accountlink_ui.models import Integration, Organization, User
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.scheduler_jobs import JOBS_TABLE, job_id_for
from tests.service.conftest import World


def wait_for(condition: Callable[[], object], *, timeout: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)


@dataclass
class FakeClock:
    now: datetime = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def save(world: World, draft: ConnectionDraft, organization: int | None = None) -> int:
    """Test and save an integration as its admin would; returns its id (status active)."""
    service = world.services.integrations
    org = organization or world.bf_org
    admin = world.bf_admin if org == world.bf_org else world.hlf_admin
    outcome = service.test_connection(admin, org, draft)
    assert outcome.proof, outcome.result.message
    view = service.create_integration(admin, org, draft, outcome.proof)
    assert view.id is not None
    return view.id


def edit(world: World, integration_id: int, draft: ConnectionDraft) -> None:
    service = world.services.integrations
    outcome = service.test_connection(
        world.bf_admin, world.bf_org, draft, integration_id=integration_id
    )
    assert outcome.proof, outcome.result.message
    service.update_integration(world.bf_admin, integration_id, draft, outcome.proof)


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


def job_state(engine: Engine, integration_id: int) -> dict:
    row = job_row(engine, integration_id)
    assert row is not None, f"no job for integration {integration_id}"
    return pickle.loads(row[2])


def set_next_run_time(engine: Engine, integration_id: int, moment: datetime) -> None:
    """Move a stored job's next run, as if the scheduler had been down since before it."""
    state = job_state(engine, integration_id)
    state["next_run_time"] = moment
    with engine.begin() as connection:
        connection.execute(
            text(f"UPDATE {JOBS_TABLE} SET next_run_time = :at, job_state = :state WHERE id = :id"),
            {"at": moment.timestamp(), "state": pickle.dumps(state), "id": state["id"]},
        )
