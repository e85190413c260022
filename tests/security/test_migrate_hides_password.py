"""`accountlink migrate` never shows the database password, however the URL is written."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import make_url

from accountlink_ui import cli, db
from accountlink_ui.settings import get_settings

PASSWORD = "S3cret-db-pass"


@pytest.fixture
def database_env(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def use(url: str) -> None:
        monkeypatch.setenv("ACCOUNTLINK_DATABASE_URL", url)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://accountlink:{PASSWORD}@db.internal:5432/accountlink",
        f"postgresql+psycopg://accountlink:{PASSWORD}%40x@db.internal/accountlink",
    ],
)
def test_migrate_prints_the_url_without_its_password(
    url: str, database_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    migrated: list[str] = []

    def fake_migrate(url: str | None = None) -> db.MigrationResult:
        migrated.append(url or "")
        return db.MigrationResult(before=None, after="0008")

    monkeypatch.setattr(db, "migrate", fake_migrate)
    database_env(url)
    assert cli.main(["migrate"]) == 0
    out, err = capsys.readouterr()
    assert migrated, "the command migrated"
    assert PASSWORD not in out + err
    assert "db.internal" in out and "***" in out, "the operator still sees which database"


def test_a_percent_in_the_password_reaches_alembic_unchanged() -> None:
    """ConfigParser interpolation would otherwise fail with an error quoting the password."""
    url = f"postgresql+psycopg://accountlink:{PASSWORD}%40x@db.internal/accountlink"
    assert db.alembic_config(url).get_main_option("sqlalchemy.url") == url


@pytest.mark.postgres
def test_migrate_against_postgres_with_a_password_does_not_print_it(
    database_env, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    from tests.support.databases import postgres_database

    own = make_url(postgres_database())
    if own.password:
        pytest.skip("the configured URL has a password of its own")
    if not os.environ.get("ACCOUNTLINK_TEST_DATABASE_URL"):
        pytest.skip("needs ACCOUNTLINK_TEST_DATABASE_URL")
    # The local test cluster trusts loopback, so the password is sent and ignored.
    database_env(own.set(password=f"{PASSWORD}%x").render_as_string(hide_password=False))
    assert cli.main(["migrate"]) == 0
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err
