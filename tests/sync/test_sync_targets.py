"""1,200 approved claims reach each accounting system exactly once, in as few calls as allowed."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import update
from sqlmodel import col

from accountlink_ui.db import session_scope
from accountlink_ui.integrations.dynamics import document_number
from accountlink_ui.models import ClaimStatus, ExpenseClaim
from tests.sync.conftest import SyncWorld

CLAIMS = 1_200


def add_gl_calls(world: SyncWorld) -> list[dict[str, object]]:
    return [
        entry
        for entry in world.state.request_log("xledger")
        if entry["method"] == "POST" and entry["status"] == 200
    ]


def assert_all_exported(world: SyncWorld, integration_id: int, keys: list[str]) -> None:
    rows = world.claim_rows()
    assert {row.idempotency_key for row in rows} == set(keys)
    assert all(row.status == ClaimStatus.EXPORTED for row in rows)
    assert all(row.exported_integration_id == integration_id for row in rows)
    assert all(row.external_reference and row.exported_at for row in rows)


def test_1200_claims_reach_xledger_in_three_calls_exactly_once(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    keys = world.claims(CLAIMS)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent, run.records_failed) == ("succeeded", CLAIMS, 0)
    assert run.credential_version == 1
    assert len(add_gl_calls(world)) == 3, "500 + 500 + 200 nodes"
    received = [item["yourReference"] for item in world.state.received("xledger")]
    assert len(received) == CLAIMS and set(received) == set(keys)
    assert_all_exported(world, integration_id, keys)
    row = world.integration(integration_id)
    assert row.total_records_synced == CLAIMS
    assert row.last_sync_at is not None
    assert world.progress[-1].sent == world.progress[-1].total == CLAIMS


def test_a_second_run_sends_nothing_again(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.claims(10)
    world.run(integration_id)
    calls = len(world.state.request_log("xledger"))

    again = world.run(integration_id)

    assert (again.outcome, again.records_sent) == ("succeeded", 0)
    assert len(world.state.request_log("xledger")) == calls, "nothing to send, nothing sent"
    assert world.integration(integration_id).total_records_synced == 10


# SQLite only: the sandbox copies every stored line on each POST (quadratic), so 1,200 lines
# take ~12 s; the database side of Business Central runs is covered on PostgreSQL by the
# fault tests, and of 1,200-claim runs by Xledger and REST.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_1200_claims_reach_business_central_once_each(world: SyncWorld) -> None:
    integration_id = world.connect("dynamics")
    keys = world.claims(CLAIMS)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("succeeded", CLAIMS)
    numbers = [line["documentNumber"] for line in world.state.received("business_central")]
    assert Counter(numbers).most_common(1)[0][1] == 1, "no line arrived twice"
    assert set(numbers) == {document_number(key) for key in keys}
    assert_all_exported(world, integration_id, keys)


def test_1200_claims_reach_the_generic_rest_api_once_each(world: SyncWorld) -> None:
    integration_id = world.connect("generic_rest")
    keys = world.claims(CLAIMS)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("succeeded", CLAIMS)
    posts = [e for e in world.state.request_log("rest") if e["method"] == "POST"]
    assert len(posts) == 3
    stored = [record["idempotency_key"] for record in world.state.stored("rest")]
    assert sorted(stored) == sorted(keys)
    assert len(world.state.received("rest")) == CLAIMS
    assert_all_exported(world, integration_id, keys)


@pytest.mark.parametrize("type_key", ["xledger", "dynamics", "generic_rest"])
def test_only_the_organizations_own_claims_are_sent(world: SyncWorld, type_key: str) -> None:
    integration_id = world.connect(type_key)
    mine = world.claims(3)
    world.claims(4, org=world.hlf_org)

    run = world.run(integration_id)

    assert run.records_sent == 3
    assert {row.idempotency_key for row in world.claim_rows() if row.status == "exported"} == set(
        mine
    )
    assert all(row.status == "approved" for row in world.claim_rows(world.hlf_org))


def test_one_invalid_claim_is_refused_and_the_other_599_reach_xledger(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    keys = world.claims(600)
    bad_key = keys[250]
    with session_scope(world.services.engine) as session:
        session.execute(
            update(ExpenseClaim)
            .where(col(ExpenseClaim.idempotency_key) == bad_key)
            .values(account_code=" ")
        )

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent, run.records_failed) == ("partial", 599, 1)
    assert "account.code is required" in (run.error_summary or "")
    stored = [item["yourReference"] for item in world.state.stored("xledger")]
    assert sorted(stored) == sorted(k for k in keys if k != bad_key)
    rows = {row.idempotency_key: row for row in world.claim_rows()}
    assert rows[bad_key].status == ClaimStatus.APPROVED
    assert "account.code is required" in (rows[bad_key].last_error or "")
    assert all(row.status == ClaimStatus.EXPORTED for key, row in rows.items() if key != bad_key)

    again = world.run(integration_id)

    assert (again.outcome, again.records_sent, again.records_failed) == ("succeeded", 0, 0)
