"""What a claim posted by the organization's app must look like: checked field by field.

Plain functions over the parsed JSON, so every problem names the claim (its position and
its id in the app) and the field, with a code and parameters the API renders in words
(DESIGN rule 11). A claim that passes comes out normalized: the same claim sent again,
however its JSON was spelled, has the same canonical form (``IntakeClaim.canonical``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from accountlink_ui.accounting.posting_settings import CATEGORY_KEYS
from accountlink_ui.i18n import Message

MAX_BATCH = 500
CURRENCIES = ("NOK", "SEK", "DKK", "EUR", "USD", "GBP")
"""ISO 4217 codes accepted: the two-decimal currencies the vouchers handle (accounting/money)."""
MAX_AMOUNT = Decimal("9999999.99")
"""Just under ten million in the claim's currency: far above any real expense claim."""
AMOUNT = re.compile(r"0*([1-9][0-9]{0,6}(\.[0-9]{1,2})?|\.(0[1-9]|[1-9][0-9]?))")
"""A positive amount as a decimal string (not a JSON number: a float can lose cents)."""
VAT_AMOUNT = re.compile(r"0*([0-9]{1,7}(\.[0-9]{1,2})?|\.[0-9]{1,2})")
MAX_DAYS_AHEAD = 31
MAX_YEARS_BACK = 5
"""Norwegian bookkeeping keeps vouchers five years; an older claim date is a typo."""
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,119}")
EXTERNAL_ID_RULE = Message.of("claims.external_id_rule")
"""The external id's form, as a phrase in the reader's language (the pattern is EXTERNAL_ID)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

TEXT_FIELDS: dict[str, tuple[int, bool]] = {
    "claimant": (200, True),
    "description": (500, True),
    "cost_centre": (40, False),
    "project": (40, False),
    "employee_number": (40, False),
    "account_code": (40, False),
}
"""Name → (most characters, required); the lengths are the columns' (models.ExpenseClaim)."""
FIELDS = (
    "external_id",
    "claimant",
    "claim_date",
    "amount",
    "currency",
    "description",
    "category",
    "vat_amount",
    "cost_centre",
    "project",
    "employee_number",
    "account_code",
)
"""Every field a claim may carry, in the order problems and differences are listed."""


@dataclass(frozen=True)
class ClaimProblem:
    """One thing wrong with one posted claim."""

    index: int
    external_id: str | None
    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    """(``dataclasses.field`` in full: the attribute ``field`` above shadows the name.)"""


class IntakeClaim(NamedTuple):
    """A posted claim that passed every check, normalized.

    A named tuple rather than a frozen dataclass: as immutable, and built in half the time
    (a frozen dataclass sets each field through ``object.__setattr__``), which a batch of
    500 notices (bench/intake.py)."""

    position: int
    """Its index in the request, as answers and problems name it."""
    external_id: str
    claimant: str
    claim_date: date
    amount: Decimal
    currency: str
    description: str
    category: str
    vat_amount: Decimal | None
    cost_centre: str | None
    project: str | None
    employee_number: str | None
    account_code: str

    def canonical(self) -> dict[str, str | None]:
        """The claim as compared with a stored one: every field as text, absent ones as None."""
        return dict(zip(FIELDS, self._values(), strict=True))

    def _values(self) -> list[str | None]:
        vat = self.vat_amount
        return [
            self.external_id,
            self.claimant,
            self.claim_date.isoformat(),
            f"{self.amount:.2f}",
            self.currency,
            self.description,
            self.category,
            None if vat is None else f"{vat:.2f}",
            self.cost_centre,
            self.project,
            self.employee_number,
            self.account_code,
        ]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def stored_canonical(claim: Any) -> dict[str, str | None]:
    """A stored ``ExpenseClaim`` in the same canonical form, to name what a repeat changed."""
    values = {name: getattr(claim, name) for name in FIELDS}
    values["amount"] = Decimal(str(values["amount"]))
    if values["vat_amount"] is not None:
        values["vat_amount"] = Decimal(str(values["vat_amount"]))
    return {name: _text(value) for name, value in values.items()}


