"""How an organization's claims become postings: the accounts, tax codes, dimensions and
voucher numbering an accountant chose for one integration.

Kept as a flat mapping of string fields (what the form edits and what is stored, versioned,
with each change audited) and read into a frozen ``PostingSettings`` for the voucher
builder and the adapters. ``validate`` is the one place that decides whether a set of values
can be used, against the chart the target listed when it listed one.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from accountlink_ui.accounting.chart import Chart, codes


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    suggested_account: str
    """The NS 4102 account such claims usually go to; offered first when it is in the chart."""


CATEGORIES: tuple[Category, ...] = (
    Category("travel", "Travel (tickets, taxi)", "7140"),
    Category("accommodation", "Accommodation", "7140"),
    Category("per_diem", "Per diem", "7150"),
    Category("meals", "Meals and hospitality", "7350"),
    Category("mileage", "Mileage allowance", "7100"),
    Category("courses", "Courses and conferences", "6860"),
    Category("office_supplies", "Office supplies", "6800"),
    Category("other", "Other", "7790"),
)
CATEGORY_KEYS = frozenset(category.key for category in CATEGORIES)

COUNTER_GL = "gl_account"
COUNTER_EMPLOYEE = "employee"
COUNTER_TYPES = (COUNTER_GL, COUNTER_EMPLOYEE)
BALANCING_LINE = "balancing"
"""Business Central: one journal line per claim, balanced by its balancing account."""
EXPLICIT_LINES = "explicit"
"""Business Central: explicit expense, VAT and counter lines sharing a document number."""
COUNTER_MODES = (BALANCING_LINE, EXPLICIT_LINES)

DEFAULT_VOUCHER_NUMBER = "AL{id:6}"
VOUCHER_NUMBER_MAX = 20
"""Business Central's ``documentNumber`` holds 20 characters; Xledger's ``trRegNumber``
limit is UNVERIFIED, so the same limit applies to both."""
_VOUCHER_FIELDS = {"id", "year", "month"}
_PAD = re.compile(r"^\d{0,2}$")
MAX_FIELD = 60


def expense_key(category: str) -> str:
    return f"expense_account.{category}"


def tax_key(category: str) -> str:
    return f"tax_code.{category}"


BASE_FIELDS = (
    "default_expense_account",
    "counter_account",
    "counter_account_type",
    "vat_registered",
    "vat_account",
    "cost_centre_dimension",
    "project_dimension",
    "voucher_number",
    "transaction_source",
    "journal",
    "counter_line",
)
FIELD_KEYS = frozenset(
    BASE_FIELDS
    + tuple(expense_key(c.key) for c in CATEGORIES)
    + tuple(tax_key(c.key) for c in CATEGORIES)
)
"""Every key a posting form may send; anything else is refused, never stored."""


@dataclass(frozen=True)
class PostingSettings:
    default_expense_account: str
    counter_account: str
    expense_accounts: Mapping[str, str] = field(default_factory=dict)
    counter_account_type: str = COUNTER_GL
    vat_registered: bool = False
    tax_codes: Mapping[str, str] = field(default_factory=dict)
    vat_account: str = ""
    cost_centre_dimension: str = ""
    project_dimension: str = ""
    voucher_number: str = DEFAULT_VOUCHER_NUMBER
    transaction_source: str = "GL"
    journal: str = ""
    """Business Central: the journal's id, as listed by the company."""
    counter_line: str = BALANCING_LINE
    company_id: str = ""
    """Business Central: the company the journal belongs to (from the chart when saved)."""

    def expense_account(self, category: str) -> str:
        return self.expense_accounts.get(category) or self.default_expense_account

    def tax_code(self, category: str) -> str:
        return self.tax_codes.get(category, "") if self.vat_registered else ""

    def number(self, claim_id: int, claim_date: date) -> str:
        """The claim's voucher number: stable for the claim, unique in the organization."""
        return format_voucher_number(self.voucher_number, claim_id, claim_date)

    def values(self) -> dict[str, str]:
        """The flat form of these settings: what is stored and what the form edits."""
        flat = {
            "default_expense_account": self.default_expense_account,
            "counter_account": self.counter_account,
            "counter_account_type": self.counter_account_type,
            "vat_registered": "yes" if self.vat_registered else "no",
            "vat_account": self.vat_account,
            "cost_centre_dimension": self.cost_centre_dimension,
            "project_dimension": self.project_dimension,
            "voucher_number": self.voucher_number,
            "transaction_source": self.transaction_source,
            "journal": self.journal,
            "counter_line": self.counter_line,
            "company_id": self.company_id,
        }
        for category in CATEGORIES:
            flat[expense_key(category.key)] = self.expense_accounts.get(category.key, "")
            flat[tax_key(category.key)] = self.tax_codes.get(category.key, "")
        return flat


