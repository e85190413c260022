"""The read-only claims page: approved expense claims and whether they reached accounting."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from babel.dates import format_date

from accountlink_ui.accounting.posting_settings import CATEGORIES
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.format import Reader, amount, number, when
from accountlink_ui.ui.states.locale import relocalize_on
from accountlink_ui.ui.states.page_load import PageLoadState
from accountlink_ui.ui.states.posting import CATEGORY_LABELS
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.views import ClaimView

EXPORT_STATES = {
    "Exported": "claims.state.exported",
    "Awaiting confirmation": "claims.state.awaiting",
    "Withdrawn": "claims.state.withdrawn",
    "Refused": "claims.state.refused",
    "Waiting": "claims.state.waiting",
}
"""The sync service's export states (``ClaimView.export_state``) as catalogue keys."""


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


def _row(claim: ClaimView, reader: Reader) -> ClaimRow:
    detail = claim.last_error or ""
    if claim.exported_at:
        detail = (
            f"{claim.exported_to or ''} {claim.external_reference or ''}, "
            f"{when(claim.exported_at, reader)}"
        )
    return ClaimRow(
        date=format_date(claim.claim_date, format="medium", locale=reader.locale),
        claimant=claim.claimant,
        description=claim.description,
        amount=amount(claim.amount, claim.currency, reader),
        category=_category(claim, reader),
        state=reader.t(EXPORT_STATES.get(claim.export_state, "claims.state.unknown")),
        exported=claim.status == "exported",
        refused=bool(claim.last_error),
        detail=detail.strip(" ,"),
    )


_CATEGORY_LABELS = {category.key: category.label for category in CATEGORIES}


def _category(claim: ClaimView, reader: Reader) -> str:
    """Category, VAT and cost centre: what the posting settings map the claim by."""
    key = CATEGORY_LABELS.get(claim.category)
    parts = [reader.t(key) if key else _CATEGORY_LABELS.get(claim.category, claim.category)]
    if claim.vat_amount:
        parts.append(reader.t("claims.vat", amount=number(claim.vat_amount, reader)))
    parts += [part for part in (claim.cost_centre, claim.project) if part]
    if claim.account_code:
        parts.append(reader.t("claims.account", account=claim.account_code))
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
        self.rows = [_row(claim, self._reader()) for claim in claims]
        self.exported = sum(1 for claim in claims if claim.status == "exported")
        self.waiting = len(claims) - self.exported
        self.loading = False
        return None


relocalize_on(r"/settings/claims/?", ClaimsState.load)
