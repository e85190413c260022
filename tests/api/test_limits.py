"""Request bodies are capped and each token has a budget for connection tests and syncs."""

from __future__ import annotations

import httpx

from tests.support.api_world import ApiWorld


def test_a_body_over_64_kib_is_413_with_a_clear_message(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        response = client.post(f"/integrations/{world.bf_xledger}/test", content=b"x" * 70_000)
    assert response.status_code == 413
    assert "64 KiB" in response.json()["detail"]


def test_a_streamed_body_without_a_length_is_capped_too(world: ApiWorld) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"y" * 8192

    with world.client(world.token()) as client:
        response = client.post(f"/integrations/{world.bf_xledger}/sync", content=chunks())
    assert response.status_code == 413


def test_the_eleventh_connection_test_in_a_minute_is_429_with_retry_after(
    world: ApiWorld,
) -> None:
    token = world.token()
    with world.client(token) as client:
        answers = [client.post(f"/integrations/{world.bf_xledger}/test") for _ in range(11)]
        sync = client.post(f"/integrations/{world.bf_xledger}/sync")
        reading = client.get(f"/integrations/{world.bf_xledger}")
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "at most 10 per 60 seconds" in refused.json()["detail"]
    assert sync.status_code == 200, "syncs have their own budget"
    assert reading.status_code == 200, "reading is not limited"
    with world.client(world.token()) as other:
        fresh = other.post(f"/integrations/{world.bf_xledger}/test")
    assert fresh.status_code == 200, "the budget is per token"


def test_sync_now_is_limited_per_token(world: ApiWorld) -> None:
    with world.client(world.token()) as client:
        codes = [
            client.post(f"/integrations/{world.bf_xledger}/sync").status_code for _ in range(11)
        ]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_an_unauthenticated_flood_gets_401_not_429(world: ApiWorld) -> None:
    with httpx.Client(base_url=world.api, trust_env=False) as client:
        codes = {
            client.post(f"/integrations/{world.bf_xledger}/test").status_code for _ in range(12)
        }
    assert codes == {401}
