"""Webhooks and alert emails through the outbox (issue 12, parts 3 and 4).

The sync runs for real against the sandbox ledger; webhooks go to the sandbox's
webhook receiver over HTTP through the guarded client; emails to a local SMTP server.
The deliverer is driven one round at a time (``deliver_due``) with the test's clock,
so retries after a backoff cost no sleeping.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlmodel import select

from accountlink_ui.db import session_scope
from accountlink_ui.models import IntegrationIncident, OutboxMessage, WebhookEndpoint
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.errors import InvalidConfig, NotFound
from accountlink_ui.services.key_rotation import rotate_master_key
from accountlink_ui.services.outbox import EVENT_TYPES, OutboxDeliverer
from accountlink_ui.services.webhook_service import WebhookService
from accountlink_ui.settings import Settings
from tests.support.sync_world import SyncWorld
from tests.support.webhooks import arrival_verifies, smtp_sink


def receiver_url(world: SyncWorld) -> str:
    return f"{world.sandbox.base}/webhooks/receiver"


def arrived(world: SyncWorld) -> list[dict[str, Any]]:
    return world.state.webhooks.arrived()


def webhooks(world: SyncWorld, settings: Settings | None = None) -> WebhookService:
    return WebhookService(
        engine=world.services.engine,
        vault=world.services.vault,
        settings=settings or world.settings,
        clock=world.clock,
    )


def deliverer(world: SyncWorld, **settings: object) -> OutboxDeliverer:
    tuned = world.settings.model_copy(update={"outbox_retry_seconds": [60.0] * 3, **settings})
    return OutboxDeliverer(
        engine=world.services.engine,
        vault=world.services.vault,
        settings=tuned,
        clock=world.clock,
        workers=1,
    )


def messages(world: SyncWorld) -> list[OutboxMessage]:
    with session_scope(world.services.engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_an_exported_claim_arrives_signed_and_retries_until_the_fourth_try(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    added = webhooks(world).add(
        world.bf_admin, world.bf_org, receiver_url(world), ["claim.exported"]
    )
    world.state.webhooks.add_secret(added.secret)
    [key] = world.claims(1)
    world.state.webhooks.arm(3, 503)  # the receiver fails three times, then takes it

    assert world.run(integration_id).records_sent == 1
    [queued] = messages(world)  # committed with the export
    assert (queued.event_type, queued.status) == ("claim.exported", "pending")

    sender = deliverer(world)
    for attempt in range(1, 5):
        assert sender.deliver_due() == 1, f"attempt {attempt} was due"
        assert sender.deliver_due() == 0, "nothing is tried again before its backoff"
        world.clock.offset_seconds += 61

    got = arrived(world)
    assert [a["answered"] for a in got] == [503, 503, 503, 204]
    assert len({a["webhook_id"] for a in got}) == 1, "one webhook-id for the event, every try"
    assert all(arrival_verifies(added.secret, a) for a in got), "independent HMAC check"
    assert all(a["verified"] for a in got), "the receiver's own check (the library) agrees"
    event = got[-1]["event"]
    assert event["type"] == "claim.exported"
    assert event["data"]["idempotency_key"] == key
    assert event["data"]["ledger_reference"]
    [delivery] = webhooks(world).deliveries(world.bf_admin, world.bf_org, added.endpoint.id)
    assert (delivery.status, delivery.attempts) == ("delivered", 4)
    assert [h.status_code for h in delivery.history] == [503, 503, 503, 204]


def test_a_delivery_is_given_up_after_the_schedule_and_can_be_redelivered(
    world: SyncWorld,
) -> None:
    service = webhooks(world)
    added = service.add(world.bf_admin, world.bf_org, receiver_url(world), ["claim.exported"])
    world.state.webhooks.arm(1000, 500)
    service.send_test(world.bf_admin, world.bf_org, added.endpoint.id)
    sender = deliverer(world, outbox_retry_seconds=[1.0])
    sender.deliver_due()
    world.clock.offset_seconds += 2
    sender.deliver_due()
    world.clock.offset_seconds += 2
    assert sender.deliver_due() == 0, "two attempts, then given up"
    [delivery] = service.deliveries(world.bf_admin, world.bf_org, added.endpoint.id)
    assert (delivery.status, delivery.attempts) == ("failed", 2)

    world.state.webhooks.arm(0, 500)
    service.redeliver(world.bf_admin, world.bf_org, added.endpoint.id, delivery.id)
    assert sender.deliver_due() == 1
    [delivery] = service.deliveries(world.bf_admin, world.bf_org, added.endpoint.id)
    assert delivery.status == "delivered"
    got = arrived(world)
    assert len({a["webhook_id"] for a in got}) == 1, "a redelivery keeps the webhook-id"
    assert got[-1]["type"] == "webhook.test"


def test_an_endpoint_failing_long_enough_is_disabled_and_its_admins_are_told(
    world: SyncWorld,
) -> None:
    service = webhooks(world)
    added = service.add(world.bf_admin, world.bf_org, receiver_url(world), list(EVENT_TYPES))
    world.state.webhooks.arm(1000, 500)
    sender = deliverer(
        world,
        outbox_retry_seconds=[3600.0] * 5,
        webhook_disable_after_failures=3,
        webhook_disable_after_hours=2.0,
    )
    for _ in range(3):
        service.send_test(world.bf_admin, world.bf_org, added.endpoint.id)
        sender.deliver_due()
        world.clock.offset_seconds += 3600 + 1
    [view] = service.list(world.bf_admin, world.bf_org)
    assert (view.enabled, view.disabled_reason) == (False, "failing")
    assert all(m.status == "failed" for m in messages(world) if m.kind == "webhook")
    [notice] = [m for m in messages(world) if m.kind == "email"]
    assert (notice.event_type, notice.recipient) == ("webhook.disabled", "kari@bf.test")


def test_endpoint_input_is_checked_and_changes_nothing(world: SyncWorld) -> None:
    service = webhooks(world)
    with pytest.raises(InvalidConfig) as refused:
        service.add(world.bf_admin, world.bf_org, "http://169.254.169.254/x", ["nope"])
    assert set(refused.value.errors) == {"url", "events"}
    assert "https" in refused.value.errors["url"]
    assert "nope" in refused.value.errors["events"]
    with pytest.raises(InvalidConfig):
        service.add(world.bf_admin, world.bf_org, "https://example.com/hook", [])
    assert service.list(world.bf_admin, world.bf_org) == []


def test_another_organization_sees_no_endpoint_and_no_delivery(world: SyncWorld) -> None:
    service = webhooks(world)
    added = service.add(world.bf_admin, world.bf_org, receiver_url(world), ["claim.refused"])
    endpoint_id = added.endpoint.id
    service.send_test(world.bf_admin, world.bf_org, endpoint_id)
    [delivery] = service.deliveries(world.bf_admin, world.bf_org, endpoint_id)
    for call in (
        lambda: service.deliveries(world.hlf_admin, world.hlf_org, endpoint_id),
        lambda: service.redeliver(world.hlf_admin, world.hlf_org, endpoint_id, delivery.id),
        lambda: service.send_test(world.hlf_admin, world.hlf_org, endpoint_id),
        lambda: service.remove(world.hlf_admin, world.hlf_org, endpoint_id),
    ):
        with pytest.raises(NotFound):
            call()
    assert service.list(world.hlf_admin, world.hlf_org) == []
    assert len(service.list(world.bf_admin, world.bf_org)) == 1


def test_three_failed_runs_send_one_alert_email_and_recovery_one_more(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    added = webhooks(world).add(
        world.bf_admin,
        world.bf_org,
        receiver_url(world),
        ["integration.error", "integration.recovered"],
    )
    world.claims(3)
    world.state.set_fault("xledger", "http_500")
    with smtp_sink() as sink:
        sender = deliverer(world, smtp_url=sink.url)
        for _ in range(5):  # two more failures after the third change nothing
            assert world.run(integration_id).outcome == "failed"
            sender.deliver_due()
        [alert] = sink.wait_for(1)
        [notice] = world.services.incidents.open_incidents(world.bf_member, world.bf_org)
        assert (notice.integration_id, notice.cause) == (integration_id, "integration.error")
        assert world.services.incidents.open_incidents(world.hlf_admin, world.hlf_org) == []
        assert alert["To"] == "kari@bf.test", "the admin, not the member"
        assert "stopped working" in alert["Subject"]
        assert "server error" in alert.get_payload()

        world.state.clear_faults()
        assert world.run(integration_id).outcome == "succeeded"
        world.run(integration_id)  # a second good run sends nothing more
        sender.deliver_due()
        got = sink.wait_for(2)
        assert len(got) == 2
        assert "working again" in got[1]["Subject"]
        assert world.services.incidents.open_incidents(world.bf_admin, world.bf_org) == []
    assert [a["type"] for a in arrived(world)] == ["integration.error", "integration.recovered"]
    assert all(arrival_verifies(added.secret, a) for a in arrived(world))
    with session_scope(world.services.engine) as session:
        [incident] = session.exec(select(IntegrationIncident)).all()
        assert incident.cause == "integration.error" and incident.closed_at is not None


def test_rejected_credentials_open_one_incident_at_once(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    webhooks(world).add(world.bf_admin, world.bf_org, receiver_url(world), ["credentials.rejected"])
    world.claims(2)
    world.state.credentials.revoke_xledger_token(demo.XLEDGER_DEMO_TOKEN)
    world.run(integration_id)
    world.run(integration_id)
    deliverer(world).deliver_due()
    assert [a["type"] for a in arrived(world)] == ["credentials.rejected"]
    emails = [m for m in messages(world) if m.kind == "email"]
    assert [(m.event_type, m.status) for m in emails] == [("credentials.rejected", "failed")]
    assert emails[0].last_error == "smtp_not_configured", "no SMTP: skipped with a log line"


def test_refused_claims_send_claim_refused_with_the_reason(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    webhooks(world).add(world.bf_admin, world.bf_org, receiver_url(world), ["claim.refused"])
    world.claims(2, account_code="9999")  # an account the ledger does not have
    run = world.run(integration_id)
    assert run.records_failed == 2
    deliverer(world).deliver_due()
    got = arrived(world)
    assert [a["type"] for a in got] == ["claim.refused"] * 2
    assert all(a["event"]["data"]["reason"] for a in got)
    per_claim: dict[int, set[str]] = defaultdict(set)
    for a in got:
        per_claim[a["event"]["data"]["claim_id"]].add(a["webhook_id"])
    assert len(per_claim) == 2 and all(len(ids) == 1 for ids in per_claim.values())


def test_the_sandbox_receiver_answers_over_http(world: SyncWorld) -> None:
    with httpx.Client(base_url=world.sandbox.base, trust_env=False) as client:
        answer = client.post("/_control/webhooks", json={"fail_next": 1, "hold_seconds": 500})
        assert answer.status_code == 422 and "hold_seconds" in answer.json()["detail"]
        assert client.post("/webhooks/receiver", content=b"{}").status_code == 204
        [entry] = client.get("/_control/webhooks").json()["arrived"]
    assert entry["verified"] is False, "no signature: kept, but not verified"
    with session_scope(world.services.engine) as session:
        assert session.exec(select(WebhookEndpoint)).all() == []


def test_one_deliverer_holds_the_lease_and_a_commit_wakes_it(world: SyncWorld) -> None:
    """Polling every 30 s here: the delivery arriving at once proves the commit woke it."""
    service = webhooks(world)
    added = service.add(world.bf_admin, world.bf_org, receiver_url(world), ["claim.exported"])
    first = deliverer(world, outbox_poll_seconds=30.0)
    second = deliverer(world, outbox_poll_seconds=30.0)
    first.start()
    try:
        assert _eventually(first.holds_lease), "the first deliverer took the lease"
        assert not second.holds_lease(), "one process delivers at a time"
        service.send_test(world.bf_admin, world.bf_org, added.endpoint.id)
        assert _eventually(lambda: len(arrived(world)) == 1, seconds=5.0)
    finally:
        first.stop()
    assert not second.holds_lease(), "a follower asks again only a third of a lease later"
    assert deliverer(world).holds_lease(), "the released lease is free for the next process"


def _eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_key_rotation_that_retires_the_old_key_keeps_endpoints_signing(
    world: SyncWorld,
) -> None:
    service = webhooks(world)
    added = service.add(world.bf_admin, world.bf_org, receiver_url(world), ["claim.exported"])
    rotate_master_key(world.services, retire_old=True)
    with session_scope(world.services.engine) as session:
        endpoint = session.get(WebhookEndpoint, added.endpoint.id)
        assert endpoint is not None
        assert endpoint.secret_key_id == world.services.key_ring.current.key_id
    service.send_test(world.bf_admin, world.bf_org, added.endpoint.id)
    deliverer(world).deliver_due()
    [arrival] = arrived(world)
    assert arrival_verifies(added.secret, arrival), "the same secret, opened with the new key"
