"""language and time zone: users.locale, organizations.locale and organizations.time_zone

Revision ID: 0013_locale_time_zone
Revises: 0012_claim_lookup_index
Create Date: 2026-11-30 23:30:00

The admin pages speak English and Norwegian bokmål (issue 15). A person's saved choice
(``users.locale``, empty until they pick one in the header) wins over the browser's
Accept-Language, which wins over the organization's default (``organizations.locale``).
(Assigned 0012; main took 0012 for the claim lookup index meanwhile, so this follows it.)
Dates and times are shown in the organization's time zone; the scheduler stays in UTC.

New organizations default to English and UTC: nothing about a new organization says
where it is, and English is the language every admin reading the API docs shares. The
two demo organizations are Norwegian and get bokmål and Europe/Oslo here (an existing
demo database) and from the seed (a new one).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_locale_time_zone"
down_revision: str | None = "0012_claim_lookup_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEMO_SLUGS = ("blindeforbundet", "hlf")


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
    )
    op.add_column(
        "organizations",
        sa.Column(
            "locale",
            sqlmodel.sql.sqltypes.AutoString(length=10),
            nullable=False,
            server_default="en",
        ),
    )
    op.add_column(
        "organizations",
        sa.Column(
            "time_zone",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=False,
            server_default="UTC",
        ),
    )
    organizations = sa.table(
        "organizations", sa.column("slug"), sa.column("locale"), sa.column("time_zone")
    )
    op.execute(
        organizations.update()
        .where(organizations.c.slug.in_(DEMO_SLUGS))
        .values(locale="nb", time_zone="Europe/Oslo")
    )


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("locale")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locale")
