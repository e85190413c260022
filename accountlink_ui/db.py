"""The database engine and sessions, and applying migrations.

One engine per database URL. SQLite gets WAL and a busy timeout so the app,
the scheduler and a CLI command can share the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CursorResult, Engine, Result, event, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from accountlink_ui.settings import get_settings

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_DIR = PROJECT_ROOT / "alembic"


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL only risks the last commits on power loss, and a lost
            # "exported" mark is recovered: the claim stays "sending" and is checked first.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def get_engine() -> Engine:
    return engine_for(get_settings().resolved_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def display_url(url: str) -> str:
    """``url`` fit for a terminal or a log line: the password, if any, becomes ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable database URL)"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    # The option goes through ConfigParser interpolation: an unescaped '%' (a URL-encoded
    # password such as p%40ss) would raise an error quoting the URL, password included.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


MIGRATION_LOCK_KEY = 0x41434C4B_4D494752 & 0x7FFFFFFFFFFFFFFF
"""The PostgreSQL advisory lock id every migrating process takes ("ACLKMIGR")."""


@dataclass(frozen=True)
class MigrationResult:
    before: str | None
    after: str | None

    @property
    def applied(self) -> bool:
        """True when this process ran migrations (another may have done it first)."""
        return self.before != self.after


def current_revision(url: str) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def migrate(url: str | None = None) -> MigrationResult:
    """Bring the database to the newest migration (``alembic upgrade head``).

    On PostgreSQL the whole upgrade runs under a session advisory lock, so
    several workers or machines starting together migrate once: the others
    wait, then find the schema current and do nothing. SQLite is one file on
    one machine; Alembic's own transaction serializes writers there.
    """
    url = url or get_settings().resolved_database_url
    engine_for(url)  # creates the SQLite parent directory
    if make_url(url).get_backend_name() != "postgresql":
        before = current_revision(url)
        command.upgrade(alembic_config(url), "head")
        return _logged(url, MigrationResult(before, current_revision(url)))
    locker = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with locker.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                before = current_revision(url)
                command.upgrade(alembic_config(url), "head")
                result = MigrationResult(before, current_revision(url))
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
    finally:
        locker.dispose()
    return _logged(url, result)


def _logged(url: str, result: MigrationResult) -> MigrationResult:
    if result.applied:
        log.info(
            "migrations applied to %s: %s -> %s",
            display_url(url),
            result.before or "empty",
            result.after,
        )
    else:
        log.info("migrations: %s already at %s", display_url(url), result.after)
    return result


def migrations_current(engine: Engine) -> bool:
    """True when the database is at the newest migration (for readiness checks)."""
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def ping(engine: Engine) -> None:
    """One round trip to the database (``SELECT 1``); raises whatever the driver raises."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed. ``Session.execute`` is typed as returning any
    ``Result``; for those statements it is a ``CursorResult``, the kind that counts rows."""
    assert isinstance(result, CursorResult), f"no row count on {type(result).__name__}"
    return result.rowcount
