"""Secrets typed into a form, held between 'Continue' and 'Save' without being kept in clear.

Reflex keeps page state in its state manager (a file on disk by default, Redis
at scale). A secret the admin typed must survive from the credentials step to
the save step, so the state holds only this sealed blob: AES-256-GCM under a
key derived from the master key, bound to the person and organization, and
expiring. A copied state file or Redis dump reveals nothing.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DRAFT_TTL_SECONDS = 60 * 60


class DraftSecrets:
    def __init__(self, key: bytes, *, ttl_seconds: int = DRAFT_TTL_SECONDS) -> None:
        self._aead = AESGCM(key)
        self._ttl = ttl_seconds

    def seal(self, secrets: Mapping[str, str], *, actor_id: int, organization_id: int) -> str:
        nonce = os.urandom(12)
        payload = json.dumps({"exp": int(time.time()) + self._ttl, "secrets": dict(secrets)})
        sealed = self._aead.encrypt(nonce, payload.encode(), self._aad(actor_id, organization_id))
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str, *, actor_id: int, organization_id: int) -> dict[str, str]:
        """The secrets, or {} when the token is empty, expired, tampered or someone else's."""
        if not token:
            return {}
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            plain = self._aead.decrypt(raw[:12], raw[12:], self._aad(actor_id, organization_id))
            payload = json.loads(plain)
        except (ValueError, InvalidTag):
            return {}
        if payload.get("exp", 0) < time.time():
            return {}
        return {str(k): str(v) for k, v in payload.get("secrets", {}).items()}

    @staticmethod
    def _aad(actor_id: int, organization_id: int) -> bytes:
        return f"draft:{actor_id}:{organization_id}".encode()
