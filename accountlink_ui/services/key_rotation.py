"""`accountlink keys rotate`: a new master key, and every data key re-wrapped under it.

Only the wrapped data keys change; the encrypted payloads stay byte-for-byte
the same, so a rotation cannot corrupt a secret. The key file is written
before the database, so a crash in between leaves rows wrapped by a key that
is still in the ring.

Running app processes are not restarted: their vault re-reads the key file
when it changes (see ``vault.KeySource``). The whole rotation holds the key
file's lock exclusively, and every credential save holds it shared from
sealing to commit, so no save can slip a row sealed with the old key in
between the re-wrap and the retirement. ``--retire-old`` then opens every
credential with the new key alone and refuses, naming the rows, while any
still needs an old key; after retiring it checks the database once more and
puts the old keys back if a row on them appeared after all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import integrations_repository, outbox_repository
from accountlink_ui.db import session_scope
from accountlink_ui.models import CredentialVersion, Integration, WebhookEndpoint
from accountlink_ui.services.outbox import sealed_of, secret_binding
from accountlink_ui.services.wiring import Services
from accountlink_ui.vault import (
    KeyRing,
    KeySource,
    SealedSecret,
    SecretBinding,
    Vault,
    VaultError,
    save_key_ring,
)

ENV_KEYS_MESSAGE = (
    "Master keys come from ACCOUNTLINK_MASTER_KEYS: add the new key there "
    "(newest last), restart, then run this command to re-wrap."
)
WAITING_MESSAGE = "Waiting for a credential save in progress to finish before rotating..."
RETIRE_REFUSED = (
    "Did not retire {old}: {count} credential version(s) cannot be opened with the new "
    "key {new} alone: {rows}. The new key is current and the old keys stay in {key_file}. "
    "Fix or delete those credentials, then run `accountlink keys rotate --retire-old` again."
)
_NAMED_ROWS = 10


class RetireRefused(VaultError):
    """``--retire-old`` left the old keys in place because something still needs them."""


@dataclass(frozen=True)
class _Problem:
    """One credential version that does not open as it should; words for the operator."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where} ({self.reason})"


def rotate_master_key(
    services: Services,
    *,
    retire_old: bool = False,
    on_wait: Callable[[], None] | None = None,
) -> str:
    """Add a key, re-wrap every row, and with ``retire_old`` drop the older keys safely.

    Raises :class:`RetireRefused` (the new key stays, the old keys too) when a
    row cannot be opened with the new key alone. ``on_wait`` is called once if
    a credential save holds the lock when the rotation starts.
    """
    settings = services.settings
    if settings.master_keys:
        raise VaultError(ENV_KEYS_MESSAGE)
    source = services.vault.key_source
    key_file = source.key_file or settings.resolved_master_key_file
    if source.key_file is None:
        source = KeySource(source.ring, key_file=key_file)
    with source.rotating(on_wait=on_wait) as current:
        ring = current.with_new_key()
        save_key_ring(ring, key_file)
        source.reload()
        rewrapped, problems = _rewrap_all(services.engine, Vault(KeySource.fixed(ring)), ring)
        summary = (
            f"New master key {ring.current.key_id}; re-wrapped {rewrapped} credential versions"
        )
        if problems:
            summary += f"; {len(problems)} could not be re-wrapped: " + _named(problems)
        if not retire_old:
            return summary + "."
        old_ids = ring.key_ids[:-1]
        new_only = KeyRing((ring.current,))
        blockers = problems or _unopenable(services.engine, Vault(KeySource.fixed(new_only)))
        if blockers:
            raise RetireRefused(_refusal(old_ids, ring, blockers, key_file))
        save_key_ring(new_only, key_file)
        late = _rows_on(services.engine, old_ids)
        if late:
            # Something sealed with an old key without taking the lock: keep its key.
            save_key_ring(ring, key_file)
            source.reload()
            raise RetireRefused(_refusal(old_ids, ring, late, key_file))
        source.reload()
    retired = ", ".join(old_ids) or "none"
    return f"{summary}; older keys retired ({retired})."


def open_canary(engine: Engine, vault: Vault) -> str | None:
    """Open the newest stored credential; None when it opens (or none exists), else why not.

    The answer names the integration and the kind of failure, never a secret:
    it is shown by ``/readyz`` to whoever can reach it.
    """
    with session_scope(engine) as session:
        row = integrations_repository.newest_credential_version(session)
    if row is None:
        return None
    version, integration = row
    try:
        vault.open(_sealed(version), _binding(version, integration))
    except VaultError as exc:
        return (
            f"Could not open the stored credential of integration {integration.id} "
            f"({type(exc).__name__}): check the master key file or ACCOUNTLINK_MASTER_KEYS."
        )
    return None


