"""The demo chart both accounting sandboxes post against: accounts, tax codes, dimensions.

A Norwegian NS 4102 slice, the same for Xledger and Business Central, so a
voucher the product builds can be checked the way the real systems check it
(unknown or blocked account, unknown tax code or dimension value). Each
`SandboxState` holds its own `Chart`; tests change it through `/_control/chart`
and `/_control/reset` brings the demo chart back.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

# Where VAT and employee payables land in the ledger readback.
VAT_ACCOUNT = "2710"
# UNVERIFIED: in Business Central an Employee line posts to the payables account of the
# employee's posting group; every demo employee is in one group whose account is 2910.
EMPLOYEE_PAYABLES_ACCOUNT = "2910"

_EXPENSE = "Expense"
_LIABILITIES = "Liabilities"
_ASSETS = "Assets"


@dataclass
class Account:
    """A G/L account: `category` as Business Central names it; `blocked` refuses postings."""

    code: str
    name: str
    category: str = _EXPENSE
    blocked: bool = False
    db_id: int = 0
    guid: str = ""


@dataclass(frozen=True)
class TaxCode:
    """An input-VAT code: its Xledger tax rule code, its Business Central tax group, its rate."""

    code: str
    name: str
    rate: Decimal
    bc_code: str
    db_id: int = 0
    guid: str = ""


@dataclass(frozen=True)
class DimensionValue:
    """One value of a dimension (a cost centre, a project)."""

    code: str
    name: str
    db_id: int = 0
    guid: str = ""


@dataclass(frozen=True)
class Dimension:
    """A dimension: `code` in Business Central, `object_number` as Xledger's glObjectN."""

    code: str
    name: str
    object_number: int
    values: tuple[DimensionValue, ...]
    guid: str = ""


@dataclass(frozen=True)
class Employee:
    """An employee, the party of a claim's counter line in Business Central."""

    number: str
    name: str
    guid: str = ""


def _guid(kind: int, index: int) -> str:
    """A stable GUID per entity, so ids survive a reset and read the same in every test."""
    return f"{kind:08x}-0000-4000-8000-{index:012x}"


_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("1920", "Bankinnskudd", _ASSETS),
    ("2710", "Inngående merverdiavgift", _LIABILITIES),
    ("2910", "Gjeld til ansatte", _LIABILITIES),
    ("6800", "Kontorrekvisita", _EXPENSE),
    ("6860", "Møte, kurs, oppdatering", _EXPENSE),
    ("7100", "Bilgodtgjørelse, oppgavepliktig", _EXPENSE),
    ("7130", "Reisekostnad, oppgavepliktig", _EXPENSE),
    ("7140", "Reisekostnad, ikke oppgavepliktig", _EXPENSE),
    ("7150", "Diettkostnad", _EXPENSE),
    ("7350", "Representasjon", _EXPENSE),
    ("7790", "Annen kostnad", _EXPENSE),
)
BLOCKED_ACCOUNT = ("7999", "Sperret konto")
# Business Central tax group codes and names are UNVERIFIED (a Norwegian BC uses VAT
# posting groups; these stand in for them).
_TAX_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("0", "Ingen mva", "0", "INGEN"),
    ("1", "Inngående mva, høy sats", "0.25", "INNG25"),
    ("11", "Inngående mva, middels sats", "0.15", "INNG15"),
    ("13", "Inngående mva, lav sats", "0.12", "INNG12"),
)
_DIMENSIONS: tuple[tuple[str, str, int, tuple[tuple[str, str], ...]], ...] = (
    (
        "AVDELING",
        "Avdeling",
        1,
        (("100", "Administrasjon"), ("200", "Medlemsservice"), ("300", "Fagavdeling")),
    ),
    (
        "PROSJEKT",
        "Prosjekt",
        2,
        (("P-2026-01", "Regionmøter"), ("P-2026-02", "Likepersonsarbeid")),
    ),
)
# Xledger transaction sources (code, description, dbId).
_TRANSACTION_SOURCES: tuple[tuple[str, str, int], ...] = (
    ("GL", "Hovedbok", 3_030_001),
    ("RR", "Reiseregning", 3_030_002),
)
_EMPLOYEES: tuple[tuple[str, str], ...] = (
    ("E1001", "Kari Nordmann"),
    ("E1002", "Hanne Hansen"),
    ("E1003", "Ola Berg"),
)


