"""Xledger's accounting rules for a GL import batch: known codes and balanced vouchers.

A voucher is the lines of one `addGLImportItems` call that share `trRegNumber`
and `postedDate`; its amounts must sum to exactly zero, else every line of it
is refused. A line without `trRegNumber` is a voucher by itself (so only a
zero line passes). Account, tax rule, transaction source and GL object codes
must exist in the sandbox's chart, and a blocked account takes no postings.
Xledger stores nothing from a batch with any refused line.

UNVERIFIED: the exact wording of each problem (no public source shows how a
bulk mutation reports one bad line); the sandbox's is stable and names the
input path, e.g. ``inputs[3].node.account.code: Unknown account 9999``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from accountlink_ui.sandbox.chart import Chart

# glObject1..5 carry dimension values; the field names are UNVERIFIED (Xledger's entity
# decides which GL objects exist; object 1 = Avdeling and 2 = Prosjekt in the demo).
GL_OBJECT_DIMENSIONS = tuple(f"glObject{n}" for n in range(1, 6))
CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """A Decimal as a string with at least two decimals: 12.5 -> "12.50", -0 -> "0.00"."""
    if value == 0:
        return "0.00"
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return str(value.quantize(CENT))
    return str(value)


def decimal_or_none(value: Any) -> Decimal | None:
    """The amount as an exact Decimal (from a string, int or float literal), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _code(node: dict[str, Any], name: str) -> str | None:
    value = node.get(name)
    if isinstance(value, dict) and isinstance(value.get("code"), str):
        return str(value["code"])
    return None


def chart_problems(
    chart: Chart, index: int, node: dict[str, Any], *, require_source: bool
) -> list[str]:
    """Codes in one node that the chart does not know (or refuses), as input-path problems."""
    where = f"inputs[{index}].node"
    problems: list[str] = []
    account_code = _code(node, "account")
    if account_code and account_code.strip():
        account = chart.account(account_code)
        if account is None:
            problems.append(f"{where}.account.code: Unknown account {account_code}")
        elif account.blocked:
            problems.append(f"{where}.account.code: Account {account_code} is blocked for posting")
    tax = _code(node, "taxRule")
    if tax is not None and chart.tax_code(tax) is None:
        problems.append(f"{where}.taxRule.code: Unknown tax rule {tax}")
    source = _code(node, "transactionSource")
    if source is not None and chart.transaction_source(source) is None:
        problems.append(f"{where}.transactionSource.code: Unknown transaction source {source}")
    elif source is None and require_source and node.get("transactionSource") is None:
        problems.append(f"{where}.transactionSource.code is required")
    for number, name in enumerate(GL_OBJECT_DIMENSIONS, start=1):
        value = _code(node, name)
        if value is None:
            continue
        dimension = chart.gl_object(number)
        if dimension is None or all(v.code != value for v in dimension.values):
            label = f" ({dimension.name})" if dimension else ""
            problems.append(
                f"{where}.{name}.code: Unknown value {value} for GL object {number}{label}"
            )
    return problems


def voucher_key(index: int, node: dict[str, Any]) -> tuple[str, ...]:
    """Which voucher a line belongs to: its trRegNumber and postedDate, or itself alone."""
    number = node.get("trRegNumber")
    if number is None or str(number).strip() == "":
        return ("line", str(index))
    return ("voucher", str(number).strip(), str(node.get("postedDate")))


def balance_problems(nodes: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """One problem per line of each voucher whose amounts do not sum to exactly 0.00.

    A voucher with an unreadable amount is skipped: that line is refused already.
    """
    vouchers: dict[tuple[str, ...], list[tuple[int, Decimal | None]]] = defaultdict(list)
    for index, node in nodes:
        vouchers[voucher_key(index, node)].append((index, decimal_or_none(node.get("amount"))))
    problems: list[tuple[int, str]] = []
    for key, lines in vouchers.items():
        amounts = [amount for _, amount in lines]
        if any(amount is None for amount in amounts):
            continue
        total = sum((a for a in amounts if a is not None), Decimal(0))
        if total == 0:
            continue
        if key[0] == "line":
            message = (
                "A line without trRegNumber is a voucher by itself and does not balance: "
                f"sum {money(total)}"
            )
        else:
            message = f"Voucher {key[1]} does not balance: sum {money(total)}"
        problems.extend((index, f"inputs[{index}].node.amount: {message}") for index, _ in lines)
    return [message for _, message in sorted(problems)]
