"""Masks for stored secrets: enough for an admin to recognise which one is stored."""

from __future__ import annotations

from collections.abc import Mapping

_BULLETS = "••••••••"


def mask_secret(value: str) -> str:
    """Long random secrets keep their last 3 characters; short ones (passwords) keep none."""
    text = value.strip()
    if not text:
        return ""
    if text.startswith("-----BEGIN"):
        return "PEM private key (stored)"
    if len(text) >= 16:
        return _BULLETS + text[-3:]
    return _BULLETS


def mask_secrets(secrets: Mapping[str, str]) -> dict[str, str]:
    return {key: mask_secret(value) for key, value in secrets.items() if value}
