"""The vault's named failures.

They form one small hierarchy so a caller can catch ``VaultError`` for "the
vault could not do it" and still tell an operator problem (a missing or
unreadable key) apart from a data problem (a row that does not decrypt).
No message built here ever carries key bytes or secret values: these errors
end up in logs and in front of operators.
"""

from __future__ import annotations


class VaultError(Exception):
    """Anything the Integration Credential Vault refuses or cannot do."""


class KeyRingError(VaultError):
    """The master key configuration (env value or key file) is unusable.

    Raised at start-up, so the message names the source, the entry and the
    field that is wrong and what to do about it.
    """


class UnknownKeyError(VaultError):
    """A stored row names a master key that the key ring does not hold.

    Usually an old key was removed before every row had been re-wrapped, or
    the deployment runs with a different key ring than the one that sealed
    the row. The key id is kept as an attribute for operator tooling.
    """

    def __init__(self, key_id: str, known_ids: tuple[str, ...] = ()) -> None:
        self.key_id = key_id
        known = ", ".join(repr(known_id) for known_id in known_ids) or "none"
        super().__init__(
            f"master key {key_id!r} is not in the key ring (known keys: {known}); "
            "restore that key into ACCOUNTLINK_MASTER_KEYS or the key file"
        )


class DecryptionError(VaultError):
    """A sealed secret failed authentication or could not be decoded.

    The cause is tampering, a row copied to another organization, integration
    or version, or a wrong key under the right id. The message says which
    binding was tried, never what the secret is.
    """
