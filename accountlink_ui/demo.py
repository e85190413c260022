"""The demo organizations and people that `make run` seeds (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from accountlink_ui import integrations_repository
from accountlink_ui.db import session_scope
from accountlink_ui.demo_claims import seed_demo_claims
from accountlink_ui.models import ApiToken, Role
from accountlink_ui.sandbox import demo_credentials
from accountlink_ui.services.api_token_service import SHOWN_PREFIX_LENGTH, token_hash
from accountlink_ui.services.locale_preferences import LocalePreferences
from accountlink_ui.services.outbox import EVENT_TYPES
from accountlink_ui.services.wiring import Services
from accountlink_ui.views import Actor

DEMO_PASSWORD = "accountlink-demo"
DEMO_API_TOKEN = "alk_DEMO-ONLY-blindeforbundet-claims-intake"
"""DEMO ONLY, printed in the README: Blindeforbundet's API token for the curl examples.
Seeded only when ACCOUNTLINK_DEMO is on (``make run``), never otherwise."""
DEMO_API_TOKEN_ORGANIZATION = "blindeforbundet"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    organization_slug: str
    role: Role


DEMO_ORGANIZATIONS = (("blindeforbundet", "Blindeforbundet"), ("hlf", "HLF"))
DEMO_LOCALE, DEMO_TIME_ZONE = "nb", "Europe/Oslo"
"""Both demo organizations are Norwegian (migration 0012 sets the same on older databases)."""
DEMO_USERS = (
    DemoUser("kari@blindeforbundet.example", "Kari Nordmann", "blindeforbundet", Role.ADMIN),
    DemoUser("ola@blindeforbundet.example", "Ola Hansen", "blindeforbundet", Role.MEMBER),
    DemoUser("hanne@hlf.example", "Hanne Berg", "hlf", Role.ADMIN),
)


def seed_demo(services: Services) -> list[str]:
    """Create what is missing; never touch what exists. Returns what was created."""
    created: list[str] = []
    ids: dict[str, int] = {}
    for slug, name in DEMO_ORGANIZATIONS:
        with session_scope(services.engine) as session:
            existing = integrations_repository.organization_by_slug(session, slug)
        if existing is not None and existing.id is not None:
            ids[slug] = existing.id
            continue
        ids[slug] = services.auth.create_organization(name=name, slug=slug)
        LocalePreferences(services.engine).set_organization_defaults(
            ids[slug], locale=DEMO_LOCALE, time_zone=DEMO_TIME_ZONE
        )
        created.append(f"organization {name}")
    for person in DEMO_USERS:
        with session_scope(services.engine) as session:
            user = integrations_repository.user_by_email(session, person.email)
            user_id = user.id if user else None
        if user_id is None:
            user_id = services.auth.create_user(
                email=person.email, name=person.name, password=DEMO_PASSWORD
            ).user_id
            created.append(f"user {person.email}")
        with session_scope(services.engine) as session:
            has_membership = integrations_repository.membership(
                session, ids[person.organization_slug], user_id
            )
        if has_membership is None:
            services.auth.add_membership(
                organization_id=ids[person.organization_slug], user_id=user_id, role=person.role
            )
    for slug, organization_id in ids.items():
        added = seed_demo_claims(services.engine, organization_id)
        if added:
            created.append(f"{added} approved expense claims for {slug}")
    if seed_demo_webhook(services, ids[DEMO_ORGANIZATIONS[0][0]]):
        created.append("a webhook endpoint pointing at the sandbox's receiver")
    if services.settings.demo and _seed_demo_token(services, ids[DEMO_API_TOKEN_ORGANIZATION]):
        created.append("the demo API token (demo only)")
    return created


def seed_demo_webhook(services: Services, organization_id: int) -> bool:
    """One endpoint for the first organization, at the sandbox's receiver (which knows its
    secret and shows each delivery verified at /sandbox/_control/webhooks). Only when the
    app talks to a sandbox; never a second one."""
    sandbox = services.settings.sandbox_url
    if not sandbox:
        return False
    admin = next(p for p in DEMO_USERS if p.role == Role.ADMIN)
    with session_scope(services.engine) as session:
        user = integrations_repository.user_by_email(session, admin.email)
        if user is None or user.id is None:
            return False
        actor = Actor(user_id=user.id, email=user.email, name=user.name)
    if services.webhooks.list(actor, organization_id):
        return False
    services.webhooks.add(
        actor,
        organization_id,
        f"{sandbox.rstrip('/')}/webhooks/receiver",
        list(EVENT_TYPES),
        "Demo: the sandbox's webhook receiver",
        secret=demo_credentials.DEMO_WEBHOOK_SECRET,
    )
    return True


def _seed_demo_token(services: Services, organization_id: int) -> bool:
    """The fixed demo token, owned by the organization's first demo admin; False if present."""
    digest = token_hash(DEMO_API_TOKEN)
    with session_scope(services.engine) as session:
        if session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first():
            return False
        admin = next(
            person
            for person in DEMO_USERS
            if person.organization_slug == DEMO_API_TOKEN_ORGANIZATION and person.role == Role.ADMIN
        )
        user = integrations_repository.user_by_email(session, admin.email)
        assert user is not None and user.id is not None
        session.add(
            ApiToken(
                organization_id=organization_id,
                name="Demo token (demo only, from the README)",
                token_hash=digest,
                prefix=DEMO_API_TOKEN[:SHOWN_PREFIX_LENGTH],
                created_by_id=user.id,
            )
        )
    return True
