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

Destination = tuple[str, str, Mapping[str, str]]
"""(environment, auth flow, settings): where a configuration sends its secrets."""


class DraftSecrets:
    def __init__(self, key: bytes, *, ttl_seconds: int = DRAFT_TTL_SECONDS) -> None:
        self._aead = AESGCM(key)
        self._ttl = ttl_seconds

    def seal(
        self,
        secrets: Mapping[str, str],
        *,
        actor_id: int,
        organization_id: int,
        typed_for: Destination | None = None,
    ) -> str:
        """``typed_for``: where the secrets were typed to be sent (environment, auth flow,
        settings), sealed with them so a later form can tell the address changed."""
        nonce = os.urandom(12)
        payload = json.dumps(
            {
                "exp": int(time.time()) + self._ttl,
                "secrets": dict(secrets),
                "for": None if typed_for is None else [*typed_for[:2], dict(typed_for[2])],
            }
        )
        sealed = self._aead.encrypt(nonce, payload.encode(), self._aad(actor_id, organization_id))
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str, *, actor_id: int, organization_id: int) -> dict[str, str]:
        """The secrets, or {} when the token is empty, expired, tampered or someone else's."""
        return self.open_draft(token, actor_id=actor_id, organization_id=organization_id)[0]

    def open_draft(
        self, token: str, *, actor_id: int, organization_id: int
    ) -> tuple[dict[str, str], Destination | None]:
        """The secrets and where they were typed for; ({}, None) when the token is empty,
        expired, tampered or someone else's."""
        if not token:
            return {}, None
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            plain = self._aead.decrypt(raw[:12], raw[12:], self._aad(actor_id, organization_id))
            payload = json.loads(plain)
        except (ValueError, InvalidTag):
            return {}, None
        if payload.get("exp", 0) < time.time():
            return {}, None
        secrets = {str(k): str(v) for k, v in payload.get("secrets", {}).items()}
        typed_for = payload.get("for")
        if not isinstance(typed_for, list) or len(typed_for) != 3:
            return secrets, None
        environment, auth_flow, settings = typed_for
        return secrets, (
            str(environment),
            str(auth_flow),
            {str(k): str(v) for k, v in dict(settings).items()},
        )

    @staticmethod
    def _aad(actor_id: int, organization_id: int) -> bytes:
        return f"draft:{actor_id}:{organization_id}".encode()
