"""Turning service views into display text (dates, labels). Presentation only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from accountlink_ui.integrations.registry import get_type
from accountlink_ui.ui.theme import STATUS_LABELS
from accountlink_ui.views import IntegrationView, SyncRunView


def when(moment: datetime | None, *, now: datetime | None = None) -> str:
    """'25 Nov 2026 14:03 UTC (3 min ago)': exact for audits, relative for a glance."""
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    exact = moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return exact
    if seconds < 60:
        relative = "just now"
    elif seconds < 3600:
        relative = f"{seconds // 60} min ago"
    elif seconds < 86400:
        relative = f"{seconds // 3600} h ago"
    else:
        relative = f"{seconds // 86400} d ago"
    return f"{exact} ({relative})"


@dataclass
class IntegrationCard:
    """Everything the dashboard shows for one type; all text, nothing secret."""

    type_key: str
    type_label: str
    type_summary: str
    status: str
    status_label: str
    integration_id: int
    display_name: str
    environment: str
    auth_flow: str
    credentials: str
    last_test: str
    last_test_ok: bool
    has_test: bool
    last_sync: str
    records_synced: str
    recent_errors: list[dict[str, str]]
    configured: bool
    enabled: bool
    sync_interval: str
    next_sync: str


def card(view: IntegrationView, next_run: datetime | None = None) -> IntegrationCard:
    integration_type = get_type(view.type_key)
    environment = next(
        (env.label for env in integration_type.environments if env.key == view.environment), ""
    )
    flow = integration_type.flow(view.auth_flow).label if view.auth_flow else ""
    credentials = ""
    if view.credentials_set_at:
        credentials = f"Version {view.credential_version}, set {when(view.credentials_set_at)}"
        if view.credentials_set_by:
            credentials += f" by {view.credentials_set_by}"
    last_test = ""
    if view.last_test_at:
        outcome = "Passed" if view.last_test_ok else "Failed"
        last_test = f"{outcome} {when(view.last_test_at)}"
    return IntegrationCard(
        type_key=view.type_key,
        type_label=view.type_label,
        type_summary=view.type_summary,
        status=view.status,
        status_label=STATUS_LABELS.get(view.status, view.status),
        integration_id=view.id or 0,
        display_name=view.display_name,
        environment=environment,
        auth_flow=flow,
        credentials=credentials,
        last_test=last_test,
        last_test_ok=bool(view.last_test_ok),
        has_test=view.last_test_at is not None,
        last_sync=when(view.last_sync_at) or "Never",
        records_synced=f"{view.total_records_synced:,}".replace(",", " "),
        recent_errors=[{"at": when(e.at), "message": e.message} for e in view.recent_errors],
        configured=view.configured,
        enabled=view.status != "disabled",
        sync_interval=str(view.sync_interval_minutes),
        next_sync=next_sync_text(view, next_run),
    )


def next_sync_text(view: IntegrationView, next_run: datetime | None) -> str:
    if view.status == "disabled":
        return "Paused while disabled"
    if next_run is None:
        return "Being scheduled…"
    return next_run.astimezone(UTC).strftime("%d %b %Y %H:%M:%S UTC")


def sync_summary(run: SyncRunView | None) -> str:
    """One line for the notice after Sync now."""
    if run is None:
        return "Nothing was synced."
    if run.outcome == "succeeded":
        if run.records_sent:
            return f"Sync finished: {run.records_sent} claims sent."
        return "Sync finished: nothing new to send."
    summary = run.error_summary or ""
    return (
        f"Sync {run.outcome}: {run.records_sent} sent, {run.records_failed} failed. {summary}"
    ).strip()
