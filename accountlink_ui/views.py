"""Public views: what pages, the API and the CLI may show. No secret fields exist here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Actor:
    """The signed-in person on whose behalf a service call runs."""

    user_id: int
    email: str
    name: str

    @property
    def organization_scope(self) -> int | None:
        """The one organization this actor may act in, or None: wherever they are a member.

        A person signed in to the app has no scope; an API token's actor is pinned to the
        token's organization (``ApiActor``). ``services/access.py`` enforces it.
        """
        return None


@dataclass(frozen=True)
class OrganizationMembershipView:
    organization_id: int
    organization_name: str
    role: str


@dataclass(frozen=True)
class RecentError:
    at: datetime
    message: str


@dataclass(frozen=True)
class IntegrationView:
    """One row of the dashboard: a configured integration, or a type not yet configured."""

    organization_id: int
    type_key: str
    type_label: str
    type_summary: str
    status: str
    id: int | None = None
    display_name: str = ""
    environment: str = ""
    auth_flow: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    status_detail: str | None = None
    secret_masks: dict[str, str] = field(default_factory=dict)
    """Field key → a mask such as '••••••••9vR': enough to recognise, never to use."""
    credential_version: int | None = None
    credentials_set_at: datetime | None = None
    credentials_set_by: str | None = None
    last_test_at: datetime | None = None
    last_test_ok: bool | None = None
    last_test_message: str | None = None
    last_sync_at: datetime | None = None
    total_records_synced: int = 0
    sync_interval_minutes: int = 15
    recent_errors: tuple[RecentError, ...] = ()

    @property
    def configured(self) -> bool:
        return self.id is not None


@dataclass(frozen=True)
class SyncRunView:
    """One sync run as the dashboard, the API and the CLI show it."""

    id: int
    integration_id: int
    organization_id: int
    trigger: str
    """'schedule', 'manual' (Sync now) or 'api'."""
    outcome: str
    """'running', 'succeeded', 'partial' (some claims refused) or 'failed'."""
    started_at: datetime
    finished_at: datetime | None = None
    records_sent: int = 0
    """Claims the target confirmed in this run (now marked exported)."""
    records_failed: int = 0
    """Claims the target refused one by one; each carries its reason."""
    error_summary: str | None = None
    credential_version: int | None = None
    actor_name: str | None = None
    """Who pressed Sync now; None for the schedule and the API."""

    @property
    def running(self) -> bool:
        return self.outcome == "running"


@dataclass(frozen=True)
class ClaimView:
    """One expense claim on the read-only claims page, with its export state."""

    id: int
    claimant: str
    claim_date: date
    amount: Decimal
    currency: str
    description: str
    account_code: str
    status: str
    """'approved' (waiting), 'sending' (sent, confirmation pending) or 'exported'."""
    export_state: str
    """The status in words: 'Waiting', 'Refused', 'Awaiting confirmation', 'Exported'."""
    category: str = "other"
    vat_amount: Decimal | None = None
    cost_centre: str | None = None
    project: str | None = None
    external_reference: str | None = None
    exported_at: datetime | None = None
    exported_to: str | None = None
    """The display name of the integration the claim went to."""
    last_error: str | None = None
    """Why the target refused the claim; it is not sent again until this is cleared."""
