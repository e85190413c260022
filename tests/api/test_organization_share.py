"""API connection tests take the organization's share of the tests' pool, as the app's do."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.api_world import ApiWorld


def test_a_third_test_of_one_organization_is_refused_at_once_and_others_are_not_held_up(
    world: ApiWorld,
) -> None:
    sandbox = world.services.settings.sandbox_url
    bf, hlf = world.client(world.token()), world.client(world.token(world.hlf_admin, world.hlf_org))
    httpx.post(
        f"{sandbox}/_control/faults",
        json={"system": "xledger", "mode": "hang", "seconds": 30},
        timeout=5,
    ).raise_for_status()
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            hanging = [
                pool.submit(bf.post, f"/integrations/{world.bf_xledger}/test") for _ in range(2)
            ]
            deadline = time.monotonic() + 10
            while world.services.test_runs.in_flight(world.bf_org) < 2:
                assert time.monotonic() < deadline, "the two tests never started"
                time.sleep(0.02)

            started = time.monotonic()
            third = bf.post(f"/integrations/{world.bf_xledger}/test")
            refused_in = time.monotonic() - started
            other = hlf.post(f"/integrations/{world.hlf_dynamics}/test")

            assert third.status_code == 409
            assert (
                "connection tests for your organization are already running"
                in (third.json()["detail"])
            )
            assert refused_in < 2.0, f"the refusal took {refused_in:.2f} s"
            assert other.status_code == 200 and other.json()["ok"] is True, other.text
            httpx.delete(f"{sandbox}/_control/faults", timeout=5).raise_for_status()
            assert [future.result().status_code for future in hanging] == [200, 200]
    finally:
        httpx.delete(f"{sandbox}/_control/faults", timeout=5)
        bf.close()
        hlf.close()
