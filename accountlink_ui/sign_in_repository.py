"""Sign-in throttle repository: the counter rows (``sign_in_throttle``) per email and address.

Statements only; ``services/sign_in_throttle.py`` decides what a failure costs.
Rows are keyed by an HMAC of the email or address, never the value itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from accountlink_ui.models import SignInThrottle as ThrottleRow


def _rows(keys: Sequence[str]) -> SelectOfScalar[ThrottleRow]:
    return select(ThrottleRow).where(col(ThrottleRow.key).in_(list(keys)))


def throttle_rows(session: Session, keys: Sequence[str]) -> dict[str, ThrottleRow]:
    """The rows that exist of ``keys``, read without locking."""
    return {row.key: row for row in session.exec(_rows(keys)).all()}


def lock_throttle_rows(session: Session, keys: Sequence[str]) -> dict[str, ThrottleRow]:
    """The rows that exist of ``keys``, locked in key order (so two attempts never
    deadlock) and read fresh from the database."""
    return {
        row.key: row
        for row in session.exec(
            _rows(keys)
            .order_by(col(ThrottleRow.key))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    }


def create_throttle_rows(session: Session, keys: Sequence[str], now: datetime) -> None:
    """Create the rows missing of ``keys``; racing creators are fine (ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    for key in keys:
        values = {"key": key, "failures": 0, "last_attempt_at": now}
        if dialect == "postgresql":
            upsert = postgresql.insert(ThrottleRow).values(**values)
            session.execute(upsert.on_conflict_do_nothing(index_elements=["key"]))
        elif dialect == "sqlite":
            sqlite_upsert = sqlite.insert(ThrottleRow).values(**values)
            session.execute(sqlite_upsert.on_conflict_do_nothing(index_elements=["key"]))
        elif session.get(ThrottleRow, key) is None:
            session.execute(insert(ThrottleRow).values(**values))


def delete_throttle_row(session: Session, key: str) -> None:
    session.execute(delete(ThrottleRow).where(col(ThrottleRow.key) == key))


def purge_throttle_rows(session: Session, *, quiet_since: datetime) -> None:
    """Forget rows with no attempt and no block since ``quiet_since``."""
    session.execute(
        delete(ThrottleRow).where(
            col(ThrottleRow.last_attempt_at) < quiet_since,
            col(ThrottleRow.blocked_until).is_(None)
            | (col(ThrottleRow.blocked_until) < quiet_since),
        )
    )
