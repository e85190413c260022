"""Connection-test proofs (DESIGN rule 2: validate before save).

A successful test yields a short-lived token that is an HMAC over exactly the
values tested, who tested them and for which organization. Saving recomputes
the HMAC from the values being saved, so any change after the test, even one
character of a secret, makes the proof fail. The token carries no value and no
digest an attacker could brute-force without the server key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

PROOF_TTL_SECONDS = 15 * 60


@dataclass(frozen=True)
class ConnectionValues:
    """The values a connection test ran with; the proof is bound to all of them."""

    organization_id: int
    integration_id: int | None
    actor_id: int
    type_key: str
    environment: str
    auth_flow: str
    settings: Mapping[str, str]
    secrets: Mapping[str, str]

    def canonical(self) -> bytes:
        return json.dumps(
            {
                "organization_id": self.organization_id,
                "integration_id": self.integration_id,
                "actor_id": self.actor_id,
                "type_key": self.type_key,
                "environment": self.environment,
                "auth_flow": self.auth_flow,
                "settings": dict(sorted(self.settings.items())),
                "secrets": dict(sorted(self.secrets.items())),
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()


class ProofSigner:
    def __init__(self, key: bytes, *, ttl_seconds: int = PROOF_TTL_SECONDS) -> None:
        self._key = key
        self._ttl = ttl_seconds

    def issue(self, values: ConnectionValues, *, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self._ttl)
        return f"{expires}.{self._mac(values, expires)}"

    def verify(
        self, proof: str | None, values: ConnectionValues, *, now: float | None = None
    ) -> bool:
        if not proof or not isinstance(proof, str) or "." not in proof:
            return False
        expires_text, _, mac = proof.partition(".")
        if not expires_text.isdigit():
            return False
        expires = int(expires_text)
        if expires < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(mac, self._mac(values, expires))

    def _mac(self, values: ConnectionValues, expires: int) -> str:
        message = str(expires).encode() + b"\n" + values.canonical()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
