"""/metrics: Prometheus sees a sync run and a connection test after they happen; a scrape
token, when configured, is required."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Route

from accountlink_ui import claim_queue_repository
from accountlink_ui.api.metrics import metrics_endpoint
from accountlink_ui.db import session_scope
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.settings import Settings
from tests.support.api_world import ApiWorld

SCRAPE_TOKEN = "scrape-token-5Jx9"


def scrape(base: str, **headers: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"{base}/metrics", headers=headers, trust_env=False)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_a_sync_run_and_a_connection_test_after_they_happen(
    world: ApiWorld,
) -> None:
    before = scrape(world.base)
    with world.client(world.token()) as client:
        tested = client.post(f"/integrations/{world.bf_xledger}/test")
        synced = client.post(f"/integrations/{world.bf_xledger}/sync")
    assert tested.status_code == 200 and synced.status_code == 200, tested.text + synced.text
    run = synced.json()
    after = scrape(world.base)

    runs = "accountlink_sync_runs_total"
    outcome = {"outcome": run["outcome"], "system": "xledger"}
    assert value(after, runs, **outcome) == value(before, runs, **outcome) + 1
    exported = "accountlink_claims_exported_total"
    assert (
        value(after, exported, system="xledger")
        == value(before, exported, system="xledger") + run["records_sent"]
    )
    tests = "accountlink_connection_test_seconds_count"
    ok = {"system": "xledger", "result": "ok"}
    assert value(after, tests, **ok) == value(before, tests, **ok) + 1
    assert value(after, "accountlink_connection_test_seconds_sum", **ok) > value(
        before, "accountlink_connection_test_seconds_sum", **ok
    )
    with session_scope(world.services.engine) as session:
        waiting = claim_queue_repository.waiting_claims_total(session)
    assert value(after, "accountlink_claims_waiting") == waiting
    assert ("accountlink_claims_waiting", frozenset()) in after


def test_metrics_are_refused_without_the_configured_scrape_token(world: ApiWorld) -> None:
    services = SimpleNamespace(
        settings=Settings(metrics_token=SCRAPE_TOKEN), engine=world.services.engine
    )
    app = Starlette(routes=[Route("/metrics", metrics_endpoint(lambda: services))])  # type: ignore[arg-type, return-value]
    with running_app(app) as base:
        missing = httpx.get(f"{base}/metrics", trust_env=False)
        wrong = httpx.get(
            f"{base}/metrics",
            headers={"Authorization": "Bearer scrape-token-5Jx8"},
            trust_env=False,
        )
        samples = scrape(base, Authorization=f"Bearer {SCRAPE_TOKEN}")
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert "ACCOUNTLINK_METRICS_TOKEN" in refused.text
        assert "accountlink_" not in refused.text
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert ("accountlink_claims_waiting", frozenset()) in samples
