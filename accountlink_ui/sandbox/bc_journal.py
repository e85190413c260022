"""Business Central journal lines: what a line may say, and what posting a journal checks.

A line is refused at creation, as Business Central validates each field when it
is set: an unknown or blocked G/L account, an unknown employee (accountType
Employee), an unknown balancing account, tax group, dimension or dimension
value, a string longer than its field. A line with a balancing account balances
itself; the others must balance per document number and posting date when the
journal is posted (`Microsoft.NAV.post`), else nothing in the journal posts.

UNVERIFIED: the error codes and the exact message wording (modelled on Business
Central's record-not-found and TestField messages); that `dimensionSetLines`
can be deep-inserted with a line; that a line created through the API takes the
journal's default balancing account when the body leaves
`balancingAccountNumber` out (switchable: `bc_journal_default_balancing`);
that an empty journal refuses to post.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from accountlink_ui.sandbox.chart import Chart
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.sandbox.xledger_vouchers import CENT, money

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
SYSTEM = "business_central"
# Business Central's documented field lengths (api-reference v2.0, journalLine).
LINE_TEXT_LIMITS = {
    "accountNumber": 20,
    "documentNumber": 20,
    "externalDocumentNumber": 20,
    "description": 50,
    "comment": 250,
    "taxCode": 20,
    "balancingAccountNumber": 20,
}
ACCOUNT_TYPES = (
    "G/L Account",
    "Customer",
    "Vendor",
    "Bank Account",
    "Fixed Asset",
    "IC Partner",
    "Employee",
)
LINE_FIELDS = (
    *LINE_TEXT_LIMITS,
    "postingDate",
    "amount",
    "accountType",
    "balanceAccountType",
    "lineNumber",
    "dimensionSetLines",
)
REQUIRED_LINE_FIELDS = ("accountNumber", "postingDate", "amount")
DIMENSION_LINE_FIELDS = ("code", "valueCode")

# Error codes: UNVERIFIED (see the module docstring).
NOT_FOUND = "Internal_RecordNotFound"
TEST_FIELD = "Application_TestFieldError"
OUT_OF_BALANCE = "Application_DialogException"
Problem = tuple[str, str]


def line_problem(chart: Chart, body: dict[str, Any]) -> Problem | None:
    """(code, message) for the first thing Business Central would refuse in a line."""
    return _shape_problem(body) or _chart_problem(chart, body)


def _shape_problem(body: dict[str, Any]) -> Problem | None:
    for key in body:
        if key not in LINE_FIELDS:
            return (
                "BadRequest",
                f"The property '{key}' does not exist on type 'Microsoft.NAV.journalLine'. "
                "Make sure to only use property names that are defined by the type.",
            )
    for key in REQUIRED_LINE_FIELDS:
        if body.get(key) in (None, ""):
            return "BadRequest", f"The property '{key}' is required."
    for key, limit in LINE_TEXT_LIMITS.items():
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            return (
                "BadRequest",
                f"Cannot convert a value to the expected type 'Edm.String' for '{key}'.",
            )
        if isinstance(value, str) and len(value) > limit:
            return (
                "Application_StringExceededLength",
                f"The length of the string is {len(value)}, but it must be less than or equal "
                f"to {limit} characters. Value: {value}",
            )
    for key in ("accountType", "balanceAccountType"):
        value = body.get(key)
        if value is not None and value not in ACCOUNT_TYPES:
            return (
                "BadRequest",
                f"Cannot convert the literal '{value}' to the expected type "
                "'Microsoft.NAV.genJournalAccountType'.",
            )
    if "lineNumber" in body and not (
        isinstance(body["lineNumber"], int) and not isinstance(body["lineNumber"], bool)
    ):
        return (
            "BadRequest",
            "Cannot convert a value to the expected type 'Edm.Int32' for 'lineNumber'.",
        )
    amount = body["amount"]
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return (
            "BadRequest",
            f"Cannot convert the literal '{amount}' to the expected type 'Edm.Decimal'.",
        )
    try:
        dt.date.fromisoformat(str(body["postingDate"]))
    except ValueError:
        return (
            "BadRequest",
            f"Cannot convert the literal '{body['postingDate']}' to the expected type 'Edm.Date'.",
        )
    return _dimension_shape_problem(body.get("dimensionSetLines"))


def _dimension_shape_problem(lines: Any) -> Problem | None:
    if lines is None:
        return None
    if not isinstance(lines, list):
        return "BadRequest", "'dimensionSetLines' must be a collection of dimension set lines."
    for line in lines:
        if not isinstance(line, dict):
            return "BadRequest", "Each dimension set line must be an object."
        for key in line:
            if key not in DIMENSION_LINE_FIELDS:
                return (
                    "BadRequest",
                    f"The property '{key}' does not exist on type "
                    "'Microsoft.NAV.dimensionSetLine'.",
                )
        for key in DIMENSION_LINE_FIELDS:
            if not isinstance(line.get(key), str) or not line[key]:
                return "BadRequest", f"The property '{key}' of a dimension set line is required."
    return None


def _party_problem(chart: Chart, kind: str, number: str, field: str) -> Problem | None:
    """Refuse a number that names no account of `kind` (or a blocked G/L account)."""
    if kind == "G/L Account":
        account = chart.account(number)
        if account is None:
            return (
                NOT_FOUND,
                f"The G/L Account does not exist. Identification fields and values: "
                f"No.='{number}' ({field})",
            )
        if account.blocked:
            return (
                TEST_FIELD,
                f"Blocked must be equal to 'No'  in G/L Account: No.={number}. "
                "Current value is 'Yes'.",
            )
        return None
    if kind == "Employee":
        if chart.employee(number) is None:
            return (
                NOT_FOUND,
                f"The Employee does not exist. Identification fields and values: "
                f"No.='{number}' ({field})",
            )
        return None
    # The demo company has no customers, vendors, bank accounts, fixed assets or IC partners.
    return (
        NOT_FOUND,
        f"The {kind} does not exist. Identification fields and values: No.='{number}' ({field})",
    )


def _chart_problem(chart: Chart, body: dict[str, Any]) -> Problem | None:
    problem = _party_problem(
        chart, body.get("accountType") or "G/L Account", body["accountNumber"], "accountNumber"
    )
    if problem:
        return problem
    balancing = body.get("balancingAccountNumber")
    if balancing:
        kind = body.get("balanceAccountType") or "G/L Account"
        problem = _party_problem(chart, kind, balancing, "balancingAccountNumber")
        if problem:
            return problem
    tax = body.get("taxCode")
    if tax and chart.bc_tax_group(tax) is None:
        return (
            NOT_FOUND,
            f"The Tax Group does not exist. Identification fields and values: Code='{tax}'",
        )
    for line in body.get("dimensionSetLines") or []:
        dimension = chart.dimension(line["code"])
        if dimension is None:
            return (
                NOT_FOUND,
                f"The Dimension does not exist. Identification fields and values: "
                f"Code='{line['code']}'",
            )
        if all(value.code != line["valueCode"] for value in dimension.values):
            return (
                NOT_FOUND,
                "The Dimension Value does not exist. Identification fields and values: "
                f"Dimension Code='{dimension.code}',Code='{line['valueCode']}'",
            )
    return None


def rounded_amount(value: int | float) -> Decimal:
    """The amount as Business Central keeps it: rounded to the currency's 0.01.

    UNVERIFIED for API input with more decimals (the client validates Amount by
    rounding to the amount rounding precision).
    """
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def new_line(state: SandboxState, journal: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Store a validated line in `journal` and return it as Business Central shows it."""
    chart = state.chart
    if "balancingAccountNumber" in body or not state.bc_journal_default_balancing:
        balancing = body.get("balancingAccountNumber") or ""
        balance_type = body.get("balanceAccountType") or "G/L Account"
    else:
        balancing = journal["balancingAccountNumber"]
        balance_type = "G/L Account"
    account_type = body.get("accountType") or "G/L Account"
    amount = rounded_amount(body["amount"])

    line = {
        "id": str(uuid.uuid4()),
        "journalId": journal["id"],
        "journalDisplayName": journal["code"],
        "lineNumber": body.get("lineNumber")
        or state.next_in_sequence(f"journal-lines:{journal['id']}", 10000),
        "accountType": account_type,
        "accountId": _party_id(chart, account_type, body["accountNumber"]),
        "accountNumber": body["accountNumber"],
        "postingDate": body["postingDate"],
        "documentNumber": body.get("documentNumber", ""),
        "externalDocumentNumber": body.get("externalDocumentNumber", ""),
        "amount": float(amount),
        "description": body.get("description", ""),
        "comment": body.get("comment", ""),
        "taxCode": body.get("taxCode", ""),
        "balanceAccountType": balance_type,
        "balancingAccountId": _party_id(chart, balance_type, balancing) if balancing else ZERO_GUID,
        "balancingAccountNumber": balancing,
        "dimensionSetLines": [dict(d) for d in body.get("dimensionSetLines") or []],
        "lastModifiedDateTime": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "posted": False,
    }
    state.record(SYSTEM, [line], [line])
    return public_line(line)


