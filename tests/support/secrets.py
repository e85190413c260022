"""Every secret the tests use, and the check that none of them leaked into a text."""

from __future__ import annotations

from accountlink_ui.sandbox import demo_credentials as demo

WRONG_SECRETS = (
    "xl-wrong-token-Zz9Yy8Xx",
    "wrong~client~secret~Q1w2E3",
    "wrong-api-key-7Hh6Gg5Ff",
    "wrong-bearer-4Rr3Ee2Ww",
    "wrong-password-1Qq2",
    "wrong-oauth-secret-5Tt6",
)
KNOWN_SECRETS = (
    demo.XLEDGER_DEMO_TOKEN,
    demo.XLEDGER_PRODUCTION_TOKEN,
    demo.XLEDGER_NO_READ_SCOPE_TOKEN,
    demo.ENTRA_CLIENT_SECRET,
    demo.ENTRA_EXPIRED_CLIENT_SECRET,
    demo.REST_API_KEY,
    demo.REST_BEARER_TOKEN,
    demo.REST_BASIC_PASSWORD,
    demo.REST_OAUTH_CLIENT_SECRET,
    demo.TRIPLETEX_CONSUMER_TOKEN,
    demo.TRIPLETEX_EMPLOYEE_TOKEN,
    demo.TRIPLETEX_PRODUCTION_EMPLOYEE_TOKEN,
    "sbx.tt.",  # prefix of every Tripletex session token the sandbox issues
    demo.DEMO_KEY_PEM.splitlines()[1],  # a line of the private key's body
    "sbx.entra.",  # prefix of every access token the sandbox issues
    "sbx.rest.",
    *WRONG_SECRETS,
)


def assert_no_secret(text: str) -> None:
    """Fail if any secret the tests use appears in ``text``."""
    leaked = [secret for secret in KNOWN_SECRETS if secret in text]
    assert not leaked, f"secret material leaked: {leaked!r} in {text!r}"
