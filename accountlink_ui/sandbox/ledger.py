"""What each accounting sandbox holds, read back as ledger entries and a trial balance.

`GET /_control/ledger/{xledger|business_central}` lets tests and the demo check
that every voucher balanced: `total` is "0.00" whenever it did. Amounts are
Decimal strings, never floats.

Xledger: one entry per stored GL import item, as sent (the VAT line is a line
of its own). Business Central: a journal line gives the account `+amount`, and
its balancing account (if any) `-amount`; with a `taxCode` of rate r the
account gets amount/(1+r) rounded half up to 0.01 and 2710 the rest (UNVERIFIED:
how Business Central splits VAT in a general journal line; it may round the VAT
amount first). An Employee line (or balancing side) posts to the employees'
payables account 2910, with the employee as `party`. Business Central entries
say whether their journal was posted (`posted`); open journal lines count too,
since the company holds them (`?posted=true` reads posted entries only).

Dimensions read the same in both: keyed by the chart's dimension code
(`{"AVDELING": "200", "PROSJEKT": "P-2026-01"}`), whether they came as Xledger's
glObject1/glObject2 or as Business Central dimension set lines. Xledger entries
carry their `environment`; `?environment=demo` reads one environment only.
A voucher is counted once: Xledger, per call, trRegNumber and postedDate;
Business Central, per journal, documentNumber and postingDate.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accountlink_ui.sandbox.chart import EMPLOYEE_PAYABLES_ACCOUNT, VAT_ACCOUNT
from accountlink_ui.sandbox.plugins import plugin, plugin_systems
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.sandbox.xledger_vouchers import (
    CENT,
    GL_OBJECT_DIMENSIONS,
    decimal_or_none,
    money,
)

LEDGER_SYSTEMS = ("xledger", "business_central")
"""Built in; a plugged-in system with a ledger reader (``plugins.py``) adds itself."""


def ledger(
    state: SandboxState, system: str, *, environment: str | None = None, posted: bool | None = None
) -> dict[str, Any]:
    """Entries, trial balance by account, total and voucher count of `system`."""
    plugged = plugin(system)
    readers = [*LEDGER_SYSTEMS, *(s.name for s in plugin_systems() if s.ledger is not None)]
    if system not in readers:
        raise ValueError(f"No ledger for {system!r}: use {', '.join(readers)}.")
    if plugged is not None and plugged.ledger is not None:
        entries, vouchers = plugged.ledger(state, environment)
    elif system == "xledger":
        entries, vouchers = _xledger_entries(state, environment)
    else:
        entries, vouchers = _bc_entries(state, posted)
    balance: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        balance[entry["account"]] += entry["amount"]
    total = sum(balance.values(), Decimal(0))
    return {
        "entries": [{**e, "amount": money(e["amount"])} for e in entries],
        "trial_balance": {account: money(balance[account]) for account in sorted(balance)},
        "total": money(total),
        "vouchers": vouchers,
    }


def _code(value: Any) -> str | None:
    return value.get("code") if isinstance(value, dict) else None


def _xledger_entries(
    state: SandboxState, environment: str | None
) -> tuple[list[dict[str, Any]], int]:
    chart = state.chart
    entries: list[dict[str, Any]] = []
    vouchers: set[tuple[Any, ...]] = set()
    for item in state.stored("xledger"):
        if environment is not None and item.get("environment") != environment:
            continue
        dimensions = {}
        for number, name in enumerate(GL_OBJECT_DIMENSIONS, start=1):
            value = _code(item.get(name))
            if value is not None:
                dimension = chart.gl_object(number)
                dimensions[dimension.code if dimension else name] = value
        voucher = item.get("trRegNumber")
        if voucher is None or str(voucher).strip() == "":
            vouchers.add(("line", item["dbId"]))
        else:
            vouchers.add((item.get("importBatch"), str(voucher), item.get("postedDate")))
        entries.append(
            {
                "voucher": None if voucher is None else str(voucher),
                "date": item.get("postedDate"),
                "account": _code(item.get("account")),
                "amount": decimal_or_none(item.get("amount")) or Decimal(0),
                "tax_code": _code(item.get("taxRule")),
                "dimensions": dimensions,
                "text": item.get("text"),
                "reference": item.get("yourReference"),
                "environment": item.get("environment"),
            }
        )
    return entries, len(vouchers)


def _side(kind: str, number: str) -> tuple[str, str | None]:
    """(G/L account, party) a journal line side posts to."""
    if kind == "Employee":
        return EMPLOYEE_PAYABLES_ACCOUNT, number
    return number, None


def _bc_entries(state: SandboxState, posted: bool | None) -> tuple[list[dict[str, Any]], int]:
    chart = state.chart
    entries: list[dict[str, Any]] = []
    vouchers: set[tuple[str, str, str]] = set()
    for line in state.stored("business_central"):
        if posted is not None and line["posted"] != posted:
            continue
        vouchers.add((line["journalId"], line["documentNumber"], line["postingDate"]))
        amount = Decimal(str(line["amount"]))
        common = {
            "voucher": line["documentNumber"],
            "date": line["postingDate"],
            "dimensions": {d["code"]: d["valueCode"] for d in line.get("dimensionSetLines", [])},
            "text": line["description"],
            "reference": line["externalDocumentNumber"] or None,
            "journal": line["journalDisplayName"],
            "posted": line["posted"],
        }
        account, party = _side(line["accountType"], line["accountNumber"])
        tax = chart.bc_tax_group(line["taxCode"]) if line["taxCode"] else None
        tax_code = line["taxCode"] or None
        if tax is not None and tax.rate and line["accountType"] == "G/L Account":
            net = (amount / (1 + tax.rate)).quantize(CENT, rounding=ROUND_HALF_UP)
            entries.append(
                {**common, "account": account, "party": party, "amount": net, "tax_code": tax_code}
            )
            entries.append(
                {
                    **common,
                    "account": VAT_ACCOUNT,
                    "party": None,
                    "amount": amount - net,
                    "tax_code": tax_code,
                }
            )
        else:
            entries.append(
                {
                    **common,
                    "account": account,
                    "party": party,
                    "amount": amount,
                    "tax_code": tax_code,
                }
            )
        if line["balancingAccountNumber"]:
            account, party = _side(line["balanceAccountType"], line["balancingAccountNumber"])
            entries.append(
                {**common, "account": account, "party": party, "amount": -amount, "tax_code": None}
            )
    return entries, len(vouchers)
