"""The credentials and identifiers the sandbox is seeded with.

The demo seed, the docs and the tests all use these exact values, so a demo
admin can type them into the wizard and see a green connection test against
the local sandboxes. They open nothing outside the sandbox.
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

_HERE = Path(__file__).resolve().parent

# --- Xledger (Blindeforbundet) -------------------------------------------------
DEMO_WEBHOOK_SECRET = "whsec_ZGVtby13ZWJob29rLXNlY3JldC1ibGluZGVmb3JidW5kZXQ="
"""The signing secret of the webhook endpoint the demo seeds (pointing at the sandbox's
receiver, which knows it, so it can show each delivery verified). Demo only."""
XLEDGER_DEMO_TOKEN = "xl-demo-blindeforbundet-7Q2mK9vR"
XLEDGER_PRODUCTION_TOKEN = "xl-prod-blindeforbundet-3Ha8Lw2Z"
# A demo token created with the write scope only: the read probe must fail.
XLEDGER_NO_READ_SCOPE_TOKEN = "xl-demo-writeonly-5Tg1Pq7N"
# Read-only tokens, one per environment: every query works, addGLImportItems is refused.
XLEDGER_DEMO_READONLY_TOKEN = "xl-demo-readonly-blindeforbundet-5Tr9"
XLEDGER_PRODUCTION_READONLY_TOKEN = "xl-prod-readonly-blindeforbundet-8Kw3"
XLEDGER_COMPANY = "Blindeforbundet Demo"
XLEDGER_PRODUCTION_COMPANY = "Blindeforbundet"
XLEDGER_COMPANY_DB_ID = "2104783"
XLEDGER_ENVIRONMENTS = ("demo", "production")

# --- Microsoft Entra ID (HLF) --------------------------------------------------
ENTRA_TENANT_ID = "5f0b2a61-8c3e-4d7a-9b1e-2c4d6e8f0a13"
ENTRA_TENANT_DOMAIN = "hlf.onmicrosoft.com"
ENTRA_TENANT_DISPLAY_NAME = "HLF Demo"
ENTRA_CLIENT_ID = "0c8a7e52-3b4f-4e1d-a9c6-7d2e1f3b5a90"
ENTRA_CLIENT_SECRET = "hlf~demo~Q8x.secret~Vx8Qm2Lp"
# Registered on the same app but already expired: shows AADSTS7000222.
ENTRA_EXPIRED_CLIENT_SECRET = "hlf~demo~old.secret~Ex2Pd9Kw"

DEMO_CERT_PEM = (_HERE / "demo_cert.pem").read_text(encoding="ascii")
DEMO_KEY_PEM = (_HERE / "demo_key.pem").read_text(encoding="ascii")

_DEMO_CERT = x509.load_pem_x509_certificate(DEMO_CERT_PEM.encode("ascii"))
# Hex, as the Azure portal shows it and as MSAL's "thumbprint" expects.
DEMO_CERT_THUMBPRINT_SHA1 = _DEMO_CERT.fingerprint(hashes.SHA1()).hex().upper()
DEMO_CERT_THUMBPRINT_SHA256 = _DEMO_CERT.fingerprint(hashes.SHA256()).hex().upper()
# base64url, as it appears in a client assertion's x5t header.
DEMO_CERT_X5T = (
    base64.urlsafe_b64encode(_DEMO_CERT.fingerprint(hashes.SHA1())).rstrip(b"=").decode()
)
# base64url SHA-256, as it appears in a PS256 assertion's x5t#S256 header.
DEMO_CERT_X5T_S256 = (
    base64.urlsafe_b64encode(_DEMO_CERT.fingerprint(hashes.SHA256())).rstrip(b"=").decode()
)

# --- Business Central ----------------------------------------------------------
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"
BC_RESOURCE = "https://api.businesscentral.dynamics.com"
BC_ENVIRONMENT = "sandbox"
BC_COMPANY_NAME = "HLF Demo AS"
BC_COMPANY_ID = "9d3f6b1e-2a47-4c8d-b5e0-71f2a3c4d5e6"
BC_JOURNAL_CODE = "GENERAL"
BC_JOURNAL_ID = "4e2a9c71-6b3d-4f85-a0e1-c2d3b4a59687"
# A second journal batch for expense claims, whose default balancing account is 2910.
BC_EXPENSE_JOURNAL_CODE = "UTLEGG"
BC_EXPENSE_JOURNAL_ID = "7b1d4e92-0c5a-4a63-9f28-d3e6a1b7c840"

# --- Dataverse -----------------------------------------------------------------
DATAVERSE_ORG_URL = "https://hlf.crm4.dynamics.com"
# The same environment in the `<env>.api.<region>` form Microsoft's Web API samples use.
DATAVERSE_API_URL = "https://hlf.api.crm4.dynamics.com"
DATAVERSE_SCOPE = f"{DATAVERSE_ORG_URL}/.default"
DATAVERSE_BUSINESS_UNIT_ID = "b1e7c3a2-94d5-4f60-8a1b-2c3d4e5f6071"
DATAVERSE_USER_ID = "a3c5e7f9-1b2d-4e6f-8a0c-9d8e7f6a5b4c"
DATAVERSE_ORGANIZATION_ID = "e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a7b8"

# --- Generic REST ("Sandbox Ledger") -------------------------------------------
REST_API_KEY = "rest-demo-key-4Nf8Wq2Xc"
REST_API_KEY_HEADER = "X-API-Key"
REST_API_KEY_QUERY_PARAM = "api_key"
REST_BEARER_TOKEN = "rest-demo-bearer-9Kd3Js7Ya"
REST_BASIC_USER = "ledger-demo"
REST_BASIC_PASSWORD = "ledger-demo-pass-6Rw2"
REST_OAUTH_CLIENT_ID = "accountlink-demo"
REST_OAUTH_CLIENT_SECRET = "rest-oauth-secret-8Lp3Vz"
REST_OAUTH_SCOPE = "ledger.write"
REST_OAUTH_SCOPES = ("ledger.write", "ledger.read")

# --- Tripletex -------------------------------------------------------------------
# The consumer token identifies the integration (issued to the integrator by Tripletex);
# an employee token is made by an administrator in the customer's company, one per
# environment here (a test-environment token does not open production).
TRIPLETEX_CONSUMER_TOKEN = "tt-consumer-accountlink-4Vb8Nq2K"
TRIPLETEX_EMPLOYEE_TOKEN = "tt-employee-test-blindeforbundet-7Hc3Mw9P"
TRIPLETEX_PRODUCTION_EMPLOYEE_TOKEN = "tt-employee-prod-blindeforbundet-2Rk6Ty4D"
TRIPLETEX_COMPANY = "Blindeforbundet Test AS"
TRIPLETEX_PRODUCTION_COMPANY = "Blindeforbundet"
TRIPLETEX_COMPANY_ID = 108_442
TRIPLETEX_EMPLOYEE_ID = 3_417_001
TRIPLETEX_ENVIRONMENTS = ("test", "production")
