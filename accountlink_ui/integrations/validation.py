"""Integration Config Validator: field-level errors, never exceptions.

Every function here takes whatever the browser, the API or a config file sent
and returns a mapping of field key → message a person can act on. They are
pure (no network, no database), so the wizard can run them as the admin
leaves each field and the service can run them again before anything is saved.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accountlink_ui.integrations import ssrf
from accountlink_ui.integrations.registry import get_type
from accountlink_ui.integrations.types import FieldKind, FieldSpec, IntegrationType

FieldErrors = dict[str, str]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DISPLAY_NAME_MAX = 120
DISPLAY_NAME_TOO_LONG = f"The name is at most {DISPLAY_NAME_MAX} characters."


def applicable_fields(
    integration_type: IntegrationType, auth_flow: str, values: Mapping[str, str]
) -> tuple[FieldSpec, ...]:
    """The fields that apply given the current choices (e.g. product = Dataverse)."""
    return tuple(spec for spec in integration_type.fields_for(auth_flow) if spec.applies(values))


def length_error(spec: FieldSpec, text: str) -> str | None:
    """The too-long message alone: forms refuse to keep such a value at all."""
    if len(text) > spec.max_length:
        return f"{spec.label} is at most {spec.max_length} characters (got {len(text)})."
    return None


def validate_field(
    spec: FieldSpec,
    value: object,
    *,
    allowed_hosts: Collection[str] = (),
    blank_means_keep: bool = False,
) -> str | None:
    """One field's error, or None. ``blank_means_keep``: a stored secret stands in for blank."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return f"{spec.label} must be text."
    text = value if spec.kind in (FieldKind.PEM, FieldKind.SECRET_PEM) else value.strip()
    if not text.strip():
        if spec.required and not blank_means_keep:
            return f"{spec.label} is required."
        return None
    if too_long := length_error(spec, text):
        return too_long
    if _CONTROL.search(text) or (
        spec.kind not in (FieldKind.PEM, FieldKind.SECRET_PEM) and ("\n" in text or "\r" in text)
    ):
        return f"{spec.label} contains control characters or line breaks; paste it again."
    if spec.kind is FieldKind.SELECT:
        allowed = [key for key, _ in spec.options]
        if text not in allowed:
            return f"{spec.label} must be one of: {', '.join(label for _, label in spec.options)}."
        return None
    if spec.kind is FieldKind.URL:
        error = url_error(text, label=spec.label, allowed_hosts=allowed_hosts)
        if error:
            return error
    if spec.kind is FieldKind.PEM:
        return certificate_error(text, label=spec.label)
    if spec.kind is FieldKind.SECRET_PEM:
        return private_key_error(text, label=spec.label)
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        return spec.pattern_message or f"{spec.label} is not in the expected format."
    return None


def url_error(text: str, *, label: str, allowed_hosts: Collection[str] = ()) -> str | None:
    """https with a host; plain http only for hosts the operator allowlisted."""
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port or ssrf.default_port(parts.scheme)
    except ValueError:
        return f"{label} is not a valid URL."
    if parts.scheme not in ("https", "http") or not host:
        return f"{label} must be a full URL starting with https://, like https://api.example.com."
    if parts.username or parts.password:
        return f"{label} must not contain a user name or password; use the credential fields."
    if parts.fragment:
        return f"{label} must not contain a '#' fragment."
    if not _valid_host(host):
        return f"{label} has an invalid host name '{host}'."
    allowed = ssrf.is_allowlisted(host, port, allowed_hosts)
    if parts.scheme == "http" and not allowed:
        return f"{label} must use https:// (plain http is allowed only for hosts the operator allowlists)."
    return None


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if any(unicodedata.category(ch).startswith(("C", "Z")) for ch in host):
        return False
    labels = host.rstrip(".").split(".")
    return all(
        re.fullmatch(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?", part) for part in labels
    )


def certificate_error(text: str, *, label: str) -> str | None:
    try:
        x509.load_pem_x509_certificate(text.strip().encode())
    except (ValueError, TypeError, UnicodeError):
        return (
            f"{label} is not a PEM certificate (it should start with -----BEGIN CERTIFICATE-----)."
        )
    return None


def private_key_error(text: str, *, label: str) -> str | None:
    try:
        key = serialization.load_pem_private_key(text.strip().encode(), password=None)
    except TypeError:
        return f"{label} is encrypted with a password; export it without one."
    except (ValueError, UnicodeError, Exception):  # cryptography raises several types for junk
        return (
            f"{label} is not a PEM private key (it should start with -----BEGIN PRIVATE KEY-----)."
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        return (
            f"{label} must be an RSA key; Microsoft Entra client assertions are signed with "
            "PS256 or RS256."
        )
    if key.key_size < 2048:
        return f"{label} is a {key.key_size}-bit key; Microsoft Entra needs at least 2048 bits."
    return None


def key_matches_certificate(certificate_pem: str, private_key_pem: str) -> bool:
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.strip().encode())
        key = serialization.load_pem_private_key(private_key_pem.strip().encode(), password=None)
        cert_key, own_key = certificate.public_key(), key.public_key()
        return (
            isinstance(cert_key, rsa.RSAPublicKey)
            and isinstance(own_key, rsa.RSAPublicKey)
            and cert_key.public_numbers() == own_key.public_numbers()
        )
    except Exception:
        return False


def validate_config(
    type_key: object,
    environment: object,
    auth_flow: object,
    values: Mapping[str, object],
    *,
    display_name: object = "",
    allowed_hosts: Collection[str] = (),
    stored_secret_keys: Collection[str] = (),
) -> FieldErrors:
    """Every field-level error of one integration configuration.

    ``stored_secret_keys`` are secrets already in the vault: on edit, leaving them
    blank keeps the stored value, so blank is not an error for them.
    """
    errors: FieldErrors = {}
    if not isinstance(type_key, str):
        return {"type_key": "Choose an integration type."}
    try:
        integration_type = get_type(type_key)
    except KeyError as exc:
        return {"type_key": str(exc)}
    if not isinstance(environment, str) or not integration_type.has_environment(environment):
        names = ", ".join(env.label for env in integration_type.environments)
        errors["environment"] = f"Choose an environment: {names}."
    if not isinstance(auth_flow, str) or not integration_type.has_flow(auth_flow):
        names = ", ".join(flow.label for flow in integration_type.auth_flows)
        errors["auth_flow"] = f"Choose how to sign in: {names}."
        return errors
    if display_name is not None and not isinstance(display_name, str):
        errors["display_name"] = "The name must be text."
    elif isinstance(display_name, str) and len(display_name.strip()) > DISPLAY_NAME_MAX:
        errors["display_name"] = DISPLAY_NAME_TOO_LONG

    text_values = {key: value for key, value in values.items() if isinstance(value, str)}
    for spec in applicable_fields(integration_type, auth_flow, text_values):
        error = validate_field(
            spec,
            values.get(spec.key, ""),
            allowed_hosts=allowed_hosts,
            blank_means_keep=spec.secret and spec.key in stored_secret_keys,
        )
        if error:
            errors[spec.key] = error

    certificate = text_values.get("certificate_pem", "")
    private_key = text_values.get("private_key_pem", "")
    if (
        auth_flow == "certificate"
        and certificate.strip()
        and private_key.strip()
        and "certificate_pem" not in errors
        and "private_key_pem" not in errors
        and not key_matches_certificate(certificate, private_key)
    ):
        errors["private_key_pem"] = "This private key does not belong to the certificate above."
    return errors
