"""`accountlink keys rotate`: a new master key, and every data key re-wrapped under it.

Only the wrapped data keys change; the encrypted payloads stay byte-for-byte
the same, so a rotation cannot corrupt a secret. The key file is written
before the database, so a crash in between leaves rows wrapped by a key that
is still in the ring.
"""

from __future__ import annotations

from accountlink_ui import repository
from accountlink_ui.db import session_scope
from accountlink_ui.services.wiring import Services
from accountlink_ui.vault import SealedSecret, SecretBinding, Vault, VaultError, save_key_ring


def rotate_master_key(services: Services, *, retire_old: bool = False) -> str:
    settings = services.settings
    if settings.master_keys:
        raise VaultError(
            "Master keys come from ACCOUNTLINK_MASTER_KEYS: add the new key there "
            "(newest last), restart, then run this command to re-wrap."
        )
    ring = services.key_ring.with_new_key()
    save_key_ring(ring, settings.resolved_master_key_file)
    vault = Vault(ring)
    rewrapped = 0
    with session_scope(services.engine) as session:
        for version, integration in repository.all_credential_versions(session):
            binding = SecretBinding(
                organization_id=integration.organization_id,
                integration_id=integration.id or 0,
                version=version.version,
            )
            sealed = vault.rewrap(
                SealedSecret(
                    key_id=version.key_id,
                    wrapped_key=version.wrapped_key,
                    nonce=version.nonce,
                    ciphertext=version.ciphertext,
                ),
                binding,
            )
            version.key_id, version.wrapped_key = sealed.key_id, sealed.wrapped_key
            session.add(version)
            rewrapped += 1
        for organization_id in {
            i.organization_id for _, i in repository.all_credential_versions(session)
        }:
            repository.add_audit_event(
                session,
                organization_id=organization_id,
                actor_id=None,
                action="vault.key_rotated",
                details={"new_key_id": ring.current.key_id, "by": "operator command"},
            )
    if retire_old:
        for key in ring.keys[:-1]:
            ring = ring.without(key.key_id)
        save_key_ring(ring, settings.resolved_master_key_file)
    return f"New master key {ring.current.key_id}; re-wrapped {rewrapped} credential versions" + (
        "; older keys retired." if retire_old else "."
    )