def from_values(values: Mapping[str, str]) -> PostingSettings:
    """Read stored (already validated) values; unknown keys are ignored."""

    def get(key: str, default: str = "") -> str:
        return str(values.get(key) or default).strip()

    return PostingSettings(
        default_expense_account=get("default_expense_account"),
        counter_account=get("counter_account"),
        expense_accounts={
            c.key: get(expense_key(c.key)) for c in CATEGORIES if get(expense_key(c.key))
        },
        counter_account_type=get("counter_account_type", COUNTER_GL),
        vat_registered=get("vat_registered") == "yes",
        tax_codes={c.key: get(tax_key(c.key)) for c in CATEGORIES if get(tax_key(c.key))},
        vat_account=get("vat_account"),
        cost_centre_dimension=get("cost_centre_dimension"),
        project_dimension=get("project_dimension"),
        voucher_number=get("voucher_number", DEFAULT_VOUCHER_NUMBER),
        transaction_source=get("transaction_source", "GL"),
        journal=get("journal"),
        counter_line=get("counter_line", BALANCING_LINE),
        company_id=get("company_id"),
    )


def format_voucher_number(template: str, claim_id: int, claim_date: date) -> str:
    out: list[str] = []
    for literal, name, width in _parsed(template):
        out.append(literal)
        if name:
            value = {"id": claim_id, "year": claim_date.year, "month": claim_date.month}[name]
            out.append(str(value).zfill(width))
    return "".join(out)


@lru_cache(maxsize=64)
def _parsed(template: str) -> tuple[tuple[str, str, int], ...]:
    """(literal, placeholder or "", zero-padded width): parsed once per template, since a run
    numbers thousands of vouchers with the same one."""
    parts = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        if name is None:
            parts.append((literal, "", 0))
        else:
            width = int(spec) if spec else {"month": 2, "year": 4}.get(name, 0)
            parts.append((literal, name, width))
    return tuple(parts)


