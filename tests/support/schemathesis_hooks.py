"""Schemathesis hooks for the API run: one extra check, that no response carries a secret.

Loaded by the schemathesis CLI through ``SCHEMATHESIS_HOOKS``; the secrets to look
for (sandbox credentials, the API tokens issued in the run, their hashes) come in a
file named by ``ACCOUNTLINK_TEST_SECRETS_FILE``, one per line.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import schemathesis


@cache
def _secrets() -> tuple[str, ...]:
    path = Path(os.environ["ACCOUNTLINK_TEST_SECRETS_FILE"])
    return tuple(line for line in path.read_text().splitlines() if line)


@schemathesis.check
def no_secret_in_response(ctx, response, case) -> bool | None:  # type: ignore[no-untyped-def]
    """Body and headers alike: a credential or token must never come back."""
    text = response.text + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    leaked = [secret[:6] + "…" for secret in _secrets() if secret in text]
    if leaked:
        raise AssertionError(f"The response contains secret material starting {leaked}")
    return None
