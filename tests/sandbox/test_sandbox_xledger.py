"""The Xledger sandbox answers like Xledger: token auth, GraphQL reads, bulk GL import."""

from __future__ import annotations

from typing import Any

import pytest

from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.xledger import ADD, READ, gql

PROBE = "{ companies(first: 1) { edges { node { dbId description } } } }"


def node(reference: str, **overrides: Any) -> dict[str, Any]:
    return {
        "node": {
            "account": {"code": "6800"},
            "amount": 250.5,
            "currency": {"code": "NOK"},
            "postedDate": "2025-03-01",
            "text": "Train ticket",
            "yourReference": reference,
            **overrides,
        }
    }


def balanced(*references: str, amount: str = "250.50") -> list[dict[str, Any]]:
    """Per reference, a balanced two-line voucher: the expense and its counter line on 2910."""
    inputs = []
    for number, reference in enumerate(references, start=1):
        inputs.append(node(reference, amount=amount, trRegNumber=number))
        inputs.append(
            node(reference, account={"code": "2910"}, amount=f"-{amount}", trRegNumber=number)
        )
    return inputs


def test_probe_with_demo_token_returns_demo_company(sandbox: Any) -> None:
    response = gql(sandbox, PROBE)
    assert response.status_code == 200
    edges = response.json()["data"]["companies"]["edges"]
    assert edges == [
        {"node": {"dbId": demo.XLEDGER_COMPANY_DB_ID, "description": "Blindeforbundet Demo"}}
    ]


def test_production_token_works_only_on_production(sandbox: Any) -> None:
    ok = gql(sandbox, PROBE, token=demo.XLEDGER_PRODUCTION_TOKEN, environment="production")
    assert ok.json()["data"]["companies"]["edges"][0]["node"]["description"] == "Blindeforbundet"
    crossed = gql(sandbox, PROBE, token=demo.XLEDGER_DEMO_TOKEN, environment="production")
    assert crossed.status_code == 401
    assert crossed.json()["errors"][0]["code"] == "UNAUTHORIZED.INVALID_TOKEN"


@pytest.mark.parametrize("header", [None, "Bearer " + demo.XLEDGER_DEMO_TOKEN, "token"])
def test_missing_or_wrong_scheme_gets_bad_token_format_with_200(
    sandbox: Any, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = sandbox.client.post("/xledger/demo/graphql", json={"query": PROBE}, headers=headers)
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["code"] == "BAD_REQUEST.BAD_TOKEN_FORMAT"
    assert error["message"] == (
        'Bad format for API Token. Expected header: "Authorization: token <your-token>"'
    )


def test_unknown_token_status_is_configurable(sandbox: Any) -> None:
    assert gql(sandbox, PROBE, token="xl-nope").status_code == 401
    sandbox.state.set_xledger_invalid_token_status(200)
    response = gql(sandbox, PROBE, token="xl-nope")
    assert response.status_code == 200
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED.INVALID_TOKEN"


def test_write_only_token_is_refused_the_read_probe(sandbox: Any) -> None:
    response = gql(sandbox, PROBE, token=demo.XLEDGER_NO_READ_SCOPE_TOKEN)
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"companies": None}
    assert body["errors"][0]["code"] == "UNAUTHORIZED.MISSING_SCOPE"
    assert "read" in body["errors"][0]["message"]
    # ...but it may post.
    posted = gql(sandbox, ADD, {"inputs": balanced("W-1")}, token=demo.XLEDGER_NO_READ_SCOPE_TOKEN)
    assert "errors" not in posted.json()


def test_unknown_field_and_syntax_errors_are_graphql_errors(sandbox: Any) -> None:
    unknown = gql(sandbox, "{ invoices(first: 1) { edges { node { dbId } } } }").json()
    assert "data" not in unknown
    assert unknown["errors"][0]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert 'Cannot query field "invoices"' in unknown["errors"][0]["message"]
    broken = gql(sandbox, "{ companies(first: 1) { edges { node { dbId } }").json()
    assert broken["errors"][0]["code"] == "GRAPHQL_PARSE_FAILED"
    assert broken["errors"][0]["message"].startswith("Syntax Error")


