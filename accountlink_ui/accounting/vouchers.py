"""One claim, one balanced voucher: the function the preview and the sync both call.

A voucher debits the expense net of VAT (one line), debits input VAT when the organization
is VAT-registered and the claim carries deductible VAT (one line), and credits the amount
the organization owes the employee, gross (one line). Amounts are whole minor units, and a
voucher that would not sum to exactly zero is never produced.

Adapters render a voucher in their system's shape (Xledger GL import lines sharing a
``trRegNumber``, a Business Central journal line with a balancing account, ...); they never
decide accounts or amounts themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from accountlink_ui.accounting.money import AmountError, to_major, to_minor
from accountlink_ui.accounting.posting_settings import COUNTER_EMPLOYEE, PostingSettings

EXPENSE = "expense"
VAT = "vat"
COUNTER = "counter"


class ExportRecord(NamedTuple):
    """One approved expense claim, as a run reads it.

    A named tuple rather than a frozen dataclass: a run builds one per claim, thousands at
    a time, and a frozen dataclass costs several times as much to construct.
    """

    claim_id: int
    idempotency_key: str
    posted_date: date
    amount: Decimal
    currency: str
    category: str
    vat_amount: Decimal | None
    cost_centre: str | None
    project: str | None
    employee_number: str | None
    account_code: str | None
    """An expense account the organization's app chose itself; overrides the category's."""
    description: str
    claimant: str


@dataclass(frozen=True)
class VoucherLine:
    role: str
    """``expense``, ``vat`` or ``counter``."""
    account: str
    minor: int
    """Debit positive, credit negative, in minor units."""
    account_type: str = "gl_account"
    """``gl_account``, or ``employee`` for a counter line on the employee's own account."""
    tax_code: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    """(dimension, value) pairs: e.g. ("glObject1", "200") or ("AVDELING", "ADM")."""

    @property
    def amount(self) -> Decimal:
        return to_major(self.minor)


@dataclass(frozen=True)
class Voucher:
    key: str
    """The claim's idempotency key: sent along so a retry is recognised."""
    claim_id: int
    number: str
    posted_date: date
    currency: str
    text: str
    lines: tuple[VoucherLine, ...]

    @property
    def gross_minor(self) -> int:
        return -sum(line.minor for line in self.lines if line.role == COUNTER)

    def line(self, role: str) -> VoucherLine | None:
        return next((line for line in self.lines if line.role == role), None)


class VoucherError(ValueError):
    """This claim cannot become a voucher as it stands; the message says what to fix."""


def build_voucher(record: ExportRecord, settings: PostingSettings) -> Voucher:
    """The balanced voucher ``record`` posts as under ``settings``."""
    try:
        gross = to_minor(record.amount)
        vat = to_minor(record.vat_amount) if record.vat_amount is not None else 0
    except AmountError as exc:
        raise VoucherError(f"The claim's amount cannot be booked: {exc}") from None
    if gross <= 0:
        raise VoucherError("The claim's amount must be more than zero.")
    if vat < 0 or vat >= gross:
        raise VoucherError(
            f"The VAT amount {to_major(vat)} must be at least zero and less than the claim's "
            f"amount {to_major(gross)}."
        )
    tax_code = settings.tax_code(record.category)
    if not tax_code:
        vat = 0  # not VAT-registered, or no deductible VAT in this category: all expense
    dimensions = _dimensions(record, settings)
    lines = [
        VoucherLine(
            EXPENSE,
            record.account_code or settings.expense_account(record.category),
            gross - vat,
            tax_code=tax_code,
            dimensions=dimensions,
        )
    ]
    if vat:
        lines.append(VoucherLine(VAT, settings.vat_account, vat, tax_code=tax_code))
    lines.append(_counter(record, settings, gross))
    if sum(line.minor for line in lines):  # cannot happen; never let it reach a ledger
        raise AssertionError(f"voucher for claim {record.claim_id} does not balance")
    return Voucher(
        key=record.idempotency_key,
        claim_id=record.claim_id,
        number=settings.number(record.claim_id, record.posted_date),
        posted_date=record.posted_date,
        currency=record.currency,
        text=f"{record.description} ({record.claimant})",
        lines=tuple(lines),
    )


def whole_groups(
    vouchers: Sequence[Voucher], limit: int, size: Callable[[Voucher], int]
) -> list[list[Voucher]]:
    """Vouchers in order, grouped so no group holds more than ``limit`` by ``size`` (lines,
    requests), and no voucher is ever split across two groups (two calls)."""
    groups: list[list[Voucher]] = [[]]
    used = 0
    for voucher in vouchers:
        weight = size(voucher)
        if used + weight > limit and groups[-1]:
            groups.append([])
            used = 0
        groups[-1].append(voucher)
        used += weight
    return [group for group in groups if group]


def _counter(record: ExportRecord, settings: PostingSettings, gross: int) -> VoucherLine:
    if settings.counter_account_type == COUNTER_EMPLOYEE:
        if not record.employee_number:
            raise VoucherError(
                "The claim has no employee number, and the posting settings post what is "
                "owed to the employee's own account. Add the employee number to the claim, "
                "or post to an employee payables account instead."
            )
        return VoucherLine(COUNTER, record.employee_number, -gross, account_type=COUNTER_EMPLOYEE)
    return VoucherLine(COUNTER, settings.counter_account, -gross)


def _dimensions(record: ExportRecord, settings: PostingSettings) -> tuple[tuple[str, str], ...]:
    pairs = []
    if settings.cost_centre_dimension and record.cost_centre:
        pairs.append((settings.cost_centre_dimension, record.cost_centre))
    if settings.project_dimension and record.project:
        pairs.append((settings.project_dimension, record.project))
    return tuple(pairs)
