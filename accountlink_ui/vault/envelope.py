"""Envelope encryption of one credential version.

Each seal draws a fresh 256-bit data key that encrypts the secrets with
AES-256-GCM; the newest master key wraps that data key, also with AES-256-GCM.
GCM rather than AES key wrap (RFC 3394) for the wrap because key wrap takes no
associated data: with GCM the wrapped key is bound to the same
(organization, integration, version) as the payload, so neither half of a row
can be moved on its own, and one primitive is all there is to review.

Layout of what gets stored:
- ``nonce``: the 12-byte payload nonce;
- ``ciphertext``: the payload ciphertext followed by its 16-byte tag;
- ``wrapped_key``: the 12-byte wrap nonce, then the encrypted data key and its
  tag (60 bytes in all), so the row needs no extra column for the wrap nonce.
The associated data differs between payload and wrap (domain separation) and
carries a format tag so a future format cannot be confused with this one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from accountlink_ui.vault.errors import DecryptionError, UnknownKeyError, VaultError
from accountlink_ui.vault.keyring import KEY_BYTES, KeyRing, KeySource, MasterKey

__all__ = [
    "DecryptionError",
    "SealedSecret",
    "SecretBinding",
    "UnknownKeyError",
    "Vault",
    "VaultError",
]

_FORMAT = "accountlink.vault.v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_WRAPPED_KEY_BYTES = _NONCE_BYTES + KEY_BYTES + _TAG_BYTES
_TAMPER_CAUSES = (
    "the row was altered, copied from another organization, integration or version, "
    "or the master key under that id is not the one that sealed it"
)


@dataclass(frozen=True)
class SecretBinding:
    """What a sealed secret belongs to; it goes into the associated data."""

    organization_id: int
    integration_id: int
    version: int

    def __post_init__(self) -> None:
        for name in ("organization_id", "integration_id", "version"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise VaultError(f"SecretBinding.{name} must be an int, got {type(value).__name__}")

    def associated_data(self, part: str) -> bytes:
        """Unambiguous AAD: ints have no separators in them, ``part`` separates payload and wrap."""
        return (
            f"{_FORMAT}|{part}|organization={self.organization_id}"
            f"|integration={self.integration_id}|version={self.version}"
        ).encode("ascii")

    def __str__(self) -> str:
        return (
            f"organization {self.organization_id}, integration {self.integration_id}, "
            f"version {self.version}"
        )


@dataclass(frozen=True)
class SealedSecret:
    """Exactly the columns of a credential_versions row; safe to log by repr."""

    key_id: str
    wrapped_key: bytes
    nonce: bytes
    ciphertext: bytes

    def __repr__(self) -> str:
        return (
            f"SealedSecret(key_id={self.key_id!r}, wrapped_key=<{len(self.wrapped_key)} bytes>, "
            f"nonce=<{len(self.nonce)} bytes>, ciphertext=<{len(self.ciphertext)} bytes>)"
        )


class Vault:
    """Seals and opens credential secrets with a key ring.

    Given a :class:`KeySource` over the key file, it follows rotations made by
    other processes: sealing uses the file's current key, and a row wrapped by
    a key this process has not seen yet triggers one re-read. Given a plain
    ``KeyRing`` the ring is fixed.
    """

    def __init__(self, keys: KeyRing | KeySource) -> None:
        self._source = keys if isinstance(keys, KeySource) else KeySource.fixed(keys)

    @property
    def key_ring(self) -> KeyRing:
        return self._source.ring

    @property
    def key_source(self) -> KeySource:
        return self._source

    @contextlib.contextmanager
    def sealing(self) -> Iterator[None]:
        """Wrap "seal, then commit the row" so no rotation retires the key in between.

        See :class:`KeySource` for how the shared lock closes that race.
        """
        with self._source.sealing():
            yield

    def seal(self, secrets: Mapping[str, str], binding: SecretBinding) -> SealedSecret:
        """Encrypt ``secrets`` for one credential version under a fresh data key."""
        payload = _canonical_json(secrets)
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, payload, binding.associated_data("payload"))
        master_key = self._source.fresh().current
        return SealedSecret(
            key_id=master_key.key_id,
            wrapped_key=_wrap(master_key, data_key, binding),
            nonce=nonce,
            ciphertext=ciphertext,
        )

    def open(self, sealed: SealedSecret, binding: SecretBinding) -> dict[str, str]:
        """Decrypt a row; any altered byte or foreign binding raises ``DecryptionError``."""
        data_key = self._unwrap(sealed, binding)
        return _parse_payload(_decrypt_payload(data_key, sealed, binding), binding)

    def rewrap(self, sealed: SealedSecret, binding: SecretBinding) -> SealedSecret:
        """Wrap the row's data key under the current master key; payload bytes stay as they are.

        The payload is authenticated first, so a rotation reports a damaged row
        instead of quietly carrying it forward under the new key. Rows already
        on the current key are re-wrapped too (with a fresh wrap nonce); skip
        them by comparing ``key_id`` with ``key_ring.current.key_id``.
        """
        data_key = self._unwrap(sealed, binding)
        _decrypt_payload(data_key, sealed, binding)
        master_key = self._source.ring.current
        return replace(
            sealed,
            key_id=master_key.key_id,
            wrapped_key=_wrap(master_key, data_key, binding),
        )

    def _unwrap(self, sealed: SealedSecret, binding: SecretBinding) -> bytes:
        try:
            master_key = self._source.ring.get(sealed.key_id)
        except UnknownKeyError:
            # Another process may have rotated: one re-read, then the error stands.
            master_key = self._source.reload().get(sealed.key_id)
        if len(sealed.wrapped_key) != _WRAPPED_KEY_BYTES:
            raise DecryptionError(
                f"cannot decrypt the credential for {binding}: the wrapped key is "
                f"{len(sealed.wrapped_key)} bytes, expected {_WRAPPED_KEY_BYTES}"
            )
        wrap_nonce = sealed.wrapped_key[:_NONCE_BYTES]
        body = sealed.wrapped_key[_NONCE_BYTES:]
        try:
            return AESGCM(master_key.key).decrypt(
                wrap_nonce, body, binding.associated_data("data-key")
            )
        except InvalidTag:
            pass
        raise DecryptionError(
            f"cannot decrypt the credential for {binding}: the data key does not unwrap "
            f"under master key {sealed.key_id!r} ({_TAMPER_CAUSES})"
        )


def _wrap(master_key: MasterKey, data_key: bytes, binding: SecretBinding) -> bytes:
    wrap_nonce = os.urandom(_NONCE_BYTES)
    body = AESGCM(master_key.key).encrypt(wrap_nonce, data_key, binding.associated_data("data-key"))
    return wrap_nonce + body


def _decrypt_payload(data_key: bytes, sealed: SealedSecret, binding: SecretBinding) -> bytes:
    if len(sealed.nonce) == _NONCE_BYTES and len(sealed.ciphertext) >= _TAG_BYTES:
        try:
            return AESGCM(data_key).decrypt(
                sealed.nonce, sealed.ciphertext, binding.associated_data("payload")
            )
        except InvalidTag:
            pass
    # Raised outside the except block so no library exception rides along as context.
    raise DecryptionError(
        f"cannot decrypt the credential for {binding}: the ciphertext does not "
        f"authenticate ({_TAMPER_CAUSES})"
    )


def _canonical_json(secrets: Mapping[str, str]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same secrets always give the same plaintext."""
    if not isinstance(secrets, Mapping):
        raise VaultError(
            f"secrets must be a mapping of names to text, got {type(secrets).__name__}"
        )
    for name, value in secrets.items():
        if not isinstance(name, str):
            raise VaultError(f"secret names must be text, got {type(name).__name__}")
        if not isinstance(value, str):
            raise VaultError(f"secret {name!r} must be text, got {type(value).__name__}")
        if not _is_utf8_encodable(name) or not _is_utf8_encodable(value):
            raise VaultError(f"secret {name!r} contains characters that are not valid Unicode text")
    document = json.dumps(dict(secrets), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return document.encode("utf-8")


def _is_utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_payload(payload: bytes, binding: SecretBinding) -> dict[str, str]:
    decoded: Any
    try:
        decoded = json.loads(payload.decode("utf-8"))
    except ValueError:
        # The JSON error would hold the plaintext as ``.doc``; drop it before raising.
        decoded = None
    if isinstance(decoded, dict) and all(
        isinstance(name, str) and isinstance(value, str) for name, value in decoded.items()
    ):
        return decoded
    raise DecryptionError(
        f"cannot decrypt the credential for {binding}: the decrypted payload is not "
        "a JSON object of text values"
    )
