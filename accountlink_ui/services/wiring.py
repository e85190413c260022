"""Builds the services from the settings: one place decides which engine, vault and adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, inspect

from accountlink_ui import integrations_repository
from accountlink_ui.db import engine_for, session_scope
from accountlink_ui.integrations.registry import AdapterRegistry, default_registry
from accountlink_ui.logs import configure_logging
from accountlink_ui.redaction import install_log_scrubbing
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.audit_service import AuditService
from accountlink_ui.services.auth_service import AuthService
from accountlink_ui.services.connection_form import ConnectionForms
from accountlink_ui.services.dashboard_service import DashboardService
from accountlink_ui.services.demo_controls import DemoControls
from accountlink_ui.services.drafts import DraftSecrets
from accountlink_ui.services.incident_service import IncidentService
from accountlink_ui.services.integration_service import IntegrationService
from accountlink_ui.services.outbox import OutboxDeliverer
from accountlink_ui.services.posting_service import PostingService
from accountlink_ui.services.proofs import ProofSigner
from accountlink_ui.services.rate_limits import RateLimit, RateLimiter
from accountlink_ui.services.scheduler_jobs import next_runs
from accountlink_ui.services.sign_in_throttle import SignInThrottle, policies_from
from accountlink_ui.services.sync_service import SyncService
from accountlink_ui.services.webhook_service import WebhookService
from accountlink_ui.services.work import (
    OrganizationExecutor,
    connection_test_executor,
    sync_executor,
)
from accountlink_ui.settings import Settings, get_settings
from accountlink_ui.vault import KeyRing, KeyRingError, KeySource, Vault, load_key_ring

MISSING_KEY_FILE = (
    "Key file {path} is missing, but the database holds {count} sealed credential "
    "version(s) that only its keys can open. Restore the key file (or set "
    "ACCOUNTLINK_MASTER_KEYS) and start again; a new key would make them unreadable."
)


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    vault: Vault
    auth: AuthService
    integrations: IntegrationService
    drafts: DraftSecrets
    forms: ConnectionForms
    """The wizard's and the credential form's submit: field errors and a sealed draft."""
    sync: SyncService
    postings: PostingService
    test_runs: OrganizationExecutor
    """Where connection tests pressed in the app run (bounded, per organization)."""
    sync_runs: OrganizationExecutor
    """Where Sync now pressed in the app runs (bounded, per organization)."""
    webhooks: WebhookService
    incidents: IncidentService
    dashboard: DashboardService
    """The integrations page's whole read, in one transaction."""
    audit: AuditService
    api_tokens: ApiTokenService
    rate_limits: RateLimiter
    """The API's per-token and per-organization call budgets (shared by every worker)."""

    @property
    def key_ring(self) -> KeyRing:
        """The ring as this process last read it (it follows rotations by other processes)."""
        return self.vault.key_ring

    def schedule_of(self, integration_ids: list[int]) -> dict[int, datetime | None]:
        """Next scheduled sync of each integration, read from the job store (any process)."""
        return next_runs(self.engine, integration_ids)


def load_settings_key_ring(settings: Settings, engine: Engine | None = None) -> KeyRing:
    """The configured ring; a first key file is created only while nothing is sealed.

    A missing key file next to sealed credentials means the keys were lost or
    the path is wrong: generating a fresh key would start the app fine and make
    every stored credential unreadable, so that is a start-up error naming the
    file instead.
    """
    key_file = settings.resolved_master_key_file
    try:
        return load_key_ring(
            env_value=settings.master_keys, key_file=key_file, create_if_missing=False
        )
    except KeyRingError:
        if settings.master_keys is not None or key_file.exists() or settings.production:
            # Production never generates a key: two machines would make two different ones.
            raise
    sealed = sealed_credential_count(engine or engine_for(settings.resolved_database_url))
    if sealed:
        raise KeyRingError(MISSING_KEY_FILE.format(path=key_file, count=sealed))
    return load_key_ring(env_value=None, key_file=key_file, create_if_missing=True)


