"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import atexit
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from accountlink_ui.db import engine_for, migrate

POSTGRES_ENV = "ACCOUNTLINK_TEST_DATABASE_URL"
_sqlite_template: Path | None = None
_postgres_migrated = False


def sqlite_database(tmp_path: Path, template_dir: Path) -> str:
    """Copy of a once-migrated SQLite file: migrating per test would dominate the run time."""
    global _sqlite_template
    if _sqlite_template is None or not _sqlite_template.exists():
        _sqlite_template = template_dir / "template.db"
        migrate(f"sqlite:///{_sqlite_template}")
        engine_for(f"sqlite:///{_sqlite_template}").dispose()
    target = tmp_path / "accountlink.db"
    shutil.copy(_sqlite_template, target)
    return f"sqlite:///{target}"


def postgres_database() -> str:
    """A database of this test process's own on the configured server, migrated once.

    Each pytest process gets ``<db>_<pid>``, so test runs that overlap (a developer's
    and CI's, or several suites at once) never truncate each other's tables.
    """
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL cases need {POSTGRES_ENV} (make test sets it in CI)")
    global _postgres_migrated
    url = make_url(base)
    name = f"{url.database}_{os.getpid()}"
    own = url.set(database=name).render_as_string(hide_password=False)
    if not _postgres_migrated:
        admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        atexit.register(_drop_database, base, name)
        migrate(own)
        _postgres_migrated = True
    truncate_all(engine_for(own))
    return own


def _drop_database(base: str, name: str) -> None:
    """At exit; FORCE ends the connections our own pooled engine still holds."""
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
