"""Fresh, migrated databases for tests: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
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
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL cases need {POSTGRES_ENV} (make test sets it in CI)")
    global _postgres_migrated
    engine = engine_for(url)
    if not _postgres_migrated:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        migrate(url)
        _postgres_migrated = True
    truncate_all(engine)
    return url


def truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