def claim_items(payload: object) -> tuple[list[object], list[ClaimProblem]]:
    """The claims a request carries: ``{"claims": [...]}`` is a batch, any other object one."""
    if not isinstance(payload, dict):
        return [], [ClaimProblem(0, None, "body", "not_object")]
    if "claims" not in payload:
        return [payload], []
    if len(payload) != 1:
        extra = sorted(str(key) for key in payload if key != "claims")
        return [], [ClaimProblem(0, None, extra[0], "unknown_field")]
    claims = payload["claims"]
    if not isinstance(claims, list):
        return [], [ClaimProblem(0, None, "claims", "not_list")]
    if not claims:
        return [], [ClaimProblem(0, None, "claims", "empty")]
    if len(claims) > MAX_BATCH:
        return [], [ClaimProblem(0, None, "claims", "too_many", {"max": MAX_BATCH})]
    return list(claims), []


def check_claims(items: list[object], today: date) -> tuple[list[IntakeClaim], list[ClaimProblem]]:
    """Every item checked; problems for all of them at once, so one answer lists them all."""
    accepted: list[IntakeClaim] = []
    problems: list[ClaimProblem] = []
    seen: dict[str, int] = {}
    earliest, latest = _date_bounds(today)
    for index, item in enumerate(items):
        quick = _plainly_valid(index, item, earliest, latest)
        claim, found = (quick, []) if quick is not None else check_claim(index, item, today)
        if claim is not None and claim.external_id in seen:
            found = [
                ClaimProblem(
                    index,
                    claim.external_id,
                    "external_id",
                    "duplicate",
                    {"first": seen[claim.external_id]},
                )
            ]
            claim = None
        problems.extend(found)
        if claim is not None:
            seen[claim.external_id] = index
            accepted.append(claim)
    return accepted, problems


def check_claim(
    index: int, item: object, today: date
) -> tuple[IntakeClaim | None, list[ClaimProblem]]:
    if not isinstance(item, dict):
        return None, [ClaimProblem(index, None, "claim", "not_object")]
    raw_id = item.get("external_id")
    shown_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 120 else None
    problems: list[ClaimProblem] = []

    def problem(name: str, code: str, **params: Any) -> None:
        problems.append(ClaimProblem(index, shown_id, name, code, params))

    for name in sorted(str(key) for key in item if key not in FIELDS):
        problem(name[:60], "unknown_field")

    external_id = _string(item, "external_id", problem)
    if external_id is None:
        problem("external_id", "required")
    elif not EXTERNAL_ID.fullmatch(external_id):
        problem("external_id", "bad_external_id", rule=EXTERNAL_ID_RULE)

    texts: dict[str, str | None] = {}
    for name, (longest, required) in TEXT_FIELDS.items():
        value = _string(item, name, problem)
        if value is not None:
            if _CONTROL.search(value):
                problem(name, "control_characters")
            elif len(value) > longest:
                problem(name, "too_long", max=longest, length=len(value))
            value = value.strip()
        if not value:
            if required:
                problem(name, "required")
            value = None
        texts[name] = value

    amount = _amount(item, "amount", problem, required=True)
    vat = _amount(item, "vat_amount", problem, required=False, zero_ok=True)
    if amount is not None and vat is not None and vat > amount:
        problem("vat_amount", "vat_over_amount", amount=f"{amount:.2f}")

    currency = _string(item, "currency", problem)
    if currency is None:
        problem("currency", "required")
    elif currency not in CURRENCIES:
        problem("currency", "unknown_currency", accepted=", ".join(CURRENCIES))

    claim_date = _date(item, problem, today)

    category = _string(item, "category", problem)
    if "category" not in item:
        category = "other"
    elif item["category"] is None:
        problem("category", "not_text")
    elif category is not None and category not in CATEGORY_KEYS:
        problem("category", "unknown_category", accepted=", ".join(sorted(CATEGORY_KEYS)))

    if problems:
        return None, problems
    assert external_id and amount is not None and currency and claim_date and category
    return (
        IntakeClaim(
            position=index,
            external_id=external_id,
            claimant=texts["claimant"] or "",
            claim_date=claim_date,
            amount=amount,
            currency=currency,
            description=texts["description"] or "",
            category=category,
            vat_amount=vat,
            cost_centre=texts["cost_centre"],
            project=texts["project"],
            employee_number=texts["employee_number"],
            account_code=texts["account_code"] or "",
        ),
        [],
    )


_KNOWN_FIELDS = frozenset(FIELDS)
_TEXT_SPECS = tuple((name, longest, required) for name, (longest, required) in TEXT_FIELDS.items())
_CURRENCY_SET = frozenset(CURRENCIES)
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CENT = Decimal("0.01")


