"""Alert emails speak the recipient's language in the organization's time zone."""

from __future__ import annotations

from email.header import decode_header, make_header

from accountlink_ui.db import session_scope
from accountlink_ui.integrations_repository import organization, user_by_email
from accountlink_ui.services.outbox import OutboxDeliverer
from tests.support.sync_world import SyncWorld
from tests.support.webhooks import smtp_sink


def deliverer(world: SyncWorld, smtp_url: str) -> OutboxDeliverer:
    return OutboxDeliverer(
        engine=world.services.engine,
        vault=world.services.vault,
        settings=world.settings.model_copy(update={"smtp_url": smtp_url}),
        clock=world.clock,
        workers=1,
    )


def test_an_admin_who_chose_norwegian_gets_the_alert_in_norwegian(world: SyncWorld) -> None:
    with session_scope(world.services.engine) as session:
        admin = user_by_email(session, "kari@bf.test")
        org = organization(session, world.bf_org)
        assert admin is not None and org is not None
        admin.locale, org.time_zone = "nb", "Europe/Oslo"
        session.add_all([admin, org])
    integration_id = world.connect("xledger")
    world.claims(3)
    world.state.set_fault("xledger", "http_500")
    with smtp_sink() as sink:
        sender = deliverer(world, smtp_url=sink.url)
        for _ in range(3):
            assert world.run(integration_id).outcome == "failed"
            sender.deliver_due()
        [alert] = sink.wait_for(1)
    subject = str(make_header(decode_header(alert["Subject"])))
    body = alert.get_payload(decode=True).decode(alert.get_content_charset() or "utf-8")
    assert subject.endswith("har sluttet å virke"), subject
    assert "refusjonskrav kommer ikke fram til regnskapssystemet" in body
    assert "Åpne AccountLink → Integrasjoner" in body
