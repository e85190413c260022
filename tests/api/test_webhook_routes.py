"""/api/v1/webhooks: an endpoint added with the organization's token, its secret shown once,
a test event in its delivery log; another organization's token sees 404 everywhere."""

from __future__ import annotations

from accountlink_ui.services.outbox import OutboxDeliverer
from tests.support.api_world import ApiWorld


def test_add_test_and_read_the_delivery_log_and_another_token_sees_404(world: ApiWorld) -> None:
    with world.client(world.token()) as bf:
        added = bf.post(
            "/webhooks", json={"url": "https://hooks.example.org/x", "events": ["claim.refused"]}
        )
        assert added.status_code == 201, added.text
        assert added.json()["secret"].startswith("whsec_")
        listed = bf.get("/webhooks")
        assert added.json()["secret"] not in listed.text, "the secret is shown once"
        assert bf.delete(f"/webhooks/{added.json()['endpoint']['id']}").status_code == 204

    # The sandbox receiver is plain http on an allowlisted host: added as the page adds it.
    receiver = f"{world.services.settings.sandbox_url}/webhooks/receiver"
    endpoint_id = world.services.webhooks.add(
        world.bf_admin, world.bf_org, receiver, ["claim.exported"]
    ).endpoint.id
    with world.client(world.token()) as bf:
        assert endpoint_id in [e["id"] for e in bf.get("/webhooks").json()["endpoints"]]
        event_id = bf.post(f"/webhooks/{endpoint_id}/test").json()["event_id"]
        OutboxDeliverer(
            engine=world.services.engine,
            vault=world.services.vault,
            settings=world.services.settings,
        ).deliver_due()
        [delivery] = bf.get(f"/webhooks/{endpoint_id}/deliveries").json()["deliveries"]
        assert (delivery["event_id"], delivery["status"]) == (event_id, "delivered")
        assert delivery["history"][0]["status_code"] == 204
        delivery_id = delivery["id"]

    # Per Begge administers both organizations: an HLF token of his still sees nothing of BF.
    with world.client(world.token(world.both_admin, world.hlf_org)) as other:
        for method, path in (
            ("GET", f"/webhooks/{endpoint_id}"),
            ("GET", f"/webhooks/{endpoint_id}/deliveries"),
            ("POST", f"/webhooks/{endpoint_id}/test"),
            ("POST", f"/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"),
            ("DELETE", f"/webhooks/{endpoint_id}"),
        ):
            answer = other.request(method, path)
            assert answer.status_code == 404, (method, path, answer.text)
        assert endpoint_id not in [e["id"] for e in other.get("/webhooks").json()["endpoints"]]

    with world.client(world.token()) as bf:
        assert bf.delete(f"/webhooks/{endpoint_id}").status_code == 204
        assert bf.get(f"/webhooks/{endpoint_id}").status_code == 404


def test_bad_endpoints_are_refused_field_by_field(world: ApiWorld) -> None:
    with world.client(world.token()) as bf:
        answer = bf.post("/webhooks", json={"url": "http://10.0.0.1/hook", "events": ["nope"]})
        assert answer.status_code == 422
        assert {e["field"] for e in answer.json()["errors"]} == {"url", "events.0"}
        answer = bf.post(
            "/webhooks", json={"url": "http://10.0.0.1/hook", "events": ["claim.refused"]}
        )
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["url"]