def sealed_credential_count(engine: Engine) -> int:
    """Stored credential versions; 0 for a database not migrated yet."""
    if not inspect(engine).has_table("credential_versions"):
        return 0
    with session_scope(engine) as session:
        return integrations_repository.sealed_credential_count(session)


def settings_key_source(settings: Settings, engine: Engine | None = None) -> KeySource:
    """A source that follows the key file, or a fixed one for environment keys."""
    ring = load_settings_key_ring(settings, engine)
    if settings.master_keys is not None:
        return KeySource.fixed(ring)
    return KeySource(ring, key_file=settings.resolved_master_key_file)


def derived_key(key_ring: KeyRing, purpose: str) -> bytes:
    """A key for one purpose, derived so the master key itself signs or seals nothing else.

    The oldest key is used so that adding a key (rotation) does not invalidate
    proofs and drafts already handed out.
    """
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"accountlink {purpose}".encode()
    ).derive(key_ring.keys[0].key)


def sign_in_throttle(settings: Settings, key_ring: KeyRing) -> SignInThrottle:
    """Keyed from the key ring, so every worker (and restart) computes the same row keys."""
    account, address = policies_from(settings)
    return SignInThrottle(
        key=derived_key(key_ring, "sign-in throttle"), account=account, address=address
    )


def api_rate_limiter(settings: Settings) -> RateLimiter:
    """The API's call budgets with the operator's organization budget."""
    return RateLimiter(RateLimit.from_settings(settings))


def build_services(
    settings: Settings, *, adapters: AdapterRegistry | None = None, key_ring: KeyRing | None = None
) -> Services:
    install_log_scrubbing()  # every process that serves or syncs builds services first
    configure_logging(settings.log_format)
    engine = engine_for(settings.resolved_database_url)
    if key_ring is not None:
        source = (
            KeySource(key_ring, key_file=settings.resolved_master_key_file)
            if settings.master_keys is None and settings.resolved_master_key_file.exists()
            else KeySource.fixed(key_ring)
        )
    else:
        source = settings_key_source(settings, engine)
    ring = source.ring
    vault = Vault(source)
    registry = adapters or default_registry(settings)
    integrations = IntegrationService(
        engine=engine,
        vault=vault,
        adapters=registry,
        proofs=ProofSigner(derived_key(ring, "connection-test proof")),
        settings=settings,
    )
    drafts = DraftSecrets(derived_key(ring, "form draft secrets"))
    return Services(
        settings=settings,
        engine=engine,
        vault=vault,
        auth=AuthService(
            engine=engine,
            session_hours=settings.session_hours,
            idle_minutes=settings.session_idle_minutes,
            throttle=sign_in_throttle(settings, ring),
            hash_workers=settings.signin_hash_workers,
            throttled_answer_seconds=settings.signin_throttled_answer_seconds,
        ),
        integrations=integrations,
        drafts=drafts,
        forms=ConnectionForms(integrations=integrations, drafts=drafts, settings=settings),
        sync=SyncService(
            engine=engine, integrations=integrations, adapters=registry, settings=settings
        ),
        postings=PostingService(engine=engine, integrations=integrations, adapters=registry),
        test_runs=connection_test_executor(engine, settings),
        sync_runs=sync_executor(engine, settings),
        webhooks=WebhookService(engine=engine, vault=vault, settings=settings),
        incidents=IncidentService(engine=engine),
        dashboard=DashboardService(engine=engine),
        audit=AuditService(engine=engine),
        api_tokens=ApiTokenService(engine=engine),
        rate_limits=api_rate_limiter(settings),
    )


def outbox_deliverer(services: Services) -> OutboxDeliverer:
    """The outbox's deliverer over these services' engine, vault and settings."""
    return OutboxDeliverer(engine=services.engine, vault=services.vault, settings=services.settings)


@lru_cache(maxsize=1)
def get_services() -> Services:
    return build_services(get_settings())


def demo_controls(services: Services) -> DemoControls:
    """The demo controls over the sandbox this process serves (the demo's own)."""
    from accountlink_ui.sandbox.embedded import embedded_sandbox_state

    return DemoControls(
        engine=services.engine,
        settings=services.settings,
        integrations=services.integrations,
        sandbox=embedded_sandbox_state,
    )