def public_line(line: dict[str, Any]) -> dict[str, Any]:
    """A stored line without the sandbox's own bookkeeping (`posted`)."""
    return {key: value for key, value in line.items() if key != "posted"}


def _party_id(chart: Chart, kind: str, number: str) -> str:
    if kind == "G/L Account":
        account = chart.account(number)
        return account.guid if account else ZERO_GUID
    if kind == "Employee":
        employee = chart.employee(number)
        return employee.guid if employee else ZERO_GUID
    return ZERO_GUID


def post_journal(state: SandboxState, journal_id: str) -> Problem | None:
    """Post every open line of the journal, or refuse (and post nothing) if a document
    (document number and posting date) does not balance or there is nothing to post."""

    def post(items: list[dict[str, Any]]) -> Problem | None:
        open_lines = [
            line for line in items if line["journalId"] == journal_id and not line["posted"]
        ]
        if not open_lines:
            return OUT_OF_BALANCE, "There is nothing to post."
        sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for line in open_lines:
            if not line["balancingAccountNumber"]:
                key = (line["documentNumber"], line["postingDate"])
                sums[key] += Decimal(str(line["amount"]))
        for (document, date), total in sums.items():
            if total != 0:
                return (
                    OUT_OF_BALANCE,
                    f"Document No. {document} is out of balance by {money(total)} on {date}. "
                    "Check that Posting Date, Document No., Document Type, Bal. Account No., "
                    "and Currency Code are correct.",
                )
        for line in open_lines:
            line["posted"] = True
        return None

    return state.update_stored(SYSTEM, post)