@dataclass
class Chart:
    """One sandbox's chart; thread-safe, because the server and the tests share it."""

    accounts: dict[str, Account] = field(default_factory=dict)
    tax_codes: tuple[TaxCode, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    employees: tuple[Employee, ...] = ()
    transaction_sources: tuple[tuple[str, str, int], ...] = _TRANSACTION_SOURCES
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _next_db_id: int = 3_100_000

    # --- accounts ------------------------------------------------------------
    def account(self, code: str) -> Account | None:
        """The account with this code (blocked ones too), or None."""
        with self._lock:
            found = self.accounts.get(code)
            return copy.copy(found) if found else None

    def account_list(self) -> list[Account]:
        """Every account, in code order."""
        with self._lock:
            return [copy.copy(a) for _, a in sorted(self.accounts.items())]

    def put_account(self, code: str, name: str, *, category: str, blocked: bool) -> Account:
        """Add an account, or change the name, category or blocked flag of an existing one."""
        if not code.strip() or len(code) > 20:
            raise ValueError("An account 'code' must be 1 to 20 characters.")
        with self._lock:
            existing = self.accounts.get(code)
            if existing is not None:
                existing.name, existing.category, existing.blocked = name, category, blocked
                return copy.copy(existing)
            self._next_db_id += 1
            account = Account(
                code, name, category, blocked, self._next_db_id, _guid(1, self._next_db_id)
            )
            self.accounts[code] = account
            return copy.copy(account)

    def remove_account(self, code: str) -> bool:
        """Delete an account; False if there was none with this code."""
        with self._lock:
            return self.accounts.pop(code, None) is not None

    # --- tax codes, dimensions, employees --------------------------------------
    def tax_code(self, code: str) -> TaxCode | None:
        """The tax code with this Xledger tax rule code."""
        return next((t for t in self.tax_codes if t.code == code), None)

    def bc_tax_group(self, code: str) -> TaxCode | None:
        """The tax code with this Business Central tax group code."""
        return next((t for t in self.tax_codes if t.bc_code == code), None)

    def dimension(self, code: str) -> Dimension | None:
        """The dimension with this Business Central code (AVDELING, PROSJEKT)."""
        return next((d for d in self.dimensions if d.code == code), None)

    def gl_object(self, number: int) -> Dimension | None:
        """The dimension Xledger calls glObject<number>."""
        return next((d for d in self.dimensions if d.object_number == number), None)

    def transaction_source(self, code: str) -> tuple[str, str, int] | None:
        """The Xledger transaction source (code, description, dbId) with this code."""
        return next((t for t in self.transaction_sources if t[0] == code), None)

    def employee(self, number: str) -> Employee | None:
        """The employee with this number."""
        return next((e for e in self.employees if e.number == number), None)

    def public(self) -> dict[str, Any]:
        """The whole chart as JSON, for `GET /_control/chart`."""
        return {
            "accounts": [asdict(a) for a in self.account_list()],
            "tax_codes": [{**asdict(t), "rate": str(t.rate)} for t in self.tax_codes],
            "dimensions": [asdict(d) for d in self.dimensions],
            "employees": [asdict(e) for e in self.employees],
            "transaction_sources": [list(t) for t in self.transaction_sources],
        }


def demo_chart() -> Chart:
    """A fresh copy of the demo chart (accounts can be changed per sandbox)."""
    accounts: dict[str, Account] = {}
    rows = [(code, name, category, False) for code, name, category in _ACCOUNTS]
    rows.append((*BLOCKED_ACCOUNT, _EXPENSE, True))
    for index, (code, name, category, blocked) in enumerate(rows, start=1):
        db_id = 3_000_000 + index
        accounts[code] = Account(code, name, category, blocked, db_id, _guid(1, index))
    tax_codes = tuple(
        TaxCode(code, name, Decimal(rate), bc_code, 3_010_000 + i, _guid(2, i))
        for i, (code, name, rate, bc_code) in enumerate(_TAX_CODES, start=1)
    )
    dimensions = tuple(
        Dimension(
            code,
            name,
            number,
            tuple(
                DimensionValue(value, label, 3_020_000 + 100 * d + v, _guid(4, 100 * d + v))
                for v, (value, label) in enumerate(values, start=1)
            ),
            _guid(3, d),
        )
        for d, (code, name, number, values) in enumerate(_DIMENSIONS, start=1)
    )
    employees = tuple(
        Employee(number, name, _guid(5, i)) for i, (number, name) in enumerate(_EMPLOYEES, start=1)
    )
    return Chart(accounts, tax_codes, dimensions, employees)