def test_add_gl_import_items_stores_nodes_and_assigns_int64_string_ids(sandbox: Any) -> None:
    inputs = [
        node("EXP-1", trRegNumber=7),
        node("EXP-2", amount="-250.50", account={"code": "2910"}, trRegNumber=7),
    ]
    response = gql(sandbox, ADD, {"inputs": inputs})
    edges = response.json()["data"]["addGLImportItems"]["edges"]
    assert [e["node"]["yourReference"] for e in edges] == ["EXP-1", "EXP-2"]
    assert all(e["node"]["dbId"].isdigit() for e in edges)
    received = sandbox.state.received("xledger")
    assert [r["yourReference"] for r in received] == ["EXP-1", "EXP-2"]
    assert received[0]["account"] == {"code": "6800"}
    assert received[0]["environment"] == "demo"


def test_inline_literal_inputs_are_parsed_too(sandbox: Any) -> None:
    query = (
        'mutation { addGLImportItems(inputs: [{ node: { account: { code: "1920" }, '
        'amount: -10, postedDate: "2025-01-31", yourReference: "LIT-1", trRegNumber: 5 } }, '
        '{ node: { account: { code: "7790" }, amount: 10, postedDate: "2025-01-31", '
        'yourReference: "LIT-1", trRegNumber: 5 } }]) '
        "{ edges { node { dbId } } } }"
    )
    assert gql(sandbox, query).json()["data"]["addGLImportItems"]["edges"][0]["node"]["dbId"]
    assert sandbox.state.received("xledger")[0]["amount"] == -10


def test_more_than_500_nodes_are_rejected_and_nothing_is_stored(sandbox: Any) -> None:
    inputs = [*balanced(*(f"B-{i}" for i in range(250))), node("B-250", amount=0)]
    body = gql(sandbox, ADD, {"inputs": inputs}).json()
    assert body["data"] == {"addGLImportItems": None}
    assert body["errors"][0]["code"] == "BAD_REQUEST.TOO_MANY_NODES"
    assert sandbox.state.received("xledger") == []
    exactly = gql(sandbox, ADD, {"inputs": inputs[:500]}).json()
    assert len(exactly["data"]["addGLImportItems"]["edges"]) == 500


def test_missing_required_fields_reject_the_whole_batch(sandbox: Any) -> None:
    bad = node("BAD-1")
    del bad["node"]["postedDate"]
    bad["node"]["account"] = {"code": ""}
    body = gql(sandbox, ADD, {"inputs": [node("OK-1"), bad]}).json()
    message = body["errors"][0]["message"]
    assert "inputs[1].node.postedDate" in message
    assert "inputs[1].node.account.code is required" in message
    assert sandbox.state.received("xledger") == []


def test_gl_import_items_read_reconciles_by_your_reference(sandbox: Any) -> None:
    gql(sandbox, ADD, {"inputs": balanced("R-1", "R-2", "R-3")})
    body = gql(sandbox, READ, {"refs": ["R-1", "R-3", "R-9"]}).json()
    found = [e["node"]["yourReference"] for e in body["data"]["glImportItems"]["edges"]]
    assert found == ["R-1", "R-1", "R-3", "R-3"]
    assert body["data"]["glImportItems"]["pageInfo"] == {"hasNextPage": False}
    # Items posted in demo are not visible from production.
    prod = gql(
        sandbox,
        READ,
        {"refs": ["R-1"]},
        token=demo.XLEDGER_PRODUCTION_TOKEN,
        environment="production",
    ).json()
    assert prod["data"]["glImportItems"]["edges"] == []


def test_revoked_token_stops_working_and_new_one_is_logged(sandbox: Any) -> None:
    sandbox.state.credentials.register_xledger_token("xl-demo-rotated-1")
    sandbox.state.credentials.revoke_xledger_token(demo.XLEDGER_DEMO_TOKEN)
    assert gql(sandbox, PROBE).status_code == 401
    assert gql(sandbox, PROBE, token="xl-demo-rotated-1").status_code == 200
    log = sandbox.state.request_log("xledger")
    assert [(e["credential"], e["status"]) for e in log] == [
        (demo.XLEDGER_DEMO_TOKEN, 401),
        ("xl-demo-rotated-1", 200),
    ]
