"""ACCOUNTLINK_ENV=production refuses each unsafe setting with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from accountlink_ui.production import (
    ProductionRefused,
    check_production,
    configured_workers,
    production_problems,
)
from accountlink_ui.services.wiring import load_settings_key_ring
from accountlink_ui.settings import Settings
from accountlink_ui.vault import KeyRingError
from tests.support.run_async import run_async

PG = "postgresql+psycopg://app@db.internal:5432/accountlink"
KEYS = "mk-20261130-abcdef:" + "A" * 43 + "="


def safe(tmp_path: Path, **overrides: object) -> Settings:
    """A production configuration that starts: PostgreSQL, keys from the environment."""
    values: dict[str, object] = {
        "env": "production",
        "data_dir": tmp_path,
        "database_url": PG,
        "master_keys": KEYS,
        "metrics_token": "scrape-" + "x" * 32,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_a_safe_production_configuration_starts(tmp_path: Path) -> None:
    check_production(safe(tmp_path), {"GRANIAN_WORKERS": "4", "REFLEX_REDIS_URL": "redis://r"})


def test_a_mounted_sandbox_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ProductionRefused) as refused:
        check_production(safe(tmp_path, mount_sandbox=True), {})
    assert len(refused.value.problems) == 1
    assert "ACCOUNTLINK_MOUNT_SANDBOX" in str(refused.value)


def test_demo_data_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ProductionRefused) as refused:
        check_production(safe(tmp_path, demo=True), {})
    assert len(refused.value.problems) == 1
    assert "ACCOUNTLINK_DEMO" in refused.value.problems[0]


def test_a_missing_master_key_is_refused_by_name(tmp_path: Path) -> None:
    settings = safe(tmp_path, master_keys=None)
    with pytest.raises(ProductionRefused) as refused:
        check_production(settings, {})
    assert len(refused.value.problems) == 1
    assert "ACCOUNTLINK_MASTER_KEYS" in refused.value.problems[0]
    assert "ACCOUNTLINK_MASTER_KEY_FILE" in refused.value.problems[0]
    # And nothing generates one behind the check's back.
    with pytest.raises(KeyRingError):
        load_settings_key_ring(settings)
    assert not settings.resolved_master_key_file.exists()


def test_open_metrics_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ProductionRefused) as refused:
        check_production(safe(tmp_path, metrics_token=None), {})
    assert len(refused.value.problems) == 1
    assert "ACCOUNTLINK_METRICS_TOKEN" in refused.value.problems[0]


def test_an_operator_key_file_is_accepted(tmp_path: Path) -> None:
    key_file = tmp_path / "operator.keys"
    load_settings_key_ring(Settings(data_dir=tmp_path, master_key_file=key_file))
    check_production(safe(tmp_path, master_keys=None, master_key_file=key_file), {})


@pytest.mark.parametrize(
    "environ",
    [{"GRANIAN_WORKERS": "2"}, {"REFLEX_REDIS_URL": "redis://127.0.0.1:6379"}],
    ids=["granian-workers", "redis-default-workers"],
)
def test_sqlite_with_several_workers_is_refused_by_name(
    tmp_path: Path, environ: dict[str, str]
) -> None:
    with pytest.raises(ProductionRefused) as refused:
        check_production(safe(tmp_path, database_url=None), environ)
    assert len(refused.value.problems) == 1
    assert "ACCOUNTLINK_DATABASE_URL" in refused.value.problems[0]
    assert "GRANIAN_WORKERS" in refused.value.problems[0]


def test_sqlite_with_one_worker_is_allowed(tmp_path: Path) -> None:
    check_production(safe(tmp_path, database_url=None), {"GRANIAN_WORKERS": "1"})


def test_an_unreadable_worker_count_is_refused_by_name(tmp_path: Path) -> None:
    problems = production_problems(safe(tmp_path), {"GRANIAN_WORKERS": "many"})
    assert problems == ["GRANIAN_WORKERS='many' is not a whole number."]


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    settings = safe(tmp_path, database_url=None, master_keys=None, demo=True, mount_sandbox=True)
    problems = production_problems(settings, {"GRANIAN_WORKERS": "3"})
    assert len(problems) == 4


def test_outside_production_nothing_is_refused(tmp_path: Path) -> None:
    settings = safe(tmp_path, env="demo", database_url=None, master_keys=None)
    assert settings.demo and settings.mount_sandbox
    assert production_problems(settings, {"GRANIAN_WORKERS": "8"}) == []


def test_worker_count_follows_reflex(tmp_path: Path) -> None:
    assert configured_workers({}) == 1
    assert configured_workers({"GRANIAN_WORKERS": "5"}) == 5
    assert configured_workers({"REFLEX_REDIS_URL": "redis://r"}) >= 3


def test_the_start_up_hook_refuses_before_touching_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accountlink_ui import startup
    from accountlink_ui.settings import get_settings

    monkeypatch.setenv("ACCOUNTLINK_ENV", "production")
    monkeypatch.setenv("ACCOUNTLINK_DEMO", "1")
    monkeypatch.setenv("ACCOUNTLINK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(startup, "migrate", lambda: pytest.fail("migrated in spite of refusal"))
    get_settings.cache_clear()

    async def start() -> None:
        async with startup.prepare_database():
            pass

    try:
        with pytest.raises(ProductionRefused, match="ACCOUNTLINK_DEMO"):
            run_async(start())
    finally:
        get_settings.cache_clear()
    assert not (tmp_path / "accountlink.db").exists()


def test_keys_generate_prints_a_key_production_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from accountlink_ui.cli import main
    from accountlink_ui.vault import load_key_ring

    assert main(["keys", "generate"]) == 0
    value = capsys.readouterr().out.strip()
    ring = load_key_ring(env_value=value, key_file=tmp_path / "unused")
    assert len(ring.keys) == 1
    check_production(safe(tmp_path, master_keys=value), {})
    assert list(tmp_path.iterdir()) == []


def test_a_sandbox_url_in_production_is_allowed_but_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="accountlink_ui.production"):
        check_production(safe(tmp_path, sandbox_url="http://127.0.0.1:8765"), {})
    assert "ACCOUNTLINK_SANDBOX_URL" in caplog.text
