"""Generate the demo certificate that the Entra sandbox trusts for HLF's demo app.

Run once (``python -m accountlink_ui.sandbox.generate_demo_cert``); the output is
committed as demo material, so every checkout, test and demo signs client
assertions with the same key and the thumbprint in the docs stays true. It is
never a production credential.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
CERT_PATH = HERE / "demo_cert.pem"
KEY_PATH = HERE / "demo_key.pem"
SUBJECT = "AccountLink HLF demo"
VALID_DAYS = 3653


def build_demo_certificate() -> tuple[bytes, bytes]:
    """Return (certificate PEM, unencrypted PKCS#8 private key PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SUBJECT)])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert_pem, key_pem


def main(argv: list[str] | None = None) -> None:
    """Write the PEM files, refusing to replace committed ones without --force."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="replace existing files")
    args = parser.parse_args(argv)
    if (CERT_PATH.exists() or KEY_PATH.exists()) and not args.force:
        raise SystemExit(f"{CERT_PATH.name} already exists; pass --force to replace it")
    cert_pem, key_pem = build_demo_certificate()
    CERT_PATH.write_bytes(cert_pem)
    KEY_PATH.write_bytes(key_pem)
    print(f"wrote {CERT_PATH} and {KEY_PATH}")


if __name__ == "__main__":
    main()
