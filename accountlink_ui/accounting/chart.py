"""What a target's ledger offers to post to, as read from the live system.

The Posting step offers these in its pickers and validates typed entries against them;
the preview names accounts from them. Adapters fill a ``Chart``; an adapter for a system
that cannot list (generic REST) returns an empty one, and entries are then taken as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChartEntry:
    code: str
    """What is sent: an account number, a tax code, a dimension value, a journal's id."""
    name: str
    detail: str = ""
    """Extra words shown next to the name (a journal's code, an account's category)."""


@dataclass(frozen=True)
class Chart:
    accounts: tuple[ChartEntry, ...] = ()
    tax_codes: tuple[ChartEntry, ...] = ()
    dimensions: tuple[ChartEntry, ...] = ()
    """Where a cost centre or project can go: Xledger's GL object fields, Business
    Central's dimension codes."""
    dimension_values: Mapping[str, tuple[ChartEntry, ...]] = field(default_factory=dict)
    """Dimension code → its values."""
    journals: tuple[ChartEntry, ...] = ()
    transaction_sources: tuple[ChartEntry, ...] = ()
    employees: tuple[ChartEntry, ...] = ()
    company_id: str = ""
    """Business Central: the company the journals belong to, so a sync need not look it up."""

    @property
    def listed(self) -> bool:
        """Whether the target listed anything: an empty chart validates nothing."""
        return bool(self.accounts)

    def account_name(self, code: str) -> str:
        return _name(self.accounts, code)

    def tax_name(self, code: str) -> str:
        return _name(self.tax_codes, code)


def _name(entries: tuple[ChartEntry, ...], code: str) -> str:
    for entry in entries:
        if entry.code == code:
            return entry.name
    return ""


def codes(entries: tuple[ChartEntry, ...]) -> set[str]:
    return {entry.code for entry in entries}
