"""Dates, times, relative times and amounts for both languages, around Europe/Oslo's
daylight-saving changes (2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00), and the
order in which a page's language is chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accountlink_ui.ui.format import Reader, amount, exact, next_sync_text, number, relative, when
from accountlink_ui.ui.states.locale import preferred_locale
from accountlink_ui.views import IntegrationView

NB = Reader("nb", "Europe/Oslo")
EN = Reader("en", "Europe/Oslo")


@pytest.mark.parametrize(
    ("moment", "reader", "shown"),
    [
        # Spring: 00:59 UTC is 01:59 CET; one hour later the clock has jumped to 03:59 CEST.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), NB, "29. mars 2026 kl. 01:59 CET"),
        (datetime(2026, 3, 29, 1, 59, tzinfo=UTC), NB, "29. mars 2026 kl. 03:59 CEST"),
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), EN, "29 Mar 2026 01:59 CET"),
        (datetime(2026, 3, 29, 1, 59, tzinfo=UTC), EN, "29 Mar 2026 03:59 CEST"),
        # Autumn: 02:30 happens twice; the zone name tells the two apart.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), NB, "25. okt. 2026 kl. 02:30 CEST"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), NB, "25. okt. 2026 kl. 02:30 CET"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), EN, "25 Oct 2026 02:30 CEST"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), EN, "25 Oct 2026 02:30 CET"),
        # A naive datetime is UTC (how SQLite hands them back).
        (datetime(2026, 10, 25, 1, 30), NB, "25. okt. 2026 kl. 02:30 CET"),
    ],
    ids=lambda value: str(value),
)
def test_exact_times_follow_the_organizations_zone_across_dst(
    moment: datetime, reader: Reader, shown: str
) -> None:
    assert exact(moment, reader) == shown


def test_utc_stays_utc() -> None:
    assert exact(datetime(2026, 3, 29, 1, 59, tzinfo=UTC), Reader("en")) == "29 Mar 2026 01:59 UTC"


@pytest.mark.parametrize(
    ("reader", "ago", "ahead"),
    [(NB, "for 5 minutter siden", "om 3 timer"), (EN, "5 minutes ago", "in 3 hours")],
    ids=["nb", "en"],
)
def test_relative_times_across_the_spring_change(reader: Reader, ago: str, ahead: str) -> None:
    """Five real minutes across the jump are five minutes, not an hour and five."""
    now = datetime(2026, 3, 29, 1, 2, tzinfo=UTC)  # 03:02 CEST, just after the jump
    assert relative(now - timedelta(minutes=5), reader, now=now) == ago
    assert relative(now + timedelta(hours=3), reader, now=now) == ahead


def test_when_combines_exact_and_relative_and_drops_relative_for_the_future() -> None:
    now = datetime(2026, 10, 25, 1, 35, tzinfo=UTC)
    past = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert when(past, NB, now=now) == "25. okt. 2026 kl. 02:30 CET (for 5 minutter siden)"
    assert when(past, EN, now=now) == "25 Oct 2026 02:30 CET (5 minutes ago)"
    assert when(now + timedelta(hours=1), NB, now=now) == "25. okt. 2026 kl. 03:35 CET"
    assert when(None, NB) == ""


@pytest.mark.parametrize(
    ("reader", "kroner", "count"),
    [(NB, "kr\u00a01\u00a0234,50", "1\u00a0234\u00a0567"), (EN, "NOK\u00a01,234.50", "1,234,567")],
    ids=["nb", "en"],
)
def test_amounts_and_numbers(reader: Reader, kroner: str, count: str) -> None:
    assert amount(Decimal("1234.5"), "NOK", reader) == kroner
    assert number(1234567, reader) == count


def _view(status: str) -> IntegrationView:
    return IntegrationView(
        organization_id=1,
        type_key="xledger",
        type_label="Xledger",
        type_summary="",
        status=status,
    )


def test_the_next_scheduled_sync_is_shown_in_the_organizations_time() -> None:
    """The scheduler's next run is UTC; the page shows the Oslo wall clock."""
    run = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)
    assert next_sync_text(_view("active"), run, NB) == "25. okt. 2026 kl. 02:15 CET"
    assert next_sync_text(_view("active"), None, NB) == "Planlegges…"
    assert next_sync_text(_view("disabled"), run, EN) == "Paused while disabled"


@pytest.mark.parametrize(
    ("saved", "accept_language", "organization", "chosen"),
    [
        ("en", "nb-NO,nb;q=0.9", "nb", "en"),  # the person's choice wins
        (None, "nb-NO,nb;q=0.9,en;q=0.5", "en", "nb"),  # then the browser
        (None, "no", "en", "nb"),  # 'no' means bokmål here
        (None, "de-DE,fr;q=0.8", "nb", "nb"),  # then the organization
        (None, "", None, "en"),  # then English
        ("xx", None, "zz", "en"),  # stored nonsense is ignored
    ],
    ids=["saved", "browser", "browser-no", "organization", "default", "invalid"],
)
def test_the_language_is_chosen_in_order(
    saved: str | None, accept_language: str | None, organization: str | None, chosen: str
) -> None:
    assert preferred_locale(saved, accept_language, organization) == chosen
