"""One organization's slow work cannot delay another's (issue 11, item 6).

Connection tests and Sync now pressed in the app run on their own pools, never
queue, hold at most a few tasks per organization, and spend a per-organization
budget per minute. Against the sandbox over HTTP, with Xledger hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from accountlink_ui.demo_drafts import rest_draft, xledger_draft
from accountlink_ui.integrations.contracts import ConnectionResult
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.registry import default_registry
from accountlink_ui.services.wiring import Services
from accountlink_ui.services.work import Busy, RateLimited
from accountlink_ui.views import Actor
from tests.support.sandbox import Sandbox
from tests.support.world import build_world

TEST_SECONDS = 3.0
"""The connection-test deadline in these tests (10 s in production), to keep them short."""


@dataclass
class Orgs:
    services: Services
    sandbox: Sandbox
    a_admin: Actor
    b_admin: Actor
    a_org: int
    b_org: int
    a_xledger: int
    b_rest: int


def _orgs(database_url: str, tmp_path: Path, sandbox: Sandbox, **settings: object) -> Orgs:
    """The seeded world: organization A is Blindeforbundet with Xledger, B is HLF with REST."""
    config = sandbox.settings(
        database_url=database_url,
        data_dir=tmp_path,
        master_key_file=tmp_path / "keys.json",
        connection_test_seconds=TEST_SECONDS,
        **settings,
    )
    world = build_world(config, adapters=default_registry(config))
    a_xledger = world.save_integration(xledger_draft(), world.bf_org)
    b_rest = world.save_integration(rest_draft(sandbox.base), world.hlf_org)
    sandbox.state.reset()  # the set-up's requests are not what the tests count
    return Orgs(
        world.services,
        sandbox,
        world.bf_admin,
        world.hlf_admin,
        world.bf_org,
        world.hlf_org,
        a_xledger,
        b_rest,
    )


@pytest.fixture
def orgs(database_url: str, tmp_path: Path, sandbox: Sandbox) -> Iterator[Orgs]:
    world = _orgs(database_url, tmp_path, sandbox)
    yield world
    sandbox.state.clear_faults()
    world.services.test_runs.shutdown()
    world.services.engine.dispose()


def _test_again(
    orgs: Orgs, actor: Actor, org: int, integration_id: int
) -> Future[ConnectionResult]:
    """'Test again' as the dashboard runs it: on the tests' pool, for the acting organization."""
    retest = partial(orgs.services.integrations.retest, actor, integration_id)
    return orgs.services.test_runs.submit(org, retest)


def test_twelve_presses_against_a_hanging_system_do_not_delay_another_organization(
    orgs: Orgs,
) -> None:
    orgs.sandbox.state.set_fault("xledger", "hang", seconds=30)
    in_flight: list[Future[ConnectionResult]] = []
    busy: list[str] = []
    started = time.monotonic()
    for _ in range(12):
        try:
            in_flight.append(_test_again(orgs, orgs.a_admin, orgs.a_org, orgs.a_xledger))
        except Busy as refused:
            busy.append(str(refused))
    refusing = time.monotonic() - started

    b_started = time.monotonic()
    b_result = _test_again(orgs, orgs.b_admin, orgs.b_org, orgs.b_rest).result(timeout=30)
    b_seconds = time.monotonic() - b_started

    assert len(in_flight) == 2, "two tests per organization run at once"
    assert len(busy) == 10 and refusing < 1.0, "the other presses are refused at once"
    assert busy[0] == (
        "2 connection tests for your organization are already running. Wait for one to "
        "finish (at most 10 seconds), then try again."
    )
    assert b_result.ok, b_result.message
    assert b_seconds < 1.0, f"organization B's test took {b_seconds:.2f} s"
    assert all(not future.done() for future in in_flight), "A's tests were still hanging"
    for future in in_flight:
        result = future.result(timeout=TEST_SECONDS + 5)
        assert not result.ok and "Timed out" in result.message
    assert orgs.services.test_runs.in_flight() == 0


def test_the_deadline_counts_from_the_press_not_from_when_the_test_started(
    orgs: Orgs,
) -> None:
    orgs.sandbox.state.set_fault("xledger", "hang", seconds=30)
    pressed = time.monotonic() - 1.5  # the click arrived 1.5 s ago (a queue, a slow hop)

    result = orgs.services.integrations.retest(
        orgs.a_admin, orgs.a_xledger, deadline=Deadline(TEST_SECONDS, _started=pressed)
    )

    assert not result.ok
    since_press = time.monotonic() - pressed
    assert since_press < TEST_SECONDS + 0.5, f"answered {since_press:.2f} s after the press"


def test_tests_started_in_the_app_spend_a_budget_per_organization(
    database_url: str, tmp_path: Path, sandbox: Sandbox
) -> None:
    orgs = _orgs(database_url, tmp_path, sandbox, connection_tests_per_minute=3)
    try:
        for _ in range(3):
            assert _test_again(orgs, orgs.a_admin, orgs.a_org, orgs.a_xledger).result(30).ok

        with pytest.raises(RateLimited) as refused:
            _test_again(orgs, orgs.a_admin, orgs.a_org, orgs.a_xledger).result(30)

        assert refused.value.retry_after > 0
        assert str(refused.value).startswith(
            "Your organization has started 3 connection tests in the last minute. Try again in "
        )
        assert _test_again(orgs, orgs.b_admin, orgs.b_org, orgs.b_rest).result(30).ok
        requests = orgs.sandbox.requests("xledger")
        assert len(requests) == 3, "the refused test reached nobody"
    finally:
        orgs.services.test_runs.shutdown()
        orgs.services.engine.dispose()


def test_one_sync_now_per_organization_the_next_is_refused_at_once(orgs: Orgs) -> None:
    release = threading.Event()
    syncs = orgs.services.sync_runs
    first = syncs.submit(orgs.a_org, release.wait)
    try:
        with pytest.raises(Busy, match="A sync for your organization is already running"):
            syncs.submit(orgs.a_org, release.wait)
        other = syncs.submit(orgs.b_org, lambda: "B ran")
        assert other.result(timeout=10) == "B ran"
    finally:
        release.set()
    assert first.result(timeout=10) is True
    assert syncs.submit(orgs.a_org, lambda: "A again").result(timeout=10) == "A again"
