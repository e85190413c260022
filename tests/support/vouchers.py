"""Connection configs and vouchers for the adapter and sync tests, built as the sync builds them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from accountlink_ui.accounting.posting_settings import PostingSettings
from accountlink_ui.accounting.vouchers import ExportRecord, Voucher, build_voucher
from accountlink_ui.integrations.contracts import ConnectionConfig
from accountlink_ui.sandbox import demo_credentials as demo

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