def voucher_number_problem(template: str) -> str | None:
    """Why a voucher-number template cannot be used, or None."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return "Use {id}, {year} and {month} in braces, e.g. AL{id:6}."
    names = [name for _, name, _, _ in parts if name is not None]
    unknown = [name for name in names if name not in _VOUCHER_FIELDS]
    if unknown:
        return f"Unknown placeholder {{{unknown[0]}}}: use {{id}}, {{year}} and {{month}}."
    if any(spec and not _PAD.match(spec) for _, name, spec, _ in parts if name):
        return "A width after the colon must be a number, e.g. {id:6}."
    if "id" not in names:
        return "Include {id}: it keeps each claim's voucher number unique."
    widest = format_voucher_number(template, 10**9, date(2026, 12, 31))
    if len(widest) > VOUCHER_NUMBER_MAX:
        return f"Numbers could reach {len(widest)} characters; the most is {VOUCHER_NUMBER_MAX}."
    return None


def validate(
    values: Mapping[str, str], type_key: str, chart: Chart
) -> tuple[PostingSettings | None, dict[str, str]]:
    """Check every field; (settings, {}) when usable, else (None, field → message).

    Accounts, tax codes, dimensions, journals and transaction sources must be in the chart
    when the target listed one: a typo found here costs the admin a second, found by the
    target it refuses every claim of that category.
    """
    errors: dict[str, str] = {}
    unknown = sorted(set(values) - FIELD_KEYS - {"company_id"})
    if unknown:
        errors["form"] = f"Unknown field(s): {', '.join(unknown[:5])}."
    for key, value in values.items():
        if key in FIELD_KEYS and len(str(value)) > MAX_FIELD:
            errors[key] = f"At most {MAX_FIELD} characters."
    if errors:
        return None, errors
    settings = from_values(values)
    accounts = codes(chart.accounts)
    listed = chart.listed

    def account(key: str, code: str, *, required: bool, what: str) -> None:
        if not code:
            if required:
                errors[key] = f"Choose the {what}."
            return
        if listed and code not in accounts:
            errors[key] = f"Account {code} is not in the chart of accounts."

    account(
        "default_expense_account",
        settings.default_expense_account,
        required=True,
        what="default expense account",
    )
    for category in CATEGORIES:
        account(
            expense_key(category.key),
            settings.expense_accounts.get(category.key, ""),
            required=False,
            what="account",
        )
    if settings.counter_account_type not in COUNTER_TYPES:
        errors["counter_account_type"] = "Choose a G/L account or the employee."
    elif settings.counter_account_type == COUNTER_EMPLOYEE and type_key != "dynamics":
        errors["counter_account_type"] = "Only Business Central posts to employee accounts."
    elif settings.counter_account_type == COUNTER_GL:
        account(
            "counter_account",
            settings.counter_account,
            required=True,
            what="account the claim is owed on (employee payables)",
        )
    if values.get("vat_registered", "no") not in ("yes", "no", ""):
        errors["vat_registered"] = "Answer yes or no."
    if settings.vat_registered:
        taxes = codes(chart.tax_codes)
        for category_key, code in settings.tax_codes.items():
            if chart.tax_codes and code not in taxes:
                errors[tax_key(category_key)] = f"Tax code {code} is not known to the ledger."
        needs_vat_account = type_key != "dynamics" or settings.counter_line == EXPLICIT_LINES
        if needs_vat_account:
            account("vat_account", settings.vat_account, required=True, what="input VAT account")
    for key in ("cost_centre_dimension", "project_dimension"):
        code = getattr(settings, key)
        if code and chart.dimensions and code not in codes(chart.dimensions):
            errors[key] = f"Dimension {code} is not known to the ledger."
    if (
        settings.cost_centre_dimension
        and settings.cost_centre_dimension == settings.project_dimension
    ):
        errors["project_dimension"] = "Cost centre and project need different dimensions."
    problem = voucher_number_problem(settings.voucher_number)
    if problem:
        errors["voucher_number"] = problem
    if type_key == "xledger":
        source = settings.transaction_source
        if not source:
            errors["transaction_source"] = "Choose the transaction source (GL is usual)."
        elif chart.transaction_sources and source not in codes(chart.transaction_sources):
            errors["transaction_source"] = f"Transaction source {source} is not known."
    if type_key == "dynamics":
        if not settings.journal:
            errors["journal"] = "Choose the journal the claims go to."
        elif listed and settings.journal not in codes(chart.journals):
            errors["journal"] = "That journal is not in the company; choose one from the list."
        if settings.counter_line not in COUNTER_MODES:
            errors["counter_line"] = "Choose a balancing account or an explicit counter line."
    if errors:
        return None, errors
    if type_key == "dynamics" and chart.company_id:
        settings = replace(settings, company_id=chart.company_id)
    return settings, {}


def suggested(type_key: str, chart: Chart) -> dict[str, str]:
    """Starting values for a new integration: the NS 4102 accounts where the chart has them."""
    accounts = codes(chart.accounts)

    def pick(code: str) -> str:
        return code if not chart.listed or code in accounts else ""

    values = PostingSettings(
        default_expense_account=pick("7790"),
        counter_account=pick("2910"),
        expense_accounts={c.key: pick(c.suggested_account) for c in CATEGORIES},
        vat_account=pick("2710"),
        transaction_source="GL" if type_key == "xledger" else "",
    ).values()
    if type_key == "dynamics" and len(chart.journals) == 1:
        values["journal"] = chart.journals[0].code
    return values
