"""/readyz names Redis when REFLEX_REDIS_URL is set: workers share browser sessions through it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import redis
from starlette.applications import Starlette
from starlette.routing import Route

from accountlink_ui.api.health import readiness_endpoint
from accountlink_ui.db import engine_for
from accountlink_ui.sandbox.server import running_app
from tests.support.databases import sqlite_database

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def readyz(url: str) -> httpx.Response:
    engine = engine_for(url)
    services = type("Stand_in", (), {"engine": engine})()
    app = Starlette(routes=[Route("/readyz", readiness_endpoint(lambda: services))])  # type: ignore[arg-type, return-value]
    with running_app(app) as base:
        return httpx.get(f"{base}/readyz", trust_env=False, timeout=30)


@pytest.fixture
def database(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return sqlite_database(tmp_path, tmp_path_factory.getbasetemp())


def test_without_redis_configured_there_is_no_redis_check(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    assert "redis" not in readyz(database).json()["checks"]


def test_an_unreachable_redis_is_named_without_its_url(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://:hunter2-redis@127.0.0.1:1/0")
    response = readyz(database)
    assert response.status_code == 503
    check = response.json()["checks"]["redis"]
    assert check["ok"] is False and check["detail"].startswith("Unreachable (")
    assert "hunter2" not in response.text and "127.0.0.1:1" not in response.text


def test_a_reachable_redis_is_reported(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = redis.Redis.from_url(LOCAL_REDIS, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {LOCAL_REDIS}")
    finally:
        client.close()
    monkeypatch.setenv("REFLEX_REDIS_URL", LOCAL_REDIS)
    assert readyz(database).json()["checks"]["redis"] == {"ok": True, "detail": "Reachable."}
