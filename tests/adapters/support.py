"""Helpers for adapter tests: sandbox settings, configs, and the secret-leak check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import ExportRecord, Voucher, build_voucher
from accountlink_ui.integrations.contracts import ConnectionConfig
from accountlink_ui.integrations.registry import integration_types
from accountlink_ui.integrations.types import override_key
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.settings import Settings

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


@dataclass
class Sandbox:
    base: str
    state: SandboxState

    def settings(self, **overrides: object) -> Settings:
        values: dict[str, object] = {
            # Every declared endpoint at the sandbox, as explicit overrides (not
            # sandbox_url, which would allowlist the sandbox whatever allowed_hosts says).
            "endpoints": {
                override_key(t.key, env.key, endpoint.key): f"{self.base}{endpoint.sandbox_path}"
                for t in integration_types()
                for env in t.environments
                for endpoint in env.endpoints
            },
            "allowed_hosts": [urlsplit(self.base).netloc],
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    def requests(self, system: str) -> list[dict[str, object]]:
        return self.state.request_log(system)


POSTING = PostingSettings(
    default_expense_account="6800",
    counter_account="2910",
    journal=demo.BC_EXPENSE_JOURNAL_ID,
    company_id=demo.BC_COMPANY_ID,
)
"""Office supplies against employee payables; Business Central's expense journal."""


def config(
    type_key: str,
    auth_flow: str,
    settings: Mapping[str, str],
    secrets: Mapping[str, str],
    environment: str = "sandbox",
    posting: PostingSettings | None = POSTING,
) -> ConnectionConfig:
    return ConnectionConfig(
        type_key=type_key,
        environment=environment,
        auth_flow=auth_flow,
        settings=dict(settings),
        secrets=dict(secrets),
        posting=posting,
    )


def claim(
    key: str,
    *,
    claim_id: int = 1,
    amount: str = "123.45",
    vat: str | None = None,
    account: str = "",
    category: str = "office_supplies",
    cost_centre: str | None = None,
) -> ExportRecord:
    return ExportRecord(
        claim_id,
        key,
        dt.date(2025, 3, 14),
        Decimal(amount),
        "NOK",
        category,
        None if vat is None else Decimal(vat),
        cost_centre,
        None,
        None,
        account,
        "Train ticket",
        "Kari Nordmann",
    )


def vouchers(*keys: str, posting: PostingSettings = POSTING, **options: object) -> list[Voucher]:
    """One voucher per key, built as the sync builds them."""
    return [
        build_voucher(claim(key, claim_id=index + 1, **options), posting)  # type: ignore[arg-type]
        for index, key in enumerate(keys)
    ]
