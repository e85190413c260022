"""Approved expense claims for the demo, and bulk claims for tests and benchmarks.

The demo claims look like what a Norwegian organization's accountants receive:
train and plane tickets, taxis, hotel nights, meals with partners, course
fees and mileage, in NOK, on the NS 4102 accounts such claims are booked to.
Seeding is deterministic (same seed, same claims, same idempotency keys), which
is what makes it idempotent: a second call finds every key already there.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import col, select

from accountlink_ui.db import session_scope
from accountlink_ui.models import ClaimStatus, ExpenseClaim, utcnow

DEMO_CLAIM_COUNT = 36
_KEY_NAMESPACE = uuid.UUID("6f1c2b9e-5d4a-4c3b-8a7e-0d9f1e2c3b4a")


@dataclass(frozen=True)
class ClaimKind:
    descriptions: tuple[str, ...]
    category: str
    """One of ``accounting.posting_settings.CATEGORIES``: the posting settings map it to an
    account (the NS 4102 account in the comments below by default)."""
    low: int
    high: int
    """Amount range in whole NOK."""
    vat_rate: Decimal | None = None
    """Norwegian VAT included in the receipt: 12 % transport and hotels, 25 % the rest."""


CLAIM_KINDS: tuple[ClaimKind, ...] = (
    ClaimKind(
        (
            "Togbillett Oslo S-Bergen, regionmøte",
            "Togbillett Trondheim-Bodø, medlemsbesøk",
            "Flybillett Oslo-Tromsø, styremøte",
            "Flybillett Bergen-Stavanger, fagdag",
        ),
        "travel",  # 7140 Reisekostnad, ikke oppgavepliktig
        450,
        3200,
        Decimal("0.12"),
    ),
    ClaimKind(
        (
            "Taxi Gardermoen-Oslo sentrum",
            "Taxi hotell-konferansesenter",
            "Flytoget tur/retur Oslo lufthavn",
        ),
        "travel",
        190,
        1150,
        Decimal("0.12"),
    ),
    ClaimKind(
        (
            "Hotell Scandic Bergen City, 2 netter",
            "Hotell Thon Trondheim, 1 natt",
            "Hotell Clarion Tromsø, 3 netter",
        ),
        "accommodation",  # 7140
        1290,
        5400,
        Decimal("0.12"),
    ),
    ClaimKind(
        (
            "Diett over 12 timer, reise til Kristiansand",
            "Diett, tjenestereise Ålesund (2 døgn)",
        ),
        "per_diem",  # 7150 Diettkostnad
        520,
        1900,
    ),
    ClaimKind(
        (
            "Middag med samarbeidspartnere, Oslo",
            "Lunsjmøte med frivillige, Hamar",
        ),
        "meals",  # 7350 Representasjon
        380,
        2600,
        Decimal("0.25"),
    ),
    ClaimKind(
        (
            "Kursavgift: Regnskap for ideelle organisasjoner",
            "Kursavgift: Universell utforming i praksis",
            "Konferanseavgift: Frivillighetskonferansen",
        ),
        "courses",  # 6860 Møte, kurs, oppdatering o.l.
        1500,
        8900,
    ),
    ClaimKind(
        (
            "Bilgodtgjørelse 142 km, medlemsmøte Gjøvik",
            "Bilgodtgjørelse 88 km, besøk lokallag Drammen",
        ),
        "mileage",  # 7100 Bilgodtgjørelse, oppgavepliktig
        310,
        1250,
    ),
    ClaimKind(
        (
            "Kontorrekvisita: permer og skriveblokker",
            "Blekkpatroner til skriver, lokallagskontoret",
        ),
        "office_supplies",  # 6800 Kontorrekvisita
        120,
        900,
        Decimal("0.25"),
    ),
)

COST_CENTRES = ("100", "200", "300")
"""Avdeling: Administrasjon, Medlemsservice, Fagavdeling (the sandboxes' GL objects)."""
PROJECTS = ("P-2026-01", "P-2026-02", None, None)

CLAIMANTS: tuple[str, ...] = (
    "Kari Nordmann",
    "Ola Hansen",
    "Ingrid Johansen",
    "Lars Olsen",
    "Marit Larsen",
    "Henrik Andersen",
    "Sofie Pedersen",
    "Magnus Nilsen",
    "Nora Kristiansen",
    "Eirik Berg",
    "Sigrid Haugen",
    "Anders Hagen",
)


def idempotency_key(organization_id: int, claim_uuid: uuid.UUID) -> str:
    """``AL-{org}-{16 hex}``: stable for the claim's life, unique across organizations."""
    return f"AL-{organization_id}-{claim_uuid.hex[:16]}"


def seed_demo_claims(
    engine: Engine,
    organization_id: int,
    *,
    count: int = DEMO_CLAIM_COUNT,
    seed: int = 2025,
    today: date | None = None,
) -> int:
    """Create the organization's demo claims that are missing; returns how many were created.

    Claims are dated over the last six weeks before ``today``. Keys derive from the
    organization, the seed and the position, so a second call creates nothing.
    """
    rng = random.Random(f"{seed}:{organization_id}")
    today = today or utcnow().date()
    rows = []
    for index in range(count):
        kind = rng.choice(CLAIM_KINDS)
        claim_uuid = uuid.uuid5(_KEY_NAMESPACE, f"{organization_id}:{seed}:{index}")
        rows.append(
            _row(
                organization_id,
                idempotency_key(organization_id, claim_uuid),
                claimant=rng.choice(CLAIMANTS),
                claim_date=today - timedelta(days=rng.randint(1, 42)),
                amount=_amount(rng, kind),
                description=rng.choice(kind.descriptions),
                kind=kind,
                position=index,
            )
        )
    keys = [row["idempotency_key"] for row in rows]
    with session_scope(engine) as session:
        existing = set(
            session.exec(
                select(ExpenseClaim.idempotency_key).where(
                    col(ExpenseClaim.idempotency_key).in_(keys)
                )
            ).all()
        )
        missing = [row for row in rows if row["idempotency_key"] not in existing]
        if missing:
            session.execute(insert(ExpenseClaim), missing)
    return len(missing)


def make_claims(
    engine: Engine,
    organization_id: int,
    n: int,
    *,
    account_code: str | None = None,
    first_date: date = date(2025, 1, 2),
    seed: int | None = None,
) -> list[str]:
    """Insert ``n`` fresh approved claims (tests, benchmarks); returns their idempotency keys.

    Dates rise with the position (one day per 50 claims), so "oldest first" is the
    insertion order. ``account_code`` overrides the category's account, e.g. to make a
    target refuse the claims.
    """
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for index in range(n):
        kind = CLAIM_KINDS[index % len(CLAIM_KINDS)]
        claim_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
        rows.append(
            _row(
                organization_id,
                idempotency_key(organization_id, claim_uuid),
                claimant=CLAIMANTS[index % len(CLAIMANTS)],
                claim_date=first_date + timedelta(days=index // 50),
                amount=_amount(rng, kind),
                description=kind.descriptions[index % len(kind.descriptions)],
                kind=kind,
                position=index,
                account_code=account_code or "",
            )
        )
    for start in range(0, len(rows), 1000):
        with session_scope(engine) as session:
            session.execute(insert(ExpenseClaim), rows[start : start + 1000])
    return [row["idempotency_key"] for row in rows]


def _amount(rng: random.Random, kind: ClaimKind) -> Decimal:
    whole = rng.randint(kind.low, kind.high)
    cents = rng.choice((0, 0, 0, 50, rng.randint(1, 99)))
    return Decimal(whole) + Decimal(cents) / 100


def _row(
    organization_id: int,
    key: str,
    *,
    claimant: str,
    claim_date: date,
    amount: Decimal,
    description: str,
    kind: ClaimKind,
    position: int,
    account_code: str = "",
) -> dict[str, object]:
    gross = amount.quantize(Decimal("0.01"))
    vat = (
        None
        if kind.vat_rate is None
        else (gross * kind.vat_rate / (1 + kind.vat_rate)).quantize(Decimal("0.01"))
    )
    return {
        "organization_id": organization_id,
        "claimant": claimant,
        "claim_date": claim_date,
        "amount": gross,
        "currency": "NOK",
        "description": description,
        "category": kind.category,
        "vat_amount": vat,
        "cost_centre": COST_CENTRES[position % len(COST_CENTRES)],
        "project": PROJECTS[position % len(PROJECTS)],
        "employee_number": f"E{1001 + CLAIMANTS.index(claimant)}",
        "account_code": account_code,
        "status": ClaimStatus.APPROVED.value,
        "idempotency_key": key,
        "created_at": utcnow(),
    }
