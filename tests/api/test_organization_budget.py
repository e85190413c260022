"""Over HTTP: an organization's tokens share one budget, so minting tokens buys no calls."""

from __future__ import annotations

from tests.support.api_world import ApiWorld


def test_the_31st_connection_test_of_an_organization_is_429_whatever_the_token(
    world: ApiWorld,
) -> None:
    codes: list[int] = []
    for _ in range(3):  # three tokens spend their 10 each: the organization's 30
        with world.client(world.token()) as client:
            codes += [
                client.post(f"/integrations/{world.bf_xledger}/test").status_code for _ in range(10)
            ]
    assert codes == [200] * 30
    with world.client(world.token()) as fresh:
        refused = fresh.post(f"/integrations/{world.bf_xledger}/test")
        sync = fresh.post(f"/integrations/{world.bf_xledger}/sync")
    assert refused.status_code == 429
    detail = refused.json()["detail"]
    assert "for this organization" in detail and "at most 30 per 60 seconds" in detail
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert sync.status_code == 200, "syncs have their own organization budget"
    with world.client(world.token(world.hlf_admin, world.hlf_org)) as other_org:
        assert other_org.post(f"/integrations/{world.hlf_dynamics}/test").status_code == 200