def _rewrap_all(engine: Engine, vault: Vault, ring: KeyRing) -> tuple[int, list[_Problem]]:
    """Re-wrap every row not yet on the current key; a damaged row is reported, not fatal."""
    rewrapped = 0
    problems: list[_Problem] = []
    with session_scope(engine) as session:
        rows = integrations_repository.all_credential_versions(session)
        for version, integration in rows:
            if version.key_id == ring.current.key_id:
                continue
            try:
                sealed = vault.rewrap(_sealed(version), _binding(version, integration))
            except VaultError as exc:
                problems.append(_Problem(_where(version, integration), type(exc).__name__))
                continue
            version.key_id, version.wrapped_key = sealed.key_id, sealed.wrapped_key
            session.add(version)
            rewrapped += 1
        for endpoint in _webhook_endpoints(session):
            if endpoint.secret_key_id == ring.current.key_id:
                continue
            try:
                sealed = vault.rewrap(sealed_of(endpoint), _endpoint_binding(endpoint))
            except VaultError as exc:
                problems.append(_Problem(_endpoint_where(endpoint), type(exc).__name__))
                continue
            endpoint.secret_key_id, endpoint.secret_wrapped_key = sealed.key_id, sealed.wrapped_key
            session.add(endpoint)
        for organization_id in sorted({integration.organization_id for _, integration in rows}):
            integrations_repository.add_audit_event(
                session,
                organization_id=organization_id,
                actor_id=None,
                action="vault.key_rotated",
                details={"new_key_id": ring.current.key_id, "by": "operator command"},
            )
    return rewrapped, problems


def _unopenable(engine: Engine, vault: Vault) -> list[_Problem]:
    """Every row that does not decrypt with ``vault`` (the new key alone)."""
    problems: list[_Problem] = []
    with session_scope(engine) as session:
        for version, integration in integrations_repository.all_credential_versions(session):
            try:
                vault.open(_sealed(version), _binding(version, integration))
            except VaultError as exc:
                problems.append(_Problem(_where(version, integration), type(exc).__name__))
        for endpoint in _webhook_endpoints(session):
            try:
                vault.open(sealed_of(endpoint), _endpoint_binding(endpoint))
            except VaultError as exc:
                problems.append(_Problem(_endpoint_where(endpoint), type(exc).__name__))
    return problems


def _rows_on(engine: Engine, key_ids: Sequence[str]) -> list[_Problem]:
    if not key_ids:
        return []
    with session_scope(engine) as session:
        return [
            _Problem(_where(version, integration), "sealed with a retired key meanwhile")
            for version, integration in integrations_repository.all_credential_versions(session)
            if version.key_id in key_ids
        ] + [
            _Problem(_endpoint_where(endpoint), "sealed with a retired key meanwhile")
            for endpoint in _webhook_endpoints(session)
            if endpoint.secret_key_id in key_ids
        ]


def _refusal(
    old_ids: Sequence[str], ring: KeyRing, problems: Sequence[_Problem], key_file: object
) -> str:
    return RETIRE_REFUSED.format(
        old=", ".join(old_ids),
        count=len(problems),
        new=ring.current.key_id,
        rows=_named(problems),
        key_file=key_file,
    )


def _named(problems: Sequence[_Problem]) -> str:
    named = "; ".join(str(problem) for problem in problems[:_NAMED_ROWS])
    more = len(problems) - _NAMED_ROWS
    return named + (f"; and {more} more" if more > 0 else "")


def _where(version: CredentialVersion, integration: Integration) -> str:
    return (
        f"organization {integration.organization_id}, integration {integration.id} "
        f"({integration.display_name}), credential version {version.version} "
        f"on key {version.key_id}"
    )


def _sealed(version: CredentialVersion) -> SealedSecret:
    return SealedSecret(
        key_id=version.key_id,
        wrapped_key=version.wrapped_key,
        nonce=version.nonce,
        ciphertext=version.ciphertext,
    )


def _binding(version: CredentialVersion, integration: Integration) -> SecretBinding:
    return SecretBinding(
        organization_id=integration.organization_id,
        integration_id=integration.id or 0,
        version=version.version,
    )


def _webhook_endpoints(session: Session) -> list[WebhookEndpoint]:
    """Webhook signing secrets are sealed by the same vault (``services/outbox``)."""
    return outbox_repository.all_endpoints(session)


def _endpoint_binding(endpoint: WebhookEndpoint) -> SecretBinding:
    return secret_binding(endpoint.organization_id, endpoint.id or 0)


def _endpoint_where(endpoint: WebhookEndpoint) -> str:
    return (
        f"organization {endpoint.organization_id}, webhook endpoint {endpoint.id} "
        f"signing secret on key {endpoint.secret_key_id}"
    )
