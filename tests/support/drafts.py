"""Connection drafts for tests: the demo's (which the sandbox accepts) and Tripletex's."""

from __future__ import annotations

from accountlink_ui.demo_drafts import business_central_draft, rest_draft, xledger_draft
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.integration_service import ConnectionDraft

__all__ = [
    "VAT_POSTING",
    "business_central_draft",
    "rest_draft",
    "tripletex_draft",
    "xledger_draft",
]


def tripletex_draft(employee_token: str = demo.TRIPLETEX_EMPLOYEE_TOKEN) -> ConnectionDraft:
    return ConnectionDraft(
        "tripletex",
        "sandbox",
        "session_token",
        {"consumer_token": demo.TRIPLETEX_CONSUMER_TOKEN, "employee_token": employee_token},
    )


VAT_POSTING = {
    "vat_registered": "yes",
    "tax_code.travel": "13",
    "tax_code.accommodation": "13",
    "tax_code.meals": "1",
    "tax_code.office_supplies": "1",
    "cost_centre_dimension": "glObject1",
}
"""A VAT-registered organization: 12 % on transport and hotels, 25 % on meals and supplies,
cost centres on Xledger's first GL object."""
