"""The read-only claims page: approved expense claims and whether they reached accounting."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from accountlink_ui.accounting.posting_settings import CATEGORIES
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import when
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.views import ClaimView


@dataclass
class ClaimRow:
    date: str
    claimant: str
    description: str
    amount: str
    category: str
    state: str
    exported: bool
    refused: bool
    detail: str


def _row(claim: ClaimView) -> ClaimRow:
    amount = f"{claim.amount:,.2f}".replace(",", " ")
    detail = claim.last_error or ""
    if claim.exported_at:
        detail = (
            f"{claim.exported_to or ''} {claim.external_reference or ''}, {when(claim.exported_at)}"
        )
    return ClaimRow(
        date=claim.claim_date.isoformat(),
        claimant=claim.claimant,
        description=claim.description,
        amount=f"{amount} {claim.currency}",
        category=_category(claim),
        state=claim.export_state,
        exported=claim.status == "exported",
        refused=bool(claim.last_error),
        detail=detail.strip(" ,"),
    )


_CATEGORY_LABELS = {category.key: category.label for category in CATEGORIES}


def _category(claim: ClaimView) -> str:
    """Category, VAT and cost centre: what the posting settings map the claim by."""
    parts = [_CATEGORY_LABELS.get(claim.category, claim.category)]
    if claim.vat_amount:
        parts.append(f"VAT {claim.vat_amount:,.2f}".replace(",", " "))
    parts += [part for part in (claim.cost_centre, claim.project) if part]
    if claim.account_code:
        parts.append(f"account {claim.account_code}")
    return " · ".join(parts)


class ClaimsState(PageLoadState, SessionState):
    rows: list[ClaimRow] = []
    waiting: int = 0
    exported: int = 0

    @rx.event
    def load(self):  # type: ignore[no-untyped-def]
        self.loading = True
        actor = self._actor()
        if actor is None:
            return rx.redirect("/login", replace=True)
        claims = (
            self._read(
                lambda: get_services().sync.claims(actor, self.organization_id),
                "load.claims",
            )
            or []
        )
        self.rows = [_row(claim) for claim in claims]
        self.exported = sum(1 for claim in claims if claim.status == "exported")
        self.waiting = len(claims) - self.exported
        self.loading = False
        return None
