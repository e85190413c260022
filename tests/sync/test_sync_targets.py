"""1,200 approved claims reach each accounting system exactly once, in as few calls as allowed."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlmodel import col

from accountlink_ui.db import session_scope
from accountlink_ui.integrations.dynamics import document_number
from accountlink_ui.models import ClaimStatus, ExpenseClaim
from accountlink_ui.sandbox.ledger import ledger
from tests.support.drafts import VAT_POSTING
from tests.support.sync_world import SyncWorld

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


def vouchers_by_number(entries: list[dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    grouped: dict[str, list[dict[str, object]]] = defaultdict(list)
    for entry in entries:
        grouped[str(entry["voucher"])].append(entry)
    return grouped


def test_1200_claims_reach_xledger_as_balanced_vouchers_with_a_zero_trial_balance(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.set_posting(integration_id, **VAT_POSTING)
    keys = world.claims(CLAIMS)
    claims = {row.idempotency_key: row for row in world.claim_rows()}
    # The Posting step above reads the chart from Xledger when this process has not cached
    # it yet (order-dependent under xdist): count only the sync's calls.
    before = len(add_gl_calls(world))

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent, run.records_failed) == ("succeeded", CLAIMS, 0)
    taxed = {"travel", "accommodation", "meals", "office_supplies"}
    lines = [2 + (claims[k].category in taxed and bool(claims[k].vat_amount)) for k in keys]
    batches = [lines[i : i + 500] for i in range(0, CLAIMS, 500)]
    calls = len(add_gl_calls(world)) - before
    assert calls >= -(-sum(lines) // 500), "at most 500 lines a call"
    assert calls <= sum(-(-sum(batch) // 498) for batch in batches), "calls are filled"
    book = ledger(world.state, "xledger")
    assert book["total"] == "0.00" and book["vouchers"] == CLAIMS
    vouchers = vouchers_by_number(book["entries"])
    assert len(vouchers) == CLAIMS
    assert all(sum(Decimal(str(e["amount"])) for e in v) == 0 for v in vouchers.values())
    gross = sum((row.amount for row in claims.values()), Decimal(0))
    vat = sum((r.vat_amount or 0 for r in claims.values() if r.category in taxed), Decimal(0))
    assert Decimal(book["trial_balance"]["2910"]) == -gross, "owed to the employees, gross"
    assert Decimal(book["trial_balance"]["2710"]) == vat, "deductible input VAT"
    assert_all_exported(world, integration_id, keys)
    assert world.progress[-1].sent == world.progress[-1].total == CLAIMS


def test_a_claim_with_vat_and_a_cost_centre_arrives_with_mapped_accounts_tax_code_and_dimension(
    world: SyncWorld,
) -> None:
    integration_id = world.connect("xledger")
    world.set_posting(integration_id, **VAT_POSTING)
    [key] = world.claims(1)  # the first kind: a train ticket, 12 % VAT, cost centre 100
    claim = world.claim_rows()[0]
    assert claim.vat_amount and claim.cost_centre == "100" and claim.category == "travel"

    world.run(integration_id)

    [voucher] = vouchers_by_number(ledger(world.state, "xledger")["entries"]).values()
    by_account = {e["account"]: e for e in voucher}
    net = claim.amount - claim.vat_amount
    assert Decimal(str(by_account["7140"]["amount"])) == net
    assert by_account["7140"]["tax_code"] == "13"
    assert by_account["7140"]["dimensions"] == {"AVDELING": "100"}, "glObject1 is Avdeling"
    assert Decimal(str(by_account["2710"]["amount"])) == claim.vat_amount
    assert Decimal(str(by_account["2910"]["amount"])) == -claim.amount
    assert {e["reference"] for e in voucher} == {key}


def test_a_second_run_sends_nothing_again(world: SyncWorld) -> None:
    integration_id = world.connect("xledger")
    world.claims(10)
    world.run(integration_id)
    calls = len(world.state.request_log("xledger"))

    again = world.run(integration_id)

    assert (again.outcome, again.records_sent) == ("succeeded", 0)
    assert len(world.state.request_log("xledger")) == calls, "nothing to send, nothing sent"
    assert world.integration(integration_id).total_records_synced == 10


def test_1000_claims_reach_business_central_in_at_most_ten_requests(world: SyncWorld) -> None:
    """One line per claim, balanced by the employee payables account, 100 to a ``$batch``:
    ten requests where one POST per line took a thousand (BC allows 6,000 per 5 minutes)."""
    integration_id = world.connect("dynamics", world.hlf_admin, world.hlf_org)
    world.set_posting(
        integration_id,
        world.hlf_admin,
        vat_registered="yes",
        **{
            "tax_code.travel": "INNG12",
            "tax_code.meals": "INNG25",
            "cost_centre_dimension": "AVDELING",
        },
    )
    keys = world.claims(1_000, org=world.hlf_org)

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent) == ("succeeded", 1_000)
    requests = world.state.request_log("business_central")
    assert len(requests) <= 10, [e["path"] for e in requests]
    numbers = [line["externalDocumentNumber"] for line in world.state.stored("business_central")]
    assert Counter(numbers).most_common(1)[0][1] == 1, "no line arrived twice"
    assert set(numbers) == {document_number(key) for key in keys}
    book = ledger(world.state, "business_central")
    assert book["total"] == "0.00" and book["vouchers"] == 1_000
    rows = world.claim_rows(world.hlf_org)
    assert all(row.status == ClaimStatus.EXPORTED for row in rows)


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


@pytest.mark.parametrize("detail", ["per_line", "batch"])
def test_an_unknown_account_refuses_that_claim_only_and_the_other_599_arrive(
    world: SyncWorld, detail: str
) -> None:
    """Whether Xledger names the line at fault or refuses the call whole (its per-line shape
    is UNVERIFIED), the claim with the unknown account is refused and only it."""
    world.state.change_settings({"xledger_refusal_detail": detail})
    integration_id = world.connect("xledger")
    keys = world.claims(600)
    bad_key = keys[250]
    with session_scope(world.services.engine) as session:
        session.execute(
            update(ExpenseClaim)
            .where(col(ExpenseClaim.idempotency_key) == bad_key)
            .values(account_code="9999")
        )

    run = world.run(integration_id)

    assert (run.outcome, run.records_sent, run.records_failed) == ("partial", 599, 1)
    book = ledger(world.state, "xledger")
    assert sorted({str(e["reference"]) for e in book["entries"]}) == sorted(
        k for k in keys if k != bad_key
    )
    assert book["total"] == "0.00"
    rows = {row.idempotency_key: row for row in world.claim_rows()}
    assert rows[bad_key].status == ClaimStatus.APPROVED
    reason = rows[bad_key].last_error or ""
    assert "Xledger refused this voucher" in reason
    if detail == "per_line":
        assert "Unknown account 9999" in reason
    assert all(row.status == ClaimStatus.EXPORTED for key, row in rows.items() if key != bad_key)
    if detail == "batch":  # narrowed down by halving, not one call per claim
        assert len(add_gl_calls(world)) < 40

    again = world.run(integration_id)

    assert (again.outcome, again.records_sent, again.records_failed) == ("succeeded", 0, 0)
