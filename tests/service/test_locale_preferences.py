"""The stored language choices: a person's own, their organization's default and zone."""

from __future__ import annotations

import pytest

from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.locale_preferences import (
    LocalePreferences,
    UnsupportedLocale,
    valid_time_zone,
)
from tests.support.scripted_world import World


def test_a_member_reads_their_choice_and_the_organizations_defaults(world: World) -> None:
    preferences = LocalePreferences(world.services.engine)
    preferences.set_organization_defaults(world.bf_org, locale="nb", time_zone="Europe/Oslo")
    before = preferences.read(world.bf_admin, world.bf_org)
    assert (before.user_locale, before.organization_locale, before.time_zone) == (
        None,
        "nb",
        "Europe/Oslo",
    )
    preferences.save_user_locale(world.bf_admin, "en")
    assert preferences.read(world.bf_admin, world.bf_org).user_locale == "en"
    # Another person's choice is their own.
    assert preferences.read(world.bf_member, world.bf_org).user_locale is None


def test_another_organizations_defaults_are_not_revealed(world: World) -> None:
    preferences = LocalePreferences(world.services.engine)
    preferences.set_organization_defaults(world.hlf_org, locale="nb", time_zone="Europe/Oslo")
    read = preferences.read(world.bf_admin, world.hlf_org)
    assert (read.organization_locale, read.time_zone) == (None, "UTC")


def test_new_organizations_default_to_english_and_utc(world: World) -> None:
    read = LocalePreferences(world.services.engine).read(world.hlf_admin, world.hlf_org)
    assert (read.organization_locale, read.time_zone) == ("en", "UTC")


def test_bad_values_are_refused_with_a_message_naming_them(world: World) -> None:
    preferences = LocalePreferences(world.services.engine)
    with pytest.raises(UnsupportedLocale, match="'de' is not offered; choose one of en, nb"):
        preferences.save_user_locale(world.bf_admin, "de")
    with pytest.raises(ServiceError, match="'Mars/Olympus' is not a known IANA zone"):
        preferences.set_organization_defaults(world.bf_org, locale="nb", time_zone="Mars/Olympus")
    assert preferences.read(world.bf_admin, world.bf_org).user_locale is None


def test_an_unknown_stored_zone_falls_back_to_utc() -> None:
    assert valid_time_zone("Europe/Oslo") == "Europe/Oslo"
    assert valid_time_zone("Nowhere/Special") == "UTC"
