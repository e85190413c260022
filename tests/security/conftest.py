"""A database with one organization and two people, and services over it, for session tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from accountlink_ui.models import Role
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.settings import Settings

PASSWORD = "correct horse battery"
ADMIN_EMAIL = "kari@bf.test"
OTHER_EMAIL = "ola@bf.test"


class Clock:
    """A clock the test moves by hand: idle and absolute expiry without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class SessionWorld:
    services: Services
    settings: Settings


@pytest.fixture
def session_world(database_url: str, tmp_path: Path) -> Iterator[SessionWorld]:
    settings = Settings(
        database_url=database_url, data_dir=tmp_path, master_key_file=tmp_path / "keys.json"
    )
    services = build_services(settings)
    auth = services.auth
    org = auth.create_organization(name="Blindeforbundet", slug="blindeforbundet")
    for email, role in ((ADMIN_EMAIL, Role.ADMIN), (OTHER_EMAIL, Role.MEMBER)):
        actor = auth.create_user(email=email, name=email.split("@")[0], password=PASSWORD)
        auth.add_membership(organization_id=org, user_id=actor.user_id, role=role)
    yield SessionWorld(services, settings)
    services.engine.dispose()