def _plainly_valid(index: int, item: object, earliest: date, latest: date) -> IntakeClaim | None:
    """The common case in one pass without bookkeeping: a claim whose every field is plainly
    right comes out exactly as ``check_claim`` would make it; anything else gives ``None``,
    and ``check_claim`` then names each problem (or accepts what this pass was too strict
    for). A batch of 500 spends half the time it did here (bench/intake.py); a property
    test (tests/unit/test_claim_checks_fast_path.py) holds the two to the same answers.
    """
    if type(item) is not dict or not _KNOWN_FIELDS.issuperset(item):
        return None
    get = item.get
    external_id = get("external_id")
    if type(external_id) is not str or not EXTERNAL_ID.fullmatch(external_id):
        return None
    texts: dict[str, str | None] = {}
    for name, longest, required in _TEXT_SPECS:
        value = get(name)
        if value is not None:
            if type(value) is not str or len(value) > longest or _CONTROL.search(value):
                return None
            value = value.strip() or None
        if value is None and required:
            return None
        texts[name] = value
    raw_amount = get("amount")
    if type(raw_amount) is not str or not AMOUNT.fullmatch(raw_amount):
        return None
    amount = Decimal(raw_amount).quantize(_CENT)
    raw_vat = get("vat_amount")
    vat: Decimal | None = None
    if raw_vat is not None:
        if type(raw_vat) is not str or not VAT_AMOUNT.fullmatch(raw_vat):
            return None
        vat = Decimal(raw_vat).quantize(_CENT)
        if vat > amount:
            return None
    currency = get("currency")
    if type(currency) is not str or currency not in _CURRENCY_SET:
        return None
    raw_date = get("claim_date")
    if type(raw_date) is not str or not _DATE_SHAPE.fullmatch(raw_date):
        return None
    try:
        claim_date = date.fromisoformat(raw_date)
    except ValueError:
        return None
    if not earliest <= claim_date <= latest:
        return None
    category = get("category", "other")
    if type(category) is not str or category not in CATEGORY_KEYS:
        return None
    return IntakeClaim(
        position=index,
        external_id=external_id,
        claimant=texts["claimant"] or "",
        claim_date=claim_date,
        amount=amount,
        currency=currency,
        description=texts["description"] or "",
        category=category,
        vat_amount=vat,
        cost_centre=texts["cost_centre"],
        project=texts["project"],
        employee_number=texts["employee_number"],
        account_code=texts["account_code"] or "",
    )


def _date_bounds(today: date) -> tuple[date, date]:
    """The earliest and latest claim date accepted on ``today``."""
    latest = today + timedelta(days=MAX_DAYS_AHEAD)
    earliest = today.replace(year=today.year - MAX_YEARS_BACK, day=min(today.day, 28))
    return earliest, latest


def _string(item: dict[str, Any], name: str, problem: Any) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        problem(name, "not_text")
        return None
    return value


def _amount(
    item: dict[str, Any], name: str, problem: Any, *, required: bool, zero_ok: bool = False
) -> Decimal | None:
    value = item.get(name)
    if value is None:
        if required:
            problem(name, "required")
        return None
    if not isinstance(value, str):
        problem(name, "amount_not_text")
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        problem(name, "not_amount")
        return None
    if not amount.is_finite():
        problem(name, "not_amount")
        return None
    if amount < 0 or (amount == 0 and not zero_ok):
        problem(name, "not_positive" if not zero_ok else "negative")
        return None
    if amount > MAX_AMOUNT:
        problem(name, "too_large", max=f"{MAX_AMOUNT:.2f}")
        return None
    if amount != amount.quantize(Decimal("0.01")):  # safe: bounded above
        problem(name, "too_many_decimals")
        return None
    if not (VAT_AMOUNT if zero_ok else AMOUNT).fullmatch(value):  # e.g. "1e3", "+5", " 5"
        problem(name, "not_amount")
        return None
    return amount.quantize(Decimal("0.01"))


def _date(item: dict[str, Any], problem: Any, today: date) -> date | None:
    value = item.get("claim_date")
    if value is None:
        problem("claim_date", "required")
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        problem("claim_date", "not_date")
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        problem("claim_date", "not_date")
        return None
    earliest, latest = _date_bounds(today)
    if parsed > latest:
        problem("claim_date", "date_too_late", latest=latest.isoformat())
        return None
    if parsed < earliest:
        problem("claim_date", "date_too_early", earliest=earliest.isoformat())
        return None
    return parsed
