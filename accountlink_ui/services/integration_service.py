"""Integration Configuration Service: every change to an integration goes through here.

Each call takes the acting user and checks, against the database, that the
user administers the organization concerned (DESIGN rule 7). Status changes,
credential versions and audit events are written here and nowhere else
(rules 3 and 4). Adapter calls happen outside any database transaction so a
10-second connection test never holds a lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from accountlink_ui import integrations_repository
from accountlink_ui.accounting.posting_settings import from_values
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message
from accountlink_ui.i18n.compat import english, scrub_message
from accountlink_ui.integrations.contracts import ConnectionConfig, ConnectionResult
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import scrub_config
from accountlink_ui.integrations.registry import AdapterRegistry, get_type, integration_types
from accountlink_ui.integrations.types import (
    FieldKind,
    IntegrationType,
    UnknownTypeError,
)
from accountlink_ui.integrations.validation import applicable_fields, validate_config
from accountlink_ui.models import (
    CredentialVersion,
    Integration,
    IntegrationStatus,
    SyncRun,
    as_utc,
    utcnow,
)
from accountlink_ui.services import metrics
from accountlink_ui.services.access import (
    MANAGE_INTEGRATIONS,
    integration_for_admin,
    require_admin,
)
from accountlink_ui.services.errors import (
    AlreadyConfigured,
    InvalidConfig,
    NotFound,
    RetestRequired,
    retype_secret_message,
)
from accountlink_ui.services.masking import mask_secrets
from accountlink_ui.services.proofs import ConnectionValues, ProofSigner
from accountlink_ui.settings import Settings
from accountlink_ui.vault import SealedSecret, SecretBinding, Vault
from accountlink_ui.views import Actor, IntegrationView, RecentError

log = logging.getLogger(__name__)

SYNC_INTERVAL_CHOICES = (5, 15, 30, 60, 240, 1440)


_MANAGE = MANAGE_INTEGRATIONS


@dataclass(frozen=True)
class ConnectionDraft:
    """What the admin typed in the wizard or the credential form."""

    type_key: str
    environment: str
    auth_flow: str
    values: Mapping[str, str] = field(repr=False)
    """Settings and secrets together, keyed by field; blank secrets mean 'keep' on edit."""
    display_name: str = ""


@dataclass(frozen=True)
class ConnectionTestOutcome:
    result: ConnectionResult
    proof: str | None
    """Present only after success: hand it back to save these exact values."""


@dataclass(frozen=True)
class _Stored:
    """A saved integration as a draft on edit is compared with: where its secrets go."""

    environment: str
    auth_flow: str
    settings: Mapping[str, str]
    secrets: Mapping[str, str] = field(repr=False)

    @classmethod
    def of(cls, row: Integration, secrets: Mapping[str, str]) -> _Stored:
        return cls(row.environment, row.auth_flow, dict(row.settings), secrets)


_NOTHING_STORED = _Stored("", "", {}, {})


class StoredDestination(Protocol):
    """Where a saved configuration sends its secrets (a ``_Stored`` or an IntegrationView)."""

    @property
    def environment(self) -> str: ...
    @property
    def auth_flow(self) -> str: ...
    @property
    def settings(self) -> Mapping[str, str]: ...


def blank_keeps_stored(
    integration_type: IntegrationType,
    stored: StoredDestination,
    stored_keys: Collection[str],
    environment: str,
    auth_flow: str,
    values: Mapping[str, str],
) -> tuple[set[str], dict[str, Message]]:
    """The one rule for a blank secret on edit: (secrets kept from the vault, field → error).

    A blank secret field keeps the stored secret while the draft sends it where the stored
    configuration does. Once a destination field (declared by the type) changes, every
    blank stored secret must be typed again, so neither a test nor a save can hand a
    stored secret to a new address; those fields get the "type it again" message.
    """
    kept: set[str] = set()
    retype: dict[str, Message] = {}
    if not integration_type.has_flow(auth_flow) or not stored_keys:
        return kept, retype
    moved = integration_type.destination_changes(
        (stored.environment, stored.auth_flow, stored.settings),
        (environment, auth_flow, values),
    )
    for key in integration_type.secret_keys(auth_flow):
        if str(values.get(key, "")).strip() or key not in stored_keys:
            continue
        if moved:
            retype[key] = retype_secret_message(
                integration_type.label_of(key),
                [integration_type.label_of(changed) for changed in moved],
            )
        else:
            kept.add(key)
    return kept, retype


@dataclass(frozen=True)
class _Prepared:
    integration_type: IntegrationType
    settings: dict[str, str]
    secrets: dict[str, str]


class IntegrationService:
    def __init__(
        self,
        *,
        engine: Engine,
        vault: Vault,
        adapters: AdapterRegistry,
        proofs: ProofSigner,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._vault = vault
        self._adapters = adapters
        self._proofs = proofs
        self._settings = settings
        self._clock = clock

    # ---- reading -------------------------------------------------------------------

    def list_integrations(self, actor: Actor, organization_id: int) -> list[IntegrationView]:
        """One view per known type: configured ones with their figures, others not configured."""
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to=_MANAGE)
            return integration_views(session, organization_id)

    def get_integration(self, actor: Actor, integration_id: int) -> IntegrationView:
        with session_scope(self._engine) as session:
            row = self._integration_for_admin(session, actor, integration_id)
            credentials = integrations_repository.active_credentials(session, [row])
            sync_errors = integrations_repository.recent_sync_errors(session, [integration_id])
            return _view(
                row,
                get_type(row.type_key),
                credentials.get(integration_id),
                sync_errors.get(integration_id, []),
            )

    # ---- testing -------------------------------------------------------------------

    def test_connection(
        self,
        actor: Actor,
        organization_id: int,
        draft: ConnectionDraft,
        *,
        integration_id: int | None = None,
        deadline: Deadline | None = None,
    ) -> ConnectionTestOutcome:
        """Test what the admin typed; on edit, blank secrets are filled from the vault.

        ``deadline``: when the caller promised an answer by (the page: counted from the
        click); otherwise ``connection_test_seconds`` from now.
        """
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to=_MANAGE)
            stored = _NOTHING_STORED
            if integration_id is not None:
                row = self._integration_for_admin(session, actor, integration_id)
                if row.organization_id != organization_id or row.type_key != draft.type_key:
                    raise NotFound(Message.of("integration.not_found"))
                stored = _Stored.of(row, self._open_secrets(session, row))
        prepared = self._prepare(draft, stored)
        result = self._run_test(
            draft.type_key, draft.environment, draft.auth_flow, prepared, deadline
        )
        proof = None
        if result.ok:
            proof = self._proofs.issue(
                self._tested(actor, organization_id, integration_id, draft, prepared)
            )
        with session_scope(self._engine) as session:
            if integration_id is not None:
                tested_row = integrations_repository.integration(session, integration_id)
                if tested_row is not None:
                    self._record_test(tested_row, result)
                    session.add(tested_row)
            integrations_repository.add_audit_event(
                session,
                organization_id=organization_id,
                actor_id=actor.user_id,
                action="integration.tested",
                integration_id=integration_id,
                details=_test_details(draft, result),
            )
        return ConnectionTestOutcome(result=result, proof=proof)

    def retest(
        self, actor: Actor, integration_id: int, *, deadline: Deadline | None = None
    ) -> ConnectionResult:
        """'Test again' on the dashboard: the stored configuration, as a sync would use it."""
        with session_scope(self._engine) as session:
            row = self._integration_for_admin(session, actor, integration_id)
            version = integrations_repository.credential_version(
                session, row.active_credential_version_id
            )
            config = self._config_of(row, version)
        result = self._run_config(config, deadline)
        if not self._record_outcome(integration_id, result, actor_id=actor.user_id):
            raise NotFound(Message.of("integration.deleted_meanwhile"))
        return result

    # ---- saving --------------------------------------------------------------------

    def create_integration(
        self, actor: Actor, organization_id: int, draft: ConnectionDraft, proof: str | None
    ) -> IntegrationView:
        prepared = self._prepare(draft, _NOTHING_STORED)
        tested = self._tested(actor, organization_id, None, draft, prepared)
        if not self._proofs.verify(proof, tested):
            raise RetestRequired()
        now = self._clock()
        try:
            # Sealing and the commit under one vault lock: a key rotation cannot retire
            # the key this row is sealed with before the row is in the database.
            with self._vault.sealing(), session_scope(self._engine) as session:
                require_admin(session, actor, organization_id, to=_MANAGE)
                if integrations_repository.integration_of_type(
                    session, organization_id, draft.type_key
                ):
                    raise AlreadyConfigured(
                        Message.of(
                            "integration.already_set_up", label=prepared.integration_type.label
                        )
                    )
                row = Integration(
                    organization_id=organization_id,
                    type_key=draft.type_key,
                    display_name=draft.display_name.strip() or prepared.integration_type.label,
                    environment=draft.environment,
                    auth_flow=draft.auth_flow,
                    settings=prepared.settings,
                    status=IntegrationStatus.ACTIVE,
                    last_test_at=now,
                    last_test_ok=True,
                    last_test_message=english(Message.of("integration.verified_before_saving")),
                    created_by_id=actor.user_id,
                    updated_by_id=actor.user_id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                version = self._store_secrets(session, row, prepared.secrets, actor, version=1)
                row.active_credential_version_id = version.id
                session.add(row)
                integrations_repository.add_audit_event(
                    session,
                    organization_id=organization_id,
                    actor_id=actor.user_id,
                    action="integration.created",
                    integration_id=row.id,
                    details={
                        "type": draft.type_key,
                        "environment": draft.environment,
                        "auth_flow": draft.auth_flow,
                        "settings": prepared.settings,
                        "secrets_set": sorted(prepared.secrets),
                        "credential_version": 1,
                        "status": IntegrationStatus.ACTIVE.value,
                    },
                )
                session.flush()
                integration_id = row.id
        except IntegrityError:
            raise AlreadyConfigured(
                Message.of("integration.set_up_meanwhile", label=prepared.integration_type.label)
            ) from None
        assert integration_id is not None
        return self.get_integration(actor, integration_id)

    def update_integration(
        self, actor: Actor, integration_id: int, draft: ConnectionDraft, proof: str | None
    ) -> IntegrationView:
        """Edit credentials or settings: a new credential version, swapped atomically.

        Sync schedules are keyed by integration id and read the active version when
        they run, so nothing here touches them (DESIGN rules 4 and 5).
        """
        with session_scope(self._engine) as session:
            row = self._integration_for_admin(session, actor, integration_id)
            if row.type_key != draft.type_key:
                raise InvalidConfig({"type_key": Message.of("integration.type_fixed")})
            stored = _Stored.of(row, self._open_secrets(session, row))
            organization_id = row.organization_id
        prepared = self._prepare(draft, stored)
        tested = self._tested(actor, organization_id, integration_id, draft, prepared)
        if not self._proofs.verify(proof, tested):
            raise RetestRequired()
        now = self._clock()
        with self._vault.sealing(), session_scope(self._engine) as session:  # see create
            current = integrations_repository.integration(session, integration_id)
            if current is None:
                raise NotFound(Message.of("integration.deleted_meanwhile"))
            row = current
            changed_settings = {
                key: {"from": row.settings.get(key, ""), "to": value}
                for key, value in prepared.settings.items()
                if row.settings.get(key, "") != value
            }
            changed_secrets = sorted(
                k for k, v in prepared.secrets.items() if stored.secrets.get(k) != v
            )
            number = integrations_repository.next_credential_version(session, integration_id)
            version = self._store_secrets(session, row, prepared.secrets, actor, version=number)
            previous = {
                "environment": row.environment,
                "auth_flow": row.auth_flow,
            }
            row.environment = draft.environment
            row.auth_flow = draft.auth_flow
            row.settings = prepared.settings
            if draft.display_name.strip():
                row.display_name = draft.display_name.strip()
            row.active_credential_version_id = version.id
            row.last_test_at, row.last_test_ok = now, True
            row.last_test_message = english(Message.of("integration.verified_before_saving"))
            row.updated_by_id, row.updated_at = actor.user_id, now
            if row.status == IntegrationStatus.ERROR:
                # New, tested credentials: a fresh start, not one failure away from Error.
                row.status, row.status_detail = IntegrationStatus.ACTIVE, None
                row.consecutive_sync_failures = 0
            session.add(row)
            integrations_repository.add_audit_event(
                session,
                organization_id=row.organization_id,
                actor_id=actor.user_id,
                action="integration.credentials_updated",
                integration_id=integration_id,
                details={
                    "credential_version": number,
                    "secrets_changed": changed_secrets,
                    "settings_changed": changed_settings,
                    "environment": {"from": previous["environment"], "to": draft.environment},
                    "auth_flow": {"from": previous["auth_flow"], "to": draft.auth_flow},
                },
            )
        return self.get_integration(actor, integration_id)

    def set_enabled(self, actor: Actor, integration_id: int, enabled: bool) -> IntegrationView:
        with session_scope(self._engine) as session:
            row = self._integration_for_admin(session, actor, integration_id)
            target = IntegrationStatus.ACTIVE if enabled else IntegrationStatus.DISABLED
            if row.status != target:
                before = row.status
                row.status = target
                row.status_detail = (
                    None
                    if enabled
                    else english(Message.of("integration.disabled_by", name=actor.name))
                )
                if enabled:
                    row.consecutive_sync_failures = 0
                row.updated_by_id, row.updated_at = actor.user_id, self._clock()
                session.add(row)
                integrations_repository.add_audit_event(
                    session,
                    organization_id=row.organization_id,
                    actor_id=actor.user_id,
                    action="integration.enabled" if enabled else "integration.disabled",
                    integration_id=integration_id,
                    details={"status": {"from": before, "to": target.value}},
                )
        return self.get_integration(actor, integration_id)

    def set_sync_interval(self, actor: Actor, integration_id: int, minutes: int) -> IntegrationView:
        """How often the schedule runs; the scheduler picks the change up on its next reconcile."""
        if not isinstance(minutes, int) or minutes not in SYNC_INTERVAL_CHOICES:
            choices = ", ".join(str(m) for m in SYNC_INTERVAL_CHOICES)
            raise InvalidConfig(
                {
                    "sync_interval_minutes": Message.of(
                        "integration.interval_choices", choices=choices
                    )
                }
            )
        with session_scope(self._engine) as session:
            row = self._integration_for_admin(session, actor, integration_id)
            if row.sync_interval_minutes != minutes:
                before = row.sync_interval_minutes
                row.sync_interval_minutes = minutes
                row.updated_by_id, row.updated_at = actor.user_id, self._clock()
                session.add(row)
                integrations_repository.add_audit_event(
                    session,
                    organization_id=row.organization_id,
                    actor_id=actor.user_id,
                    action="integration.schedule_changed",
                    integration_id=integration_id,
                    details={"sync_interval_minutes": {"from": before, "to": minutes}},
                )
        return self.get_integration(actor, integration_id)

    def delete_integration(self, actor: Actor, integration_id: int) -> None:
        with session_scope(self._engine) as session:
            row = self._integration_for_admin(session, actor, integration_id)
            integrations_repository.add_audit_event(
                session,
                organization_id=row.organization_id,
                actor_id=actor.user_id,
                action="integration.deleted",
                integration_id=integration_id,
                details={"type": row.type_key, "display_name": row.display_name},
            )
            integrations_repository.delete_integration(session, row)

    # ---- for the sync engine and operators -----------------------------------------

    def connection_config(self, integration_id: int) -> ConnectionConfig:
        """The current configuration with decrypted secrets, read fresh at each use.

        Called by scheduled jobs (no acting user: the schedule was set up by an
        admin) and operator commands, never by pages.
        """
        return self.connection_config_and_version(integration_id)[0]

    def connection_config_and_version(
        self, integration_id: int
    ) -> tuple[ConnectionConfig, int | None]:
        """The configuration, and the number of the credential version its secrets came from.

        Read together: the secrets are opened from the version the number is taken from,
        so a sync run records the version it really uses, whatever edit lands meanwhile.
        """
        with session_scope(self._engine) as session:
            row = integrations_repository.integration(session, integration_id)
            if row is None:
                raise NotFound(Message.of("integration.id_not_found", id=str(integration_id)))
            version = integrations_repository.credential_version(
                session, row.active_credential_version_id
            )
            posting = integrations_repository.posting_settings(session, row.posting_settings_id)
            config = self._config_of(row, version)
            if posting is not None:
                config = replace(config, posting=from_values(posting.values))
            return config, (version.version if version else None)

    def has_posting_settings(self, integration_id: int) -> bool:
        """Whether the Posting step was done: a sync without it would have nothing to post to."""
        with session_scope(self._engine) as session:
            row = integrations_repository.integration(session, integration_id)
            return row is not None and row.posting_settings_id is not None

    def test_stored(self, integration_id: int) -> ConnectionResult:
        """Operator's `accountlink test-connection`: test and record, like 'Test again'."""
        result = self._run_config(self.connection_config(integration_id))
        self._record_outcome(integration_id, result, actor_id=None, via="operator command")
        return result

    # ---- internals -----------------------------------------------------------------

    def _integration_for_admin(
        self, session: Session, actor: Actor, integration_id: int
    ) -> Integration:
        return integration_for_admin(session, actor, integration_id, to=_MANAGE)

    def _prepare(self, draft: ConnectionDraft, stored: _Stored) -> _Prepared:
        """Validate and split the draft into settings and secrets; blank secrets keep stored ones.

        A stored secret is kept only while the draft sends it where the stored
        configuration does: once a destination field (declared in the type registry)
        changes, every blank secret must be typed again, so neither a test nor a save
        can hand a stored secret to a new address.
        """
        values = {key: value for key, value in draft.values.items() if isinstance(value, str)}
        try:
            integration_type = get_type(draft.type_key)
        except UnknownTypeError as exc:
            raise InvalidConfig({"type_key": exc.said}) from None
        kept, retype = blank_keeps_stored(
            integration_type,
            stored,
            [key for key, value in stored.secrets.items() if value],
            draft.environment,
            draft.auth_flow,
            values,
        )
        merged = {**values, **{key: stored.secrets[key] for key in kept}}
        errors = validate_config(
            draft.type_key,
            draft.environment,
            draft.auth_flow,
            merged,
            display_name=draft.display_name,
            allowed_hosts=self._settings.allowed_hosts,
        )
        errors.update(retype)
        if errors:
            raise InvalidConfig(errors)
        settings: dict[str, str] = {}
        secrets: dict[str, str] = {}
        for spec in applicable_fields(integration_type, draft.auth_flow, merged):
            raw = merged.get(spec.key, "")
            value = (
                raw.strip()
                if spec.kind not in (FieldKind.PEM, FieldKind.SECRET_PEM)
                else raw.strip() + "\n"
            )
            if not raw.strip():
                value = "" if spec.secret else spec.default
            (secrets if spec.secret else settings)[spec.key] = value
        return _Prepared(integration_type=integration_type, settings=settings, secrets=secrets)

    def _tested(
        self,
        actor: Actor,
        organization_id: int,
        integration_id: int | None,
        draft: ConnectionDraft,
        prepared: _Prepared,
    ) -> ConnectionValues:
        return ConnectionValues(
            organization_id=organization_id,
            integration_id=integration_id,
            actor_id=actor.user_id,
            type_key=draft.type_key,
            environment=draft.environment,
            auth_flow=draft.auth_flow,
            settings=prepared.settings,
            secrets=prepared.secrets,
        )

    def _run_test(
        self,
        type_key: str,
        environment: str,
        auth_flow: str,
        prepared: _Prepared,
        deadline: Deadline | None = None,
    ) -> ConnectionResult:
        return self._run_config(
            ConnectionConfig(
                type_key=type_key,
                environment=environment,
                auth_flow=auth_flow,
                settings=prepared.settings,
                secrets=prepared.secrets,
            ),
            deadline,
        )

    def _run_config(
        self, config: ConnectionConfig, deadline: Deadline | None = None
    ) -> ConnectionResult:
        deadline = deadline or Deadline(self._settings.connection_test_seconds)
        started = time.monotonic()
        try:
            result = self._adapters.get(config.type_key).test_connection(config, deadline)
            # The one place every adapter's test answer passes before it is shown or stored.
            said = scrub_message(result.message_code, lambda text: scrub_config(text, config))
            result = replace(result, said=said, message=english(said))
        except Exception as exc:  # an adapter bug must not reach the admin as a stack trace
            log.exception("connection test for %s failed unexpectedly", config.type_key)
            result = ConnectionResult(
                ok=False,
                said=Message.of("integration.test_crashed", error=type(exc).__name__),
                latency_ms=int(deadline.elapsed() * 1000),
            )
        metrics.record_connection_test(config.type_key, result.ok, time.monotonic() - started)
        return result

    def _record_outcome(
        self,
        integration_id: int,
        result: ConnectionResult,
        *,
        actor_id: int | None,
        via: str | None = None,
    ) -> bool:
        """Store a saved integration's test outcome with its audit event; False if it is gone."""
        with session_scope(self._engine) as session:
            row = integrations_repository.integration(session, integration_id)
            if row is None:
                return False
            self._record_test(row, result)
            session.add(row)
            details: dict[str, object] = {
                "type": row.type_key,
                "ok": result.ok,
                "message": result.message,
            }
            if via:
                details["by"] = via
            integrations_repository.add_audit_event(
                session,
                organization_id=row.organization_id,
                actor_id=actor_id,
                action="integration.tested",
                integration_id=integration_id,
                details=details,
            )
        return True

    def _record_test(self, row: Integration, result: ConnectionResult) -> None:
        row.last_test_at = self._clock()
        row.last_test_ok = result.ok
        row.last_test_message = result.message[:1000]

    def _binding(self, row: Integration, version: int) -> SecretBinding:
        assert row.id is not None
        return SecretBinding(
            organization_id=row.organization_id, integration_id=row.id, version=version
        )

    def _store_secrets(
        self,
        session: Session,
        row: Integration,
        secrets: Mapping[str, str],
        actor: Actor,
        *,
        version: int,
    ) -> CredentialVersion:
        sealed = self._vault.seal(secrets, self._binding(row, version))
        record = CredentialVersion(
            integration_id=row.id or 0,
            version=version,
            key_id=sealed.key_id,
            wrapped_key=sealed.wrapped_key,
            nonce=sealed.nonce,
            ciphertext=sealed.ciphertext,
            mask_hint=mask_secrets(secrets),
            created_by_id=actor.user_id,
            created_at=self._clock(),
        )
        session.add(record)
        session.flush()
        return record

    def _open_secrets(self, session: Session, row: Integration) -> dict[str, str]:
        version = integrations_repository.credential_version(
            session, row.active_credential_version_id
        )
        return self._open_version(row, version)

    def _open_version(self, row: Integration, version: CredentialVersion | None) -> dict[str, str]:
        if version is None:
            return {}
        sealed = SealedSecret(
            key_id=version.key_id,
            wrapped_key=version.wrapped_key,
            nonce=version.nonce,
            ciphertext=version.ciphertext,
        )
        return self._vault.open(sealed, self._binding(row, version.version))

    def _config_of(self, row: Integration, version: CredentialVersion | None) -> ConnectionConfig:
        return ConnectionConfig(
            type_key=row.type_key,
            environment=row.environment,
            auth_flow=row.auth_flow,
            settings=dict(row.settings),
            secrets=self._open_version(row, version),
        )


