"""Alert emails in the recipient's language and the organization's time zone."""

from __future__ import annotations

from accountlink_ui.emails import render

WEBHOOK = {"url": "https://hooks.example/al", "since": "2026-03-29T00:30:00+00:00", "failures": 12}


def test_english_in_utc_by_default() -> None:
    subject, body = render("webhook.disabled", WEBHOOK)
    assert subject == "AccountLink: a webhook endpoint was disabled"
    assert "has failed since Mar 29, 2026, 12:30:00\u202fAM (12 attempts in a row)" in body


def test_norwegian_in_oslo_time_across_the_spring_change() -> None:
    """00:30 UTC on 29 March 2026 is 01:30 in Oslo (CET); after 01:00 UTC it is CEST (+2)."""
    subject, body = render("webhook.disabled", WEBHOOK, locale="nb", tz="Europe/Oslo")
    assert subject == "AccountLink: et webhook-endepunkt ble deaktivert"
    assert "har feilet siden 29. mars 2026, 01:30:00 (12 forsøk på rad)" in body
    later = {**WEBHOOK, "since": "2026-03-29T01:30:00+00:00"}
    assert (
        "29. mars 2026, 03:30:00"
        in render("webhook.disabled", later, locale="nb", tz="Europe/Oslo")[1]
    )


def test_defaults_and_an_unknown_template_still_read_well() -> None:
    subject, body = render("integration.recovered", {}, locale="nb")
    assert subject == "AccountLink: En integrasjon virker igjen"
    assert "i organisasjonen din virker igjen" in body
    subject, body = render("no.such.template", {"a": 1})
    assert subject == "AccountLink notice: no.such.template"
    assert body == "AccountLink notice no.such.template: {'a': 1}\n"
