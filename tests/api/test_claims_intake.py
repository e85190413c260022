"""POST /api/v1/claims and the status routes, over real HTTP with the sandbox behind the sync.

Each test uses claim ids of its own (a fresh prefix), so their order never matters.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from accountlink_ui.db import session_scope
from accountlink_ui.models import ExpenseClaim
from tests.support.api_world import ApiWorld
from tests.support.claims import app_batch, app_claim
from tests.support.sandbox import Sandbox


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def _keys(world: ApiWorld, external_ids: list[str]) -> dict[str, str]:
    with session_scope(world.services.engine) as session:
        rows = session.exec(
            select(ExpenseClaim.external_id, ExpenseClaim.idempotency_key).where(
                col(ExpenseClaim.external_id).in_(external_ids)
            )
        ).all()
    return {external_id: key for external_id, key in rows if external_id}


def _claim_rows(world: ApiWorld) -> int:
    with session_scope(world.services.engine) as session:
        return len(session.exec(select(ExpenseClaim.id)).all())


def test_a_thousand_claims_reach_the_ledger_once_and_replays_change_nothing(
    world: ApiWorld, sandbox_server: Sandbox
) -> None:
    prefix = _prefix()
    batches = [app_batch(prefix, 500, 0), app_batch(prefix, 500, 500)]
    with world.client(world.token()) as client:
        for batch in batches:
            answer = client.post("/claims", json=batch)
            assert answer.status_code == 201, answer.text
            body = answer.json()
            assert (body["created"], body["existing"]) == (500, 0)
            assert {r["status"] for r in body["results"]} == {"waiting"}

        run = world.services.sync.run(world.bf_xledger, trigger="api")
        assert run is not None and run.outcome == "succeeded", run

        ids = [c["external_id"] for batch in batches for c in batch["claims"]]
        keys = _keys(world, ids)
        assert len(keys) == 1000
        ledger = httpx.get(f"{sandbox_server.base}/_control/ledger/xledger", timeout=30).json()
        vouchers_of: dict[str, set[str | None]] = defaultdict(set)
        for entry in ledger["entries"]:
            vouchers_of[entry["reference"]].add(entry["voucher"])
        assert all(len(vouchers_of[key]) == 1 for key in keys.values())
        assert ledger["total"] == "0.00"

        rows_before = _claim_rows(world)
        for batch in batches:
            again = client.post("/claims", json=batch)
            assert again.status_code == 200, again.text
            assert (again.json()["created"], again.json()["existing"]) == (0, 500)
            assert {r["status"] for r in again.json()["results"]} == {"exported"}
        assert _claim_rows(world) == rows_before
        second = world.services.sync.run(world.bf_xledger, trigger="api")
        assert second is not None and second.records_sent == 0
        ledger_after = httpx.get(
            f"{sandbox_server.base}/_control/ledger/xledger", timeout=30
        ).json()
        assert len(ledger_after["entries"]) == len(ledger["entries"])

        changed = app_batch(prefix, 500, 0)
        changed["claims"][7]["amount"] = "99999.00"
        conflict = client.post("/claims", json=changed)
        assert conflict.status_code == 409, conflict.text
        assert conflict.json()["conflicts"] == [
            {"index": 7, "id": f"{prefix}-7", "fields": ["amount"]}
        ]
        assert f"{prefix}-7" in conflict.json()["detail"] and "amount" in conflict.json()["detail"]

        exported = client.get(f"/claims/{prefix}-7").json()
        assert exported["status"] == "exported"
        assert exported["ledger_reference"] and exported["exported_at"]
        assert exported["amount"] != "99999.00"


def test_each_invalid_claim_is_named_with_its_field_and_nothing_is_stored(world: ApiWorld) -> None:
    prefix = _prefix()
    future = (datetime.now(UTC).date() + timedelta(days=400)).isoformat()
    claims = [
        app_claim(f"{prefix}-ok", 0),
        app_claim(f"{prefix}-1", 1, amount="12.345"),
        app_claim(f"{prefix}-2", 2, currency="NOKK", category="yachts"),
        app_claim(f"{prefix}-3", 3, claim_date=future, vat_amount="5000.00"),
        app_claim(f"{prefix}-4", 4, claimant="   ", description="x" * 501),
        app_claim(f"{prefix}-ok", 5),
        {**app_claim(f"{prefix}-6", 6), "ammount": "1.00"},
    ]
    with world.client(world.token()) as client:
        answer = client.post("/claims", json={"claims": claims})
        assert answer.status_code == 422, answer.text
        found = {(e["index"], e["id"], e["field"]) for e in answer.json()["errors"]}
        assert found == {
            (1, f"{prefix}-1", "amount"),
            (2, f"{prefix}-2", "currency"),
            (2, f"{prefix}-2", "category"),
            (3, f"{prefix}-3", "claim_date"),
            (3, f"{prefix}-3", "vat_amount"),
            (4, f"{prefix}-4", "claimant"),
            (4, f"{prefix}-4", "description"),
            (5, f"{prefix}-ok", "external_id"),
            (6, f"{prefix}-6", "ammount"),
        }
        detail = answer.json()["detail"]
        assert f"claim 1 ({prefix}-1), amount: Use at most two decimals." in detail
        assert "NOK" in detail  # says which currencies are accepted
        assert client.get(f"/claims/{prefix}-ok").status_code == 404

        assert client.post("/claims", json={"claims": [app_claim("x")] * 501}).status_code == 422
        assert client.post("/claims", content=b"[1,2]").status_code == 422


def test_one_claim_is_posted_and_read_back_by_its_own_id(world: ApiWorld) -> None:
    claim_id = f"{_prefix()}-single"
    with world.client(world.token()) as client:
        created = client.post("/claims", json=app_claim(claim_id, 3, amount="250.5"))
        assert created.status_code == 201, created.text
        assert created.json()["results"][0]["index"] == 0
        read = client.get(f"/claims/{claim_id}")
        assert read.status_code == 200
        assert read.json()["amount"] == "250.50" and read.json()["status"] == "waiting"
        # 250.5 and "250.50" are the same claim: a repeat, not a conflict.
        again = client.post("/claims", json=app_claim(claim_id, 3, amount="250.50"))
        assert again.status_code == 200 and again.json()["results"][0]["outcome"] == "existing"


def test_another_organizations_token_sees_404(world: ApiWorld) -> None:
    claim_id = f"{_prefix()}-private"
    with (
        world.client(world.token()) as bf,
        world.client(world.token(world.hlf_admin, world.hlf_org)) as hlf,
        world.client(world.token(world.both_admin, world.hlf_org)) as both,
    ):
        assert bf.post("/claims", json=app_claim(claim_id)).status_code == 201
        for client in (hlf, both):
            assert client.get(f"/claims/{claim_id}").status_code == 404
            assert client.post(f"/claims/{claim_id}/retry").status_code == 404
            assert client.delete(f"/claims/{claim_id}").status_code == 404
            listed = client.get("/claims", params={"limit": 500}).json()["claims"]
            assert claim_id not in {c["id"] for c in listed}
        # The same id is free in another organization: ids are the organization's own.
        assert hlf.post("/claims", json=app_claim(claim_id, 9)).status_code == 201
        assert bf.get(f"/claims/{claim_id}").json()["amount"] == app_claim(claim_id)["amount"]
        assert (
            bf.put(
                f"/integrations/{world.hlf_dynamics}/send-at-once", json={"send_at_once": True}
            ).status_code
            == 404
        )


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(world: ApiWorld) -> None:
    prefix = _prefix()
    batch = app_batch(prefix, 3)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    with world.client(world.token()) as client:
        first = client.post("/claims", json=batch, headers=key)
        assert first.status_code == 201
        client.delete(f"/claims/{prefix}-0")  # a change after the first answer
        replay = client.post("/claims", json=batch, headers=key)
        assert replay.status_code == 201 and replay.json() == first.json()
        other = client.post("/claims", json=app_batch(prefix, 4), headers=key)
        assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
        assert client.get(f"/claims/{prefix}-3").status_code == 404
        # The key belongs to the organization: another one's same key is a new request.
        hlf = world.client(world.token(world.hlf_admin, world.hlf_org))
        assert hlf.post("/claims", json=batch, headers=key).status_code == 201


def test_pages_visit_every_claim_once_while_statuses_change(world: ApiWorld) -> None:
    prefix = _prefix()
    since = datetime.now(UTC) - timedelta(seconds=1)
    with world.client(world.token()) as client:
        assert client.post("/claims", json=app_batch(prefix, 25)).status_code == 201
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params = {"limit": 7, "changed_since": since.isoformat()}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/claims", params=params)
            assert page.status_code == 200, page.text
            seen += [c["id"] for c in page.json()["claims"] if c["id"].startswith(prefix)]
            if pages == 1:
                client.delete(f"/claims/{prefix}-0")  # moves a claim already seen
            cursor = page.json()["next_cursor"]
            pages += 1
            if cursor is None:
                break
        assert sorted(seen) == sorted(f"{prefix}-{n}" for n in range(25))
        assert len(seen) == 25
        withdrawn = client.get("/claims", params={"status": "withdrawn", "limit": 500}).json()
        assert f"{prefix}-0" in {c["id"] for c in withdrawn["claims"]}
        assert client.get("/claims", params={"cursor": "not-a-cursor"}).status_code == 422


def test_retry_and_withdraw_follow_the_claims_status(
    world: ApiWorld, sandbox_server: Sandbox
) -> None:
    prefix = _prefix()
    with world.client(world.token()) as client:
        # Account 0000 is not in the sandbox chart: Xledger refuses the voucher.
        refused = app_claim(f"{prefix}-refused", 1, account_code="0000")
        waiting = app_claim(f"{prefix}-waiting", 2)
        assert client.post("/claims", json={"claims": [refused, waiting]}).status_code == 201
        assert client.post(f"/claims/{prefix}-waiting/retry").status_code == 409
        withdrawn = client.delete(f"/claims/{prefix}-waiting")
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        assert client.delete(f"/claims/{prefix}-waiting").status_code == 200

        world.services.sync.run(world.bf_xledger, trigger="api")
        after = client.get(f"/claims/{prefix}-refused").json()
        assert after["status"] == "refused" and after["refusal"], after
        assert client.get(f"/claims/{prefix}-waiting").json()["status"] == "withdrawn"
        assert _keys(world, [f"{prefix}-waiting"])[f"{prefix}-waiting"] not in {
            e["reference"]
            for e in httpx.get(f"{sandbox_server.base}/_control/ledger/xledger", timeout=30).json()[
                "entries"
            ]
        }

        retried = client.post(f"/claims/{prefix}-refused/retry")
        assert retried.status_code == 200 and retried.json()["status"] == "waiting"
        assert retried.json()["refusal"] is None

        sent = app_claim(f"{prefix}-sent", 3)
        client.post("/claims", json=sent)
        world.services.sync.run(world.bf_xledger, trigger="api")
        assert client.get(f"/claims/{prefix}-sent").json()["status"] == "exported"
        gone = client.delete(f"/claims/{prefix}-sent")
        assert gone.status_code == 409 and "exported" in gone.json()["detail"]
        client.delete(f"/claims/{prefix}-refused")  # leave nothing refused for other tests


@pytest.mark.parametrize("send_at_once", [True, False])
def test_send_at_once_marks_the_integration_for_the_scheduler(
    world: ApiWorld, send_at_once: bool
) -> None:
    from accountlink_ui.models import Integration

    with world.client(world.token()) as client:
        answer = client.put(
            f"/integrations/{world.bf_xledger}/send-at-once", json={"send_at_once": send_at_once}
        )
        assert answer.status_code == 200 and answer.json()["send_at_once"] is send_at_once
        posted = client.post("/claims", json=app_claim(f"{_prefix()}-now"))
        assert posted.json()["sync_requested"] is send_at_once
    with session_scope(world.services.engine) as session:
        row = session.get(Integration, world.bf_xledger)
        assert row is not None
        assert (row.sync_requested_at is not None) is send_at_once
        row.sync_requested_at, row.send_at_once = None, False
        session.add(row)