def _unconfigured_view(organization_id: int, integration_type: IntegrationType) -> IntegrationView:
    return IntegrationView(
        organization_id=organization_id,
        type_key=integration_type.key,
        type_label=integration_type.label,
        type_summary=integration_type.summary,
        status=IntegrationStatus.NOT_CONFIGURED.value,
    )


def _view(
    row: Integration,
    integration_type: IntegrationType,
    credentials: tuple[CredentialVersion, str] | None,
    failed_runs: list[SyncRun] | None = None,
) -> IntegrationView:
    version, set_by = credentials if credentials else (None, None)
    errors = [
        RecentError.of(
            as_utc(run.finished_at or run.started_at),
            Message.of("integration.recent_sync", detail=run.error_summary),
        )
        for run in failed_runs or []
        if run.error_summary
    ]
    if row.last_test_ok is False and row.last_test_at and row.last_test_message:
        errors.append(
            RecentError.of(
                as_utc(row.last_test_at),
                Message.of("integration.recent_test", detail=row.last_test_message),
            )
        )
    recent = tuple(sorted(errors, key=lambda error: error.at, reverse=True)[:5])
    return IntegrationView(
        id=row.id,
        organization_id=row.organization_id,
        type_key=row.type_key,
        type_label=integration_type.label,
        type_summary=integration_type.summary,
        status=row.status,
        display_name=row.display_name,
        environment=row.environment,
        auth_flow=row.auth_flow,
        settings=dict(row.settings),
        status_detail=row.status_detail,
        secret_masks=dict(version.mask_hint) if version else {},
        credential_version=version.version if version else None,
        credentials_set_at=as_utc(version.created_at) if version else None,
        credentials_set_by=set_by,
        last_test_at=as_utc(row.last_test_at),
        last_test_ok=row.last_test_ok,
        last_test_message=row.last_test_message,
        last_sync_at=as_utc(row.last_sync_at),
        total_records_synced=row.total_records_synced,
        sync_interval_minutes=row.sync_interval_minutes,
        recent_errors=recent,
    )


def _test_details(draft: ConnectionDraft, result: ConnectionResult) -> dict[str, object]:
    return {
        "type": draft.type_key,
        "environment": draft.environment,
        "auth_flow": draft.auth_flow,
        "ok": result.ok,
        "message": result.message,
        "fields": list(result.fields),
        "latency_ms": result.latency_ms,
    }


def integration_views(session: Session, organization_id: int) -> list[IntegrationView]:
    """One view per known type, in the caller's transaction (it has checked who may see them)."""
    rows = {
        row.type_key: row
        for row in integrations_repository.integrations_of(session, organization_id)
    }
    credentials = integrations_repository.active_credentials(session, list(rows.values()))
    sync_errors = integrations_repository.recent_sync_errors(
        session, [row.id for row in rows.values() if row.id is not None]
    )
    views = []
    for integration_type in integration_types():
        row = rows.get(integration_type.key)
        if row is None:
            views.append(_unconfigured_view(organization_id, integration_type))
        else:
            views.append(
                _view(
                    row,
                    integration_type,
                    credentials.get(row.id or 0),
                    sync_errors.get(row.id or 0, []),
                )
            )
    return views
