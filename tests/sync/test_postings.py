"""Posting settings, the preview and the first sync, against the sandbox over HTTP."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlmodel import select

from accountlink_ui.db import session_scope
from accountlink_ui.demo_drafts import xledger_draft
from accountlink_ui.models import AuditEvent, ClaimStatus
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.errors import ServiceError
from accountlink_ui.services.sync_service import SyncUnavailable
from tests.support.drafts import VAT_POSTING
from tests.support.sync_world import SyncWorld


def preview_rows(world: SyncWorld, integration_id: int, actor=None) -> list[tuple[object, ...]]:
    preview = world.services.postings.preview(actor or world.bf_admin, integration_id)
    assert preview.problems == ()
    return [
        (r.voucher, r.account, r.amount, r.balancing_account, r.tax_code, r.dimensions)
        for r in preview.rows
    ]


def test_the_xledger_preview_is_line_for_line_what_xledger_receives(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.set_posting(integration_id, **VAT_POSTING)
    world.claims(30)

    preview = preview_rows(world, integration_id)
    assert world.state.stored("xledger") == [], "the preview is a dry run"
    mutations = [e for e in world.state.request_log("xledger") if e["method"] == "POST"]
    assert len(mutations) <= 1, "at most the chart read (one request, cached after)"
    world.run(integration_id)

    received = [
        (
            item["trRegNumber"],
            item["account"]["code"],
            Decimal(str(item["amount"])),
            "",
            (item.get("taxRule") or {}).get("code", ""),
            f"glObject1={item['glObject1']['code']}" if item.get("glObject1") else "",
        )
        for item in world.state.received("xledger")
    ]
    assert preview == received
    assert len(preview) > 60, "30 vouchers of two or three lines"


def test_the_business_central_preview_is_what_business_central_receives(world: SyncWorld) -> None:
    integration_id = world.connect("dynamics", world.hlf_admin, world.hlf_org)
    world.set_posting(
        integration_id,
        world.hlf_admin,
        vat_registered="yes",
        cost_centre_dimension="AVDELING",
        **{"tax_code.travel": "INNG12", "tax_code.meals": "INNG25"},
    )
    world.claims(20, org=world.hlf_org)

    preview = preview_rows(world, integration_id, world.hlf_admin)
    world.run(integration_id)

    received = [
        (
            line["documentNumber"],
            line["accountNumber"],
            Decimal(str(line["amount"])).quantize(Decimal("0.01")),
            line["balancingAccountNumber"],
            line.get("taxCode") or "",
            ", ".join(f"{d['code']}={d['valueCode']}" for d in line.get("dimensionSetLines", [])),
        )
        for line in world.state.stored("business_central")
    ]
    assert preview == received
    assert {row[3] for row in preview} == {"2910"}


def test_the_preview_names_accounts_and_flags_claims_that_cannot_balance(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.claims(3)
    preview = world.services.postings.preview(world.bf_admin, integration_id)
    names = {row.account: row.account_name for row in preview.rows}
    assert names["2910"] == "Gjeld til ansatte"
    assert preview.claims == 3 and preview.problems == ()
    debit = sum(r.amount for r in preview.rows if r.amount > 0)
    assert debit == -sum(r.amount for r in preview.rows if r.amount < 0)


def test_posting_settings_are_versioned_audited_and_refused_whole_when_wrong(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")  # version 1
    postings = world.services.postings

    version, errors = postings.save(
        world.bf_admin,
        integration_id,
        {**postings.form(world.bf_admin, integration_id).values, "counter_account": "9998"},
    )
    assert (version, errors) == (
        None,
        {"counter_account": "Account 9998 is not in the chart of accounts."},
    )
    assert world.set_posting(integration_id, default_expense_account="6800") == 2
    form = postings.form(world.bf_admin, integration_id)
    assert (form.version, form.values["default_expense_account"]) == (2, "6800")
    with session_scope(world.services.engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "posting_settings.changed")
        ).all()
    assert [e.details["version"] for e in events] == [1, 2]
    assert events[1].details["changed"] == {
        "default_expense_account": {"from": "7790", "to": "6800"}
    }


def test_only_the_organizations_admins_see_or_change_posting(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    for actor in (world.bf_member, world.hlf_admin):
        with pytest.raises(ServiceError):
            world.services.postings.form(actor, integration_id)
        with pytest.raises(ServiceError):
            world.services.postings.save(actor, integration_id, {"default_expense_account": "1"})
        with pytest.raises(ServiceError):
            world.services.postings.preview(actor, integration_id)


def test_sync_now_waits_for_the_posting_step_and_sends_nothing(world: SyncWorld) -> None:
    draft = xledger_draft()
    outcome = world.services.integrations.test_connection(world.bf_admin, world.bf_org, draft)
    view = world.services.integrations.create_integration(
        world.bf_admin, world.bf_org, draft, outcome.proof
    )
    assert view.id is not None
    world.claims(5)
    with pytest.raises(SyncUnavailable, match="Posting is not set up"):
        world.sync.run(view.id, trigger="manual", actor=world.bf_admin)
    assert world.sync.run(view.id, trigger="schedule") is None, "the schedule waits quietly"
    assert {row.status for row in world.claim_rows()} == {ClaimStatus.APPROVED}


def test_a_read_only_xledger_token_passes_the_test_and_the_first_sync_names_the_scope(
    world: SyncWorld,
) -> None:
    draft = xledger_draft(demo.XLEDGER_DEMO_READONLY_TOKEN)
    outcome = world.services.integrations.test_connection(world.bf_admin, world.bf_org, draft)
    assert outcome.result.ok
    assert "checked at the first sync" in outcome.result.message
    view = world.services.integrations.create_integration(
        world.bf_admin, world.bf_org, draft, outcome.proof
    )
    assert view.id is not None
    world.set_posting(view.id)
    keys = world.claims(600)

    run = world.run(view.id)

    assert (run.outcome, run.records_sent) == ("failed", 0)
    assert "GLImport:write" in (run.error_summary or "")
    statuses = Counter((row.status, row.last_error) for row in world.claim_rows())
    assert statuses == {(ClaimStatus.APPROVED, None): len(keys)}, "waiting, not awaiting answer"
    assert world.state.stored("xledger") == []
