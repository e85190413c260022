"""The intake's one-pass check of plainly valid claims agrees with the full check.

``claim_intake._plainly_valid`` exists for speed (bench/intake.py); it must never accept a
claim the full ``check_claim`` refuses, nor accept one differently. Hypothesis throws
claims at both that are valid, nearly valid and plainly wrong, field by field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from accountlink_ui.services.claim_intake import (
    _date_bounds,
    _plainly_valid,
    check_claim,
    check_claims,
)

TODAY = date(2026, 3, 29)

junk = st.one_of(
    st.none(),
    st.integers(-5, 10**9),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
    st.text(max_size=8),
)
texts = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=600),
    st.sampled_from(["", "   ", "Kari Nordmann", " padded ", "tab\\tinside"]),
    # Each column's length and one more (claim_intake.TEXT_FIELDS), unpadded and padded.
    st.sampled_from([40, 41, 200, 201, 500, 501]).flatmap(
        lambda n: st.sampled_from(["x" * n, " " + "x" * (n - 1), "x" * (n - 1) + " "])
    ),
)
amounts = st.one_of(
    st.sampled_from(
        [
            "100.00",
            "0.01",
            "0",
            "0.00",
            ".5",
            "9999999.99",
            "10000000",
            "1e3",
            "+5",
            " 5",
            "1.234",
            "007.10",
            "-1",
            "NaN",
            "Infinity",
            "١٢٣",
        ]
    ),
    st.decimals(min_value=0, max_value=10**8, places=3).map(str),
)
dates = st.one_of(
    st.sampled_from(
        [
            "2026-03-29",
            "2021-03-28",
            "2021-03-27",
            "2026-04-29",
            "2026-04-30",
            "2026-02-30",
            "2026-3-1",
            "٢٠٢٦-٠٣-٢٩",
            "2026-03-29T10:00",
        ]
    ),
    st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 1, 1)).map(date.isoformat),
)
ids = st.one_of(
    st.sampled_from(["claim-1", "A", "a" * 120, "a" * 121, "-lead", "ok:1_2.3", "sp ace", ""]),
    st.text(max_size=12),
)


def field(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(values, junk)


valid_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=40
).filter(str.strip)
valid = st.fixed_dictionaries(
    {
        "external_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
        "claimant": valid_text,
        "claim_date": st.dates(min_value=date(2021, 3, 28), max_value=date(2026, 4, 29)).map(
            date.isoformat
        ),
        "amount": st.decimals(min_value=Decimal("100"), max_value=10**6, places=2).map(str),
        "currency": st.sampled_from(["NOK", "EUR"]),
        "description": valid_text,
    },
    optional={
        "category": st.sampled_from(["travel", "other"]),
        "vat_amount": st.decimals(min_value=0, max_value=99, places=2).map(str),
        "cost_centre": valid_text,
        "project": valid_text,
        "employee_number": valid_text,
        "account_code": valid_text,
    },
)
"""Claims the full check accepts, so the fast path's answers get compared, not skipped."""
wrong = {
    "external_id": field(ids),
    "claimant": field(texts),
    "claim_date": field(dates),
    "amount": field(amounts),
    "vat_amount": field(amounts),
    "currency": field(st.sampled_from(["NOK", "EUR", "nok", "XXX"])),
    "description": field(texts),
    "category": field(st.sampled_from(["travel", "other", "meals", "unknown"])),
    "cost_centre": field(texts),
    "project": field(texts),
    "employee_number": field(texts),
    "account_code": field(texts),
    "colour": st.just("blue"),
}


@st.composite
def claims(draw: st.DrawFn) -> dict:
    """A valid claim with none, one or two fields changed to anything (or removed)."""
    item = dict(draw(valid))
    for name in draw(st.lists(st.sampled_from(sorted(wrong)), max_size=2, unique=True)):
        if draw(st.booleans()) and name in item:
            del item[name]
        else:
            item[name] = draw(wrong[name])
    return item


@settings(max_examples=1000, deadline=None)
@given(claims())
def test_the_fast_check_accepts_only_what_the_full_check_accepts_and_alike(item: dict) -> None:
    earliest, latest = _date_bounds(TODAY)
    quick = _plainly_valid(0, item, earliest, latest)
    full, problems = check_claim(0, item, TODAY)
    if quick is not None:
        assert problems == [] and full == quick
        assert full is not None and full.canonical() == quick.canonical()


def test_an_ordinary_batch_takes_the_fast_path() -> None:
    """The fast path is not dead code."""
    items = [
        {
            "external_id": f"c-{n}",
            "claimant": "Kari Nordmann",
            "claim_date": "2026-03-20",
            "amount": "1234.50",
            "currency": "NOK",
            "description": 'Taxi "Oslo" \u2013 Gardermoen, bl\u00e5',
            "category": "travel",
            "vat_amount": "123.45",
        }
        for n in range(3)
    ]
    earliest, latest = _date_bounds(TODAY)
    assert all(_plainly_valid(n, item, earliest, latest) for n, item in enumerate(items))
    accepted, problems = check_claims(items, TODAY)
    assert problems == [] and len(accepted) == 3
    claim = accepted[0]
    assert claim.amount == Decimal("1234.50")
    assert claim.canonical()["description"] == 'Taxi "Oslo" \u2013 Gardermoen, bl\u00e5'
