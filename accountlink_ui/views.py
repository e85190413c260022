"""Public views: what pages, the API and the CLI may show. No secret fields exist here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Actor:
    """The signed-in person on whose behalf a service call runs."""

    user_id: int
    email: str
    name: str


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
