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

from accountlink_ui.i18n import Message
from accountlink_ui.integrations import ssrf
from accountlink_ui.integrations.registry import get_type
from accountlink_ui.integrations.types import (
    FieldKind,
    FieldSpec,
    IntegrationType,
    UnknownTypeError,
)

FieldErrors = dict[str, Message]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DISPLAY_NAME_MAX = 120
DISPLAY_NAME_TOO_LONG = Message.of("validate.name_too_long", maximum=DISPLAY_NAME_MAX)


def applicable_fields(
    integration_type: IntegrationType, auth_flow: str, values: Mapping[str, str]
) -> tuple[FieldSpec, ...]:
    """The fields that apply given the current choices (e.g. product = Dataverse)."""
    return tuple(spec for spec in integration_type.fields_for(auth_flow) if spec.applies(values))


def length_error(spec: FieldSpec, text: str) -> Message | None:
    """The too-long message alone: forms refuse to keep such a value at all."""
    if len(text) > spec.max_length:
        return Message.of(
            "validate.too_long", field=spec.label, maximum=spec.max_length, length=len(text)
        )
    return None


def validate_field(
    spec: FieldSpec,
    value: object,
    *,
    allowed_hosts: Collection[str] = (),
    blank_means_keep: bool = False,
) -> Message | None:
    """One field's error, or None. ``blank_means_keep``: a stored secret stands in for blank."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return Message.of("validate.not_text", field=spec.label)
    text = value if spec.kind in (FieldKind.PEM, FieldKind.SECRET_PEM) else value.strip()
    if not text.strip():
        if spec.required and not blank_means_keep:
            return Message.of("validate.required", field=spec.label)
        return None
    if too_long := length_error(spec, text):
        return too_long
    if _CONTROL.search(text) or (
        spec.kind not in (FieldKind.PEM, FieldKind.SECRET_PEM) and ("\n" in text or "\r" in text)
    ):
        return Message.of("validate.control_characters", field=spec.label)
    if spec.kind is FieldKind.SELECT:
        allowed = [key for key, _ in spec.options]
        if text not in allowed:
            return Message.of(
                "validate.one_of",
                field=spec.label,
                choices=", ".join(label for _, label in spec.options),
            )
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
        return spec.pattern_message or Message.of("validate.format", field=spec.label)
    return None


def url_error(
    text: str, *, label: str | Message, allowed_hosts: Collection[str] = ()
) -> Message | None:
    """https with a host; plain http only for hosts the operator allowlisted."""
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port or ssrf.default_port(parts.scheme)
    except ValueError:
        return Message.of("validate.url_invalid", field=label)
    if parts.scheme not in ("https", "http") or not host:
        return Message.of("validate.url_not_full", field=label)
    if parts.username or parts.password:
        return Message.of("validate.url_userinfo", field=label)
    if parts.fragment:
        return Message.of("validate.url_fragment", field=label)
    if not _valid_host(host):
        return Message.of("validate.url_host", field=label, host=host)
    allowed = ssrf.is_allowlisted(host, port, allowed_hosts)
    if parts.scheme == "http" and not allowed:
        return Message.of("validate.url_https", field=label)
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


def certificate_error(text: str, *, label: str) -> Message | None:
    try:
        x509.load_pem_x509_certificate(text.strip().encode())
    except (ValueError, TypeError, UnicodeError):
        return Message.of("validate.not_certificate", field=label)
    return None


def private_key_error(text: str, *, label: str) -> Message | None:
    try:
        key = serialization.load_pem_private_key(text.strip().encode(), password=None)
    except TypeError:
        return Message.of("validate.key_encrypted", field=label)
    except (ValueError, UnicodeError, Exception):  # cryptography raises several types for junk
        return Message.of("validate.not_private_key", field=label)
    if not isinstance(key, rsa.RSAPrivateKey):
        return Message.of("validate.key_not_rsa", field=label)
    if key.key_size < 2048:
        return Message.of("validate.key_too_short", field=label, bits=str(key.key_size))
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
        return {"type_key": Message.of("validate.choose_type")}
    try:
        integration_type = get_type(type_key)
    except UnknownTypeError as exc:
        return {"type_key": exc.said}
    if not isinstance(environment, str) or not integration_type.has_environment(environment):
        names = ", ".join(env.label for env in integration_type.environments)
        errors["environment"] = Message.of("validate.choose_environment", choices=names)
    if not isinstance(auth_flow, str) or not integration_type.has_flow(auth_flow):
        names = ", ".join(flow.label for flow in integration_type.auth_flows)
        errors["auth_flow"] = Message.of("validate.choose_flow", choices=names)
        return errors
    if display_name is not None and not isinstance(display_name, str):
        errors["display_name"] = Message.of("validate.name_not_text")
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
        errors["private_key_pem"] = Message.of("validate.key_mismatch")
    return errors
