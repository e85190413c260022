"""Xledger refuses what the real ledger would: unbalanced vouchers, unknown or blocked codes.

Also: the chart reads (accounts, tax rules, transaction sources, GL object
values), read-only tokens, and the ledger readback a test or the demo checks.
"""

from __future__ import annotations

from typing import Any

import pytest

from accountlink_ui.sandbox import demo_credentials as demo
from tests.support.xledger import ADD, gql

LIST = (
    "query ($after: String) {{ {name}(first: 50, after: $after) "
    "{{ edges {{ node {{ {fields} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)


def line(account: str, amount: str, voucher: int | None = 1, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "account": {"code": account},
        "amount": amount,
        "currency": {"code": "NOK"},
        "postedDate": "2026-03-02",
        "text": "Hotel Bergen",
        "yourReference": f"CLAIM-{voucher}",
        "transactionSource": {"code": "RR"},
        **extra,
    }
    if voucher is not None:
        node["trRegNumber"] = voucher
    return {"node": node}


def claim_voucher(voucher: int = 1, gross: str = "1250.00") -> list[dict[str, Any]]:
    """A claim as one voucher: expense net with a tax rule, the VAT line, the counter line."""
    net, vat = {"1250.00": ("1000.00", "250.00"), "99.99": ("79.99", "20.00")}[gross]
    dims = {"glObject1": {"code": "200"}, "glObject2": {"code": "P-2026-01"}}
    return [
        line("7140", net, voucher, taxRule={"code": "1"}, taxAmount=vat, **dims),
        line("2710", vat, voucher, taxRule={"code": "1"}),
        line("2910", f"-{gross}", voucher),
    ]


def ledger(sandbox: Any, system: str = "xledger") -> dict[str, Any]:
    response = sandbox.client.get(f"/_control/ledger/{system}")
    assert response.status_code == 200, response.text
    return response.json()


def nodes(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in body["data"][name]["edges"]]


# --- reads -------------------------------------------------------------------------
def test_accounts_list_the_demo_chart_including_the_blocked_account(sandbox: Any) -> None:
    body = gql(sandbox, LIST.format(name="accounts", fields="dbId code description")).json()
    accounts = {n["code"]: n["description"] for n in nodes(body, "accounts")}
    assert accounts["7140"] == "Reisekostnad, ikke oppgavepliktig"
    assert accounts["2910"] == "Gjeld til ansatte"
    assert {"6800", "6860", "7100", "7130", "7150", "7350", "7790", "2710", "1920", "7999"} <= set(
        accounts
    )
    assert all(n["dbId"].isdigit() for n in nodes(body, "accounts"))


def test_accounts_page_relay_style(sandbox: Any) -> None:
    query = LIST.replace("first: 50", "first: 5").format(name="accounts", fields="code")
    seen: list[str] = []
    after = None
    for _ in range(5):
        page = gql(sandbox, query, {"after": after}).json()["data"]["accounts"]
        seen += [edge["node"]["code"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 12 and len(set(seen)) == 12


def test_tax_rules_transaction_sources_and_gl_object_values(sandbox: Any) -> None:
    taxes = gql(sandbox, LIST.format(name="taxRules", fields="code description")).json()
    assert {n["code"]: n["description"] for n in nodes(taxes, "taxRules")} == {
        "0": "Ingen mva",
        "1": "Inngående mva, høy sats",
        "11": "Inngående mva, middels sats",
        "13": "Inngående mva, lav sats",
    }
    sources = gql(sandbox, LIST.format(name="transactionSources", fields="code description"))
    assert {"GL": "Hovedbok", "RR": "Reiseregning"}.items() <= {
        n["code"]: n["description"] for n in nodes(sources.json(), "transactionSources")
    }.items()
    query = (
        "{ glObjectValues(first: 10, filter: { objectNumber: 2 }) "
        "{ edges { node { code description objectNumber } } } }"
    )
    projects = nodes(gql(sandbox, query).json(), "glObjectValues")
    assert projects == [
        {"code": "P-2026-01", "description": "Regionmøter", "objectNumber": 2},
        {"code": "P-2026-02", "description": "Likepersonsarbeid", "objectNumber": 2},
    ]


def test_unknown_field_on_a_chart_read_is_a_validation_error(sandbox: Any) -> None:
    body = gql(sandbox, "{ accounts(first: 1) { edges { node { code vatCode } } } }").json()
    assert "data" not in body
    assert body["errors"][0]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert 'Cannot query field "vatCode" on type "Account"' in body["errors"][0]["message"]


# --- balanced vouchers -------------------------------------------------------------
def test_balanced_voucher_is_stored_and_the_trial_balance_is_zero(sandbox: Any) -> None:
    body = gql(sandbox, ADD, {"inputs": claim_voucher(1) + claim_voucher(2, "99.99")}).json()
    assert "errors" not in body
    assert len(body["data"]["addGLImportItems"]["edges"]) == 6
    book = ledger(sandbox)
    assert book["vouchers"] == 2
    assert book["total"] == "0.00"
    assert book["trial_balance"] == {
        "2710": "270.00",
        "2910": "-1349.99",
        "7140": "1079.99",
    }
    first = book["entries"][0]
    assert first == {
        "voucher": "1",
        "date": "2026-03-02",
        "account": "7140",
        "amount": "1000.00",
        "tax_code": "1",
        "dimensions": {"AVDELING": "200", "PROSJEKT": "P-2026-01"},
        "text": "Hotel Bergen",
        "reference": "CLAIM-1",
        "environment": "demo",
    }
    # Stored items keep every field, dimensions and tax included.
    stored = sandbox.state.stored("xledger")[0]
    assert stored["taxAmount"] == "250.00" and stored["glObject2"] == {"code": "P-2026-01"}


# --- unbalanced vouchers -----------------------------------------------------------
def test_unbalanced_voucher_refuses_every_line_of_it_and_stores_nothing(sandbox: Any) -> None:
    inputs = claim_voucher(1)
    inputs[2]["node"]["amount"] = "-1237.50"  # 12.50 short
    inputs += claim_voucher(2)  # a good voucher in the same call is not stored either
    body = gql(sandbox, ADD, {"inputs": inputs}).json()
    assert body["data"] == {"addGLImportItems": None}
    error = body["errors"][0]
    assert error["code"] == "BAD_REQUEST.INVALID_INPUT"
    assert error["extensions"]["problems"] == [
        f"inputs[{i}].node.amount: Voucher 1 does not balance: sum 12.50" for i in range(3)
    ]
    assert sandbox.state.stored("xledger") == []
    assert ledger(sandbox) == {"entries": [], "trial_balance": {}, "total": "0.00", "vouchers": 0}


def test_lines_balance_per_tr_reg_number_and_posted_date(sandbox: Any) -> None:
    inputs = claim_voucher(1)
    inputs[2]["node"]["postedDate"] = "2026-03-03"  # the counter line on another day
    problems = gql(sandbox, ADD, {"inputs": inputs}).json()["errors"][0]["extensions"]["problems"]
    assert problems == [
        "inputs[0].node.amount: Voucher 1 does not balance: sum 1250.00",
        "inputs[1].node.amount: Voucher 1 does not balance: sum 1250.00",
        "inputs[2].node.amount: Voucher 1 does not balance: sum -1250.00",
    ]


def test_a_line_without_tr_reg_number_is_its_own_voucher(sandbox: Any) -> None:
    inputs = [line("6800", "100.00", None), line("2910", "-100.00", None)]
    problems = gql(sandbox, ADD, {"inputs": inputs}).json()["errors"][0]["extensions"]["problems"]
    assert len(problems) == 2
    assert problems[0].startswith("inputs[0].node.amount: A line without trRegNumber")
    assert problems[0].endswith("sum 100.00")
    assert sandbox.state.stored("xledger") == []


def test_batch_refusal_detail_gives_one_generic_error(sandbox: Any) -> None:
    switched = sandbox.client.post("/_control/settings", json={"xledger_refusal_detail": "batch"})
    assert switched.json()["xledger_refusal_detail"] == "batch"
    inputs = claim_voucher(1)
    inputs[0]["node"]["amount"] = "1000.01"
    body = gql(sandbox, ADD, {"inputs": inputs}).json()
    assert body["data"] == {"addGLImportItems": None}
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert (error["message"], error["code"], error["extensions"]) == (
        "One or more inputs are invalid.",
        "BAD_REQUEST.INVALID_INPUT",
        {"code": "INVALID_VALUE"},
    )
    assert sandbox.state.stored("xledger") == []
    bad = sandbox.client.post("/_control/settings", json={"xledger_refusal_detail": "some"})
    assert bad.status_code == 422


# --- unknown and blocked codes -----------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("account", "9999", "inputs[0].node.account.code: Unknown account 9999"),
        ("account", "7999", "inputs[0].node.account.code: Account 7999 is blocked for posting"),
        ("taxRule", "25", "inputs[0].node.taxRule.code: Unknown tax rule 25"),
        (
            "transactionSource",
            "AP",
            "inputs[0].node.transactionSource.code: Unknown transaction source AP",
        ),
        (
            "glObject1",
            "400",
            "inputs[0].node.glObject1.code: Unknown value 400 for GL object 1 (Avdeling)",
        ),
        ("glObject3", "X", "inputs[0].node.glObject3.code: Unknown value X for GL object 3"),
    ],
)
def test_unknown_or_blocked_codes_refuse_the_line_and_the_batch(
    sandbox: Any, field: str, value: str, problem: str
) -> None:
    inputs = claim_voucher(1)
    inputs[0]["node"][field] = {"code": value}
    body = gql(sandbox, ADD, {"inputs": inputs}).json()
    assert body["errors"][0]["extensions"]["problems"] == [problem]
    assert sandbox.state.stored("xledger") == []


def test_accounts_changed_through_control_change_what_is_accepted(sandbox: Any) -> None:
    removed = sandbox.client.delete("/_control/chart/accounts/7140")
    assert removed.status_code == 200
    body = gql(sandbox, ADD, {"inputs": claim_voucher(1)}).json()
    assert body["errors"][0]["extensions"]["problems"] == [
        "inputs[0].node.account.code: Unknown account 7140"
    ]
    added = sandbox.client.put("/_control/chart/accounts/7140", json={"name": "Reise"})
    assert added.json()["code"] == "7140" and added.json()["blocked"] is False
    assert "errors" not in gql(sandbox, ADD, {"inputs": claim_voucher(1)}).json()
    sandbox.client.put("/_control/chart/accounts/7140", json={"blocked": True})
    assert "is blocked" in str(gql(sandbox, ADD, {"inputs": claim_voucher(2)}).json()["errors"])
    # A reset brings the demo chart back.
    sandbox.client.post("/_control/reset")
    assert "errors" not in gql(sandbox, ADD, {"inputs": claim_voucher(3)}).json()


def test_transaction_source_can_be_required(sandbox: Any) -> None:
    inputs = claim_voucher(1)
    del inputs[1]["node"]["transactionSource"]
    assert "errors" not in gql(sandbox, ADD, {"inputs": inputs}).json()
    sandbox.client.post("/_control/settings", json={"xledger_require_transaction_source": True})
    problems = gql(sandbox, ADD, {"inputs": inputs}).json()["errors"][0]["extensions"]["problems"]
    assert problems == ["inputs[1].node.transactionSource.code is required"]


# --- read-only tokens --------------------------------------------------------------
@pytest.mark.parametrize(
    ("token", "environment"),
    [
        (demo.XLEDGER_DEMO_READONLY_TOKEN, "demo"),
        (demo.XLEDGER_PRODUCTION_READONLY_TOKEN, "production"),
    ],
)
def test_read_only_token_reads_everything_but_cannot_add(
    sandbox: Any, token: str, environment: str
) -> None:
    for name in ("companies", "accounts", "taxRules", "transactionSources", "glObjectValues"):
        body = gql(
            sandbox, LIST.format(name=name, fields="code"), token=token, environment=environment
        ).json()
        assert "errors" not in body and nodes(body, name), name
    refused = gql(sandbox, ADD, {"inputs": claim_voucher(1)}, token=token, environment=environment)
    assert refused.status_code == 200
    assert refused.json() == {
        "data": None,
        "errors": [
            {
                "message": "The API token lacks the scope needed for addGLImportItems "
                "(GL import: write).",
                "code": "FORBIDDEN.MISSING_SCOPE",
                "extensions": {"code": "FORBIDDEN", "scope": "GLImport:write"},
            }
        ],
    }
    assert sandbox.state.stored("xledger") == []


def test_token_registered_with_read_scope_cannot_add(sandbox: Any) -> None:
    registered = sandbox.client.post(
        "/_control/credentials",
        json={"system": "xledger", "action": "register", "value": "xl-ro-2", "scopes": ["read"]},
    )
    assert registered.status_code == 200
    body = gql(sandbox, ADD, {"inputs": claim_voucher(1)}, token="xl-ro-2").json()
    assert body["errors"][0]["code"] == "FORBIDDEN.MISSING_SCOPE"
    bad = sandbox.client.post(
        "/_control/credentials",
        json={"system": "xledger", "action": "register", "value": "x", "scopes": ["admin"]},
    )
    assert bad.status_code == 422


def test_ledger_reads_one_environment_when_asked(sandbox: Any) -> None:
    gql(sandbox, ADD, {"inputs": claim_voucher(1)})
    gql(
        sandbox,
        ADD,
        {"inputs": claim_voucher(1, "99.99")},
        token=demo.XLEDGER_PRODUCTION_TOKEN,
        environment="production",
    )
    both = ledger(sandbox)
    assert (both["vouchers"], both["total"]) == (2, "0.00")
    production = sandbox.client.get(
        "/_control/ledger/xledger", params={"environment": "production"}
    ).json()
    assert production["trial_balance"] == {"2710": "20.00", "2910": "-99.99", "7140": "79.99"}
    assert {e["environment"] for e in production["entries"]} == {"production"}
