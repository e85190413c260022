"""Builds the services from the settings: one place decides which engine, vault and adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine

from accountlink_ui.db import engine_for
from accountlink_ui.integrations.registry import AdapterRegistry, default_registry
from accountlink_ui.services.auth_service import AuthService
from accountlink_ui.services.drafts import DraftSecrets
from accountlink_ui.services.integration_service import IntegrationService
from accountlink_ui.services.proofs import ProofSigner
from accountlink_ui.services.scheduler_jobs import scheduled_jobs
from accountlink_ui.services.sync_service import SyncService
from accountlink_ui.services.work import (
    OrganizationExecutor,
    connection_test_executor,
    sync_executor,
)
from accountlink_ui.settings import Settings, get_settings
from accountlink_ui.vault import KeyRing, Vault, load_key_ring


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    key_ring: KeyRing
    auth: AuthService
    integrations: IntegrationService
    drafts: DraftSecrets
    sync: SyncService
    test_runs: OrganizationExecutor
    """Where connection tests pressed in the app run (bounded, per organization)."""
    sync_runs: OrganizationExecutor
    """Where Sync now pressed in the app runs (bounded, per organization)."""

    def schedule_of(self, integration_ids: list[int]) -> dict[int, datetime | None]:
        """Next scheduled sync of each integration, read from the job store (any process)."""
        jobs = scheduled_jobs(self.engine)
        return {i: jobs[i].next_run_time if i in jobs else None for i in integration_ids}


def load_settings_key_ring(settings: Settings) -> KeyRing:
    return load_key_ring(
        env_value=settings.master_keys,
        key_file=settings.resolved_master_key_file,
        create_if_missing=True,
    )


def derived_key(key_ring: KeyRing, purpose: str) -> bytes:
    """A key for one purpose, derived so the master key itself signs or seals nothing else.

    The oldest key is used so that adding a key (rotation) does not invalidate
    proofs and drafts already handed out.
    """
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"accountlink {purpose}".encode()
    ).derive(key_ring.keys[0].key)


def build_services(
    settings: Settings, *, adapters: AdapterRegistry | None = None, key_ring: KeyRing | None = None
) -> Services:
    engine = engine_for(settings.resolved_database_url)
    ring = key_ring or load_settings_key_ring(settings)
    registry = adapters or default_registry(settings)
    integrations = IntegrationService(
        engine=engine,
        vault=Vault(ring),
        adapters=registry,
        proofs=ProofSigner(derived_key(ring, "connection-test proof")),
        settings=settings,
    )
    return Services(
        settings=settings,
        engine=engine,
        key_ring=ring,
        auth=AuthService(engine=engine, session_hours=settings.session_hours),
        integrations=integrations,
        drafts=DraftSecrets(derived_key(ring, "form draft secrets")),
        sync=SyncService(
            engine=engine, integrations=integrations, adapters=registry, settings=settings
        ),
        test_runs=connection_test_executor(engine, settings),
        sync_runs=sync_executor(engine, settings),
    )


@lru_cache(maxsize=1)
def get_services() -> Services:
    return build_services(get_settings())
