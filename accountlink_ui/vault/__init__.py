"""Integration Credential Vault: envelope encryption of integration secrets.

Callers need only these names; the modules behind them are an implementation
detail (``keyring`` for master keys and their sources, ``envelope`` for
sealing rows).
"""

from accountlink_ui.vault.envelope import SealedSecret, SecretBinding, Vault
from accountlink_ui.vault.errors import (
    DecryptionError,
    KeyRingError,
    UnknownKeyError,
    VaultError,
)
from accountlink_ui.vault.keyring import (
    ENV_VAR,
    KeyRing,
    KeySource,
    MasterKey,
    load_key_ring,
    save_key_ring,
)

__all__ = [
    "ENV_VAR",
    "DecryptionError",
    "KeyRing",
    "KeyRingError",
    "KeySource",
    "MasterKey",
    "SealedSecret",
    "SecretBinding",
    "UnknownKeyError",
    "Vault",
    "VaultError",
    "load_key_ring",
    "save_key_ring",
]
