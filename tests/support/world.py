"""The one seeded world every test package builds on: two organizations (Blindeforbundet and
HLF), their people, and the services over a fresh database.

``build_world`` makes the services and seeds them; a package that needs more (scripted
adapters, a sync service, an API server) subclasses ``SeededWorld`` with its own fields and
passes them as ``extra``. Everyone's password is ``PASSWORD``, hashed once per process:
argon2-hashing three passwords per test would cost more than most tests.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from accountlink_ui.db import session_scope
from accountlink_ui.demo_drafts import save_demo_posting
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.models import Role, User
from accountlink_ui.services.auth_service import hash_password
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Person:
    key: str
    """The world's attribute for this person (``world.bf_admin``)."""
    email: str
    name: str


BF_ADMIN = Person("bf_admin", "kari@bf.test", "Kari Nordmann")
BF_MEMBER = Person("bf_member", "ola@bf.test", "Ola Hansen")
HLF_ADMIN = Person("hlf_admin", "hanne@hlf.test", "Hanne Berg")
ADMIN_EMAIL = BF_ADMIN.email
OTHER_EMAIL = BF_MEMBER.email


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


W = TypeVar("W", bound="SeededWorld")


@dataclass(repr=False)
class SeededWorld:
    """Blindeforbundet (``bf_org``: Kari admin, Ola member) and HLF (``hlf_org``: Hanne admin)."""

    services: Services
    settings: Settings
    bf_org: int
    hlf_org: int
    bf_admin: Actor
    bf_member: Actor
    hlf_admin: Actor

    def extend(self, world: type[W], **extra: Any) -> W:
        """This world as a subclass with ``extra`` fields, for fixtures that can fill those
        fields only after seeding (a server started over the seeded services)."""
        seeded = {f.name: getattr(self, f.name) for f in fields(SeededWorld)}
        return world(**seeded, **extra)

    def admin_of(self, organization_id: int) -> Actor:
        return self.bf_admin if organization_id == self.bf_org else self.hlf_admin

    def add_person(self, person: Person, *memberships: tuple[int, Role]) -> Actor:
        """One more person, with a role in each of the given organizations."""
        actor = add_user(self.services, person)
        for organization_id, role in memberships:
            self.services.auth.add_membership(
                organization_id=organization_id, user_id=actor.user_id, role=role
            )
        return actor

    def save_integration(
        self,
        draft: ConnectionDraft,
        organization_id: int | None = None,
        actor: Actor | None = None,
        *,
        posting: bool = False,
    ) -> int:
        """Set an integration up the way the wizard does: test, then save with the proof;
        with ``posting``, also save the demo accountant's posting settings. Returns its id."""
        organization_id = organization_id or self.bf_org
        actor = actor or self.admin_of(organization_id)
        integrations = self.services.integrations
        outcome = integrations.test_connection(actor, organization_id, draft)
        assert outcome.result.ok and outcome.proof, outcome.result.message
        view = integrations.create_integration(actor, organization_id, draft, outcome.proof)
        assert view.id is not None
        if posting:
            save_demo_posting(self.services.postings, actor, view.id)
        return view.id

    def edit(
        self, integration_id: int, draft: ConnectionDraft, organization_id: int | None = None
    ) -> None:
        """Change an integration as its admin would: test the new values, save with the proof."""
        organization_id = organization_id or self.bf_org
        actor = self.admin_of(organization_id)
        integrations = self.services.integrations
        outcome = integrations.test_connection(
            actor, organization_id, draft, integration_id=integration_id
        )
        assert outcome.proof, outcome.result.message
        integrations.update_integration(actor, integration_id, draft, outcome.proof)


def add_user(services: Services, person: Person) -> Actor:
    """Insert a user with the shared password hash (nobody pays for argon2 here)."""
    with session_scope(services.engine) as session:
        user = User(email=person.email, name=person.name, password_hash=password_hash())
        session.add(user)
        session.flush()
        assert user.id is not None
        return Actor(user_id=user.id, email=person.email, name=person.name)


def build_world(
    settings: Settings,
    *,
    adapters: AdapterRegistry | None = None,
    world: type[W] = SeededWorld,  # type: ignore[assignment]
    services: Services | None = None,
    **extra: Any,
) -> W:
    """Services over ``settings`` (with ``adapters`` when given), seeded; ``extra`` fills the
    fields a ``SeededWorld`` subclass adds."""
    services = services or build_services(settings, adapters=adapters)
    auth = services.auth
    bf = auth.create_organization(name="Blindeforbundet", slug="blindeforbundet")
    hlf = auth.create_organization(name="HLF", slug="hlf")
    people: dict[str, Actor] = {}
    for person, organization_id, role in (
        (BF_ADMIN, bf, Role.ADMIN),
        (BF_MEMBER, bf, Role.MEMBER),
        (HLF_ADMIN, hlf, Role.ADMIN),
    ):
        actor = add_user(services, person)
        auth.add_membership(organization_id=organization_id, user_id=actor.user_id, role=role)
        people[person.key] = actor
    return world(services=services, settings=settings, bf_org=bf, hlf_org=hlf, **people, **extra)


def world_settings(database_url: str, tmp_path: Path, **overrides: object) -> Settings:
    """Settings for one test: its database, a data dir and master key file of its own."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        master_key_file=tmp_path / "keys.json",
        **overrides,  # type: ignore[arg-type]
    )
