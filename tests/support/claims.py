"""Claims as the organization's app posts them (POST /api/v1/claims), for tests and benches."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

CATEGORIES = ("travel", "meals", "accommodation", "office_supplies", "other")


def app_claim(external_id: str, number: int = 0, **changes: Any) -> dict[str, Any]:
    """A valid claim dated within the last few weeks; ``changes`` override fields."""
    claim: dict[str, Any] = {
        "external_id": external_id,
        "claimant": "Kari Nordmann",
        "claim_date": (date.today() - timedelta(days=1 + number % 20)).isoformat(),
        "amount": f"{100 + number % 900}.{number % 100:02d}",
        "currency": "NOK",
        "description": f"Expense {number + 1}",
        "category": CATEGORIES[number % len(CATEGORIES)],
    }
    claim.update(changes)
    return claim


def app_batch(prefix: str, count: int, start: int = 0) -> dict[str, Any]:
    return {"claims": [app_claim(f"{prefix}-{n}", n) for n in range(start, start + count)]}
