"""Checking a certificate client assertion the way Entra does.

The JWT must be signed (RS256, or PS256: RSASSA-PSS with SHA-256, MGF1-SHA-256
and a salt as long as the digest) by a certificate registered on the app, found
by its `x5t` (SHA-1) or `x5t#S256` (SHA-256) thumbprint; `iss` and `sub` must be
the client id, `aud` this token endpoint, and now must lie within nbf..exp.
Each failure carries the AADSTS code Entra would return.

`refuse_ps256` plays a tenant that does not take PS256 yet. What Entra answers
then is UNVERIFIED: the sandbox says AADSTS700027 (`invalid_client`, 401), the
answer it gives for any signature it will not accept.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from accountlink_ui.sandbox.credentials import EntraApp, EntraCertificate

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS256", "PS256")
CLOCK_SKEW_SECONDS = 300  # Entra tolerates a few minutes of clock drift


class AssertionRejected(Exception):
    """The assertion failed a check; `code` and `params` fill the AADSTS error."""

    def __init__(self, code: int, **params: str) -> None:
        super().__init__(f"AADSTS{code}")
        self.code = code
        self.params = params


class MalformedJwt(ValueError):
    """The text is not a compact JWS with JSON header and claims."""


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Split a compact JWT into (header, claims, signing input, signature) without checking it."""
    pieces = token.split(".")
    if len(pieces) != 3:
        raise MalformedJwt("A JWT has three dot-separated parts.")
    try:
        header = json.loads(_b64url(pieces[0]))
        claims = json.loads(_b64url(pieces[1]))
        signature = _b64url(pieces[2])
    except (ValueError, binascii.Error) as error:
        raise MalformedJwt(f"Undecodable JWT part: {error}") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise MalformedJwt("The JWT header and payload must be JSON objects.")
    return header, claims, f"{pieces[0]}.{pieces[1]}".encode("ascii"), signature


def signature_valid(algorithm: str, key: object, signing_input: bytes, signature: bytes) -> bool:
    """Check an RS256 or PS256 signature (PSS salt = digest length, per RFC 7518)."""
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    scheme: padding.AsymmetricPadding = (
        padding.PKCS1v15()
        if algorithm == "RS256"
        else padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    )
    try:
        key.verify(signature, signing_input, scheme, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify_client_assertion(
    assertion: str,
    *,
    app: EntraApp,
    client_id: str,
    audiences: set[str],
    refuse_ps256: bool = False,
) -> str:
    """Verify the assertion for `app`; return the thumbprint header it was signed with."""
    try:
        header, claims, signing_input, signature = unverified_parts(assertion)
    except MalformedJwt as error:
        raise AssertionRejected(50027, reason=str(error)) from error
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise AssertionRejected(700021)
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise AssertionRejected(50027, reason=f"Unsupported signing algorithm '{algorithm}'.")
    thumbprint, certificate = _find_certificate(header, app)
    shown = _hex(thumbprint)
    if refuse_ps256 and algorithm == "PS256":
        raise AssertionRejected(
            700027,
            reason=(
                "Reason - The signing algorithm 'PS256' is not accepted for this client "
                f"assertion., Thumbprint of key used by client: '{shown}'"
            ),
        )
    if certificate is None:
        raise AssertionRejected(
            700027,
            reason=(
                f"Reason - The key was not found., Thumbprint of key used by client: '{shown}', "
                "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
                f"configured keys for app Id '{client_id}'."
            ),
        )
    if not signature_valid(str(algorithm), certificate.public_key, signing_input, signature):
        raise AssertionRejected(
            700027,
            reason=(
                "Reason - The provided signature value did not match the expected signature "
                f"value., Thumbprint of key used by client: '{shown}'"
            ),
        )
    if claims.get("aud") not in audiences:
        raise AssertionRejected(700023)
    _check_lifetime(claims)
    return str(header.get("x5t#S256") or header.get("x5t"))


def _find_certificate(
    header: dict[str, Any], app: EntraApp
) -> tuple[bytes, EntraCertificate | None]:
    """Match the header's thumbprint against the app's certificates."""
    for name, attribute in (("x5t#S256", "sha256"), ("x5t", "sha1")):
        value = header.get(name)
        if not isinstance(value, str):
            continue
        try:
            thumbprint = _b64url(value)
        except (binascii.Error, ValueError) as error:
            raise AssertionRejected(50027, reason=f"Invalid '{name}' header.") from error
        for certificate in app.certificates:
            if getattr(certificate, attribute) == thumbprint:
                return thumbprint, certificate
        return thumbprint, None
    raise AssertionRejected(50027, reason="The header has neither 'x5t' nor 'x5t#S256'.")


def _check_lifetime(claims: dict[str, Any]) -> None:
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
    if not isinstance(exp, int | float):
        raise AssertionRejected(700024, reason="The assertion has no 'exp' claim.")
    too_late = exp < now - CLOCK_SKEW_SECONDS
    too_early = isinstance(nbf, int | float) and nbf > now + CLOCK_SKEW_SECONDS
    if too_late or too_early:
        raise AssertionRejected(
            700024,
            reason=f"Current time: {_iso(now)}, assertion valid from {_iso(nbf)}, "
            f"expiry time of assertion {_iso(exp)}.",
        )


def _iso(epoch: Any) -> str:
    if not isinstance(epoch, int | float):
        return "(not given)"
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch))


def _hex(thumbprint: bytes) -> str:
    return thumbprint.hex().upper()


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
