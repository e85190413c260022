"""Turning service views into display text in the reader's language and the organization's
time zone (dates, relative times, amounts, labels). Presentation only; Babel does the
locale rules (month names, digit grouping, "for 5 minutter siden").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal

from accountlink_ui.i18n import Message, render, translate
from accountlink_ui.i18n.systems import SystemTexts
from accountlink_ui.integrations.registry import get_type
from accountlink_ui.ui.theme import STATUS_LABELS
from accountlink_ui.views import IntegrationView, SyncRunView

DATETIME_PATTERNS = {"en": "d MMM y HH:mm", "nb": "d. MMM y 'kl.' HH:mm"}
"""Exact times, 24-hour in both languages (accountants compare them with ledger logs)."""
AMOUNT_PATTERN = "¤\u00a0#,##0.00"
"""'kr 1 234,50' / 'NOK 1,234.50': the currency before the amount, as Norwegian invoices
write it (Babel's CLDR data for nb puts it after)."""


@dataclass(frozen=True)
class Reader:
    """Who the text is for: their language and their organization's time zone."""

    locale: str = "en"
    time_zone: str = "UTC"

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.time_zone)

    def t(self, key: str, **params: Any) -> str:
        return translate(self.locale, key, params, tz=self.time_zone)

    def say(self, message: Message) -> str:
        """What a service said (a message code), in this reader's language and time zone."""
        return render(message, self.locale, tz=self.time_zone)

    def system(self, type_key: str) -> SystemTexts:
        """What a declaration (``integrations/<system>.py``) says, in this reader's language."""
        return SystemTexts(self.locale, get_type(type_key))


def exact(moment: datetime, reader: Reader) -> str:
    """'29 Mar 2026 03:30 CEST' / '29. mars 2026 kl. 03:30 CEST' in the reader's zone."""
    local = _aware(moment).astimezone(reader.zone)
    pattern = DATETIME_PATTERNS.get(reader.locale, DATETIME_PATTERNS["en"])
    return f"{format_datetime(local, pattern, tzinfo=reader.zone, locale=reader.locale)} {local.tzname()}"


def relative(moment: datetime, reader: Reader, *, now: datetime) -> str:
    """'5 minutes ago' / 'for 5 minutter siden'; 'in 3 hours' / 'om 3 timer'."""
    return format_timedelta(
        _aware(moment) - now, add_direction=True, threshold=0.9, locale=reader.locale
    )


def when(moment: datetime | None, reader: Reader, *, now: datetime | None = None) -> str:
    """Exact for audits, relative for a glance: '25 Nov 2026 14:03 CET (3 minutes ago)'."""
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    text = exact(moment, reader)
    if _aware(moment) > now:
        return text
    return f"{text} ({relative(moment, reader, now=now)})"


def number(value: int | Decimal, reader: Reader) -> str:
    """'1 234 567' in nb, '1,234,567' in en."""
    return format_decimal(value, locale=reader.locale)


def amount(value: Decimal, currency: str, reader: Reader) -> str:
    """'kr 1 234,50' / 'NOK 1,234.50'."""
    return format_currency(value, currency, format=AMOUNT_PATTERN, locale=reader.locale)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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


def credentials_text(view: IntegrationView, reader: Reader) -> str:
    """'Version 2, set 25 Nov 2026 14:03 CET (3 minutes ago) by Kari Nordmann'."""
    if not view.credentials_set_at:
        return ""
    set_at = when(view.credentials_set_at, reader)
    if view.credentials_set_by:
        return reader.t(
            "credential_form.version_set_by",
            version=str(view.credential_version),
            at=set_at,
            who=view.credentials_set_by,
        )
    return reader.t("credential_form.version_set", version=str(view.credential_version), at=set_at)


def card(view: IntegrationView, next_run: datetime | None, reader: Reader) -> IntegrationCard:
    integration_type = get_type(view.type_key)
    texts = reader.system(view.type_key)
    environment = next(
        (
            texts.environment(e)[0]
            for e in integration_type.environments
            if e.key == view.environment
        ),
        "",
    )
    flow = texts.flow(integration_type.flow(view.auth_flow))[0] if view.auth_flow else ""
    last_test = ""
    if view.last_test_at:
        key = "dashboard.test_passed_at" if view.last_test_ok else "dashboard.test_failed_at"
        last_test = reader.t(key, at=when(view.last_test_at, reader))
    return IntegrationCard(
        type_key=view.type_key,
        type_label=view.type_label,
        type_summary=texts.summary,
        status=view.status,
        status_label=reader.t(STATUS_LABELS.get(view.status, "status.unknown")),
        integration_id=view.id or 0,
        display_name=view.display_name,
        environment=environment,
        auth_flow=flow,
        credentials=credentials_text(view, reader),
        last_test=last_test,
        last_test_ok=bool(view.last_test_ok),
        has_test=view.last_test_at is not None,
        last_sync=when(view.last_sync_at, reader) or reader.t("dashboard.never"),
        records_synced=number(view.total_records_synced, reader),
        recent_errors=[
            {"at": when(e.at, reader), "message": e.message} for e in view.recent_errors
        ],
        configured=view.configured,
        enabled=view.status != "disabled",
        sync_interval=str(view.sync_interval_minutes),
        next_sync=next_sync_text(view, next_run, reader),
    )


def next_sync_text(view: IntegrationView, next_run: datetime | None, reader: Reader) -> str:
    """In the organization's time zone (the scheduler keeps UTC; only the display moves)."""
    if view.status == "disabled":
        return reader.t("dashboard.next_sync.paused")
    if next_run is None:
        return reader.t("dashboard.next_sync.scheduling")
    return exact(next_run, reader)


def sync_summary(run: SyncRunView | None, reader: Reader) -> str:
    """One line for the notice after Sync now."""
    if run is None:
        return reader.t("sync.summary.nothing")
    if run.outcome == "succeeded":
        if run.records_sent:
            return reader.t("sync.summary.sent", count=run.records_sent)
        return reader.t("sync.summary.nothing_new")
    return reader.t(
        "sync.summary.partial" if run.outcome == "partial" else "sync.summary.failed",
        sent=run.records_sent,
        failed=run.records_failed,
        summary=run.error_summary or "",
    ).strip()
