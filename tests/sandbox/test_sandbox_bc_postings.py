"""Business Central refuses what the real company would, batches, posts, and reads back.

Lists of the chart, validated journal lines (accounts, employees, tax groups,
dimensions, field lengths), `$batch` (100 at most, one logged request,
atomicity groups), `Microsoft.NAV.post` and the ledger readback.
"""

from __future__ import annotations

from typing import Any

import pytest

from accountlink_ui.sandbox import demo_credentials as demo

BC_API = f"/businesscentral/v2.0/{demo.ENTRA_TENANT_ID}/{demo.BC_ENVIRONMENT}/api/v2.0"
COMPANY = f"companies({demo.BC_COMPANY_ID})"
GENERAL = f"{COMPANY}/journals({demo.BC_JOURNAL_ID})"
UTLEGG = f"{COMPANY}/journals({demo.BC_EXPENSE_JOURNAL_ID})"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expense(document: str, **overrides: Any) -> dict[str, Any]:
    """One claim as one self-balanced line: 7140 gross with 25 % VAT, balanced on employee E1001."""
    return {
        "accountType": "G/L Account",
        "accountNumber": "7140",
        "postingDate": "2026-03-02",
        "documentNumber": document,
        "externalDocumentNumber": f"EXT-{document}",
        "amount": 1250.0,
        "description": "Hotel Bergen",
        "taxCode": "INNG25",
        "balanceAccountType": "Employee",
        "balancingAccountNumber": "E1001",
        "dimensionSetLines": [
            {"code": "AVDELING", "valueCode": "200"},
            {"code": "PROSJEKT", "valueCode": "P-2026-01"},
        ],
        **overrides,
    }


def get(sandbox: Any, path: str, **params: str) -> Any:
    response = sandbox.client.get(
        f"{BC_API}/{path}", params=params, headers=bearer(sandbox.entra_token())
    )
    assert response.status_code == 200, response.text
    return response.json()["value"]


def post(sandbox: Any, path: str, body: Any, token: str | None = None) -> Any:
    return sandbox.client.post(
        f"{BC_API}/{path}", json=body, headers=bearer(token or sandbox.entra_token())
    )


def ledger(sandbox: Any, **params: str) -> dict[str, Any]:
    return sandbox.client.get("/_control/ledger/business_central", params=params).json()


def batch_request(number: int, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "method": "POST",
        "id": str(number),
        "url": f"{GENERAL}/journalLines",
        "headers": {"Content-Type": "application/json"},
        "body": body,
        **extra,
    }


# --- lists -------------------------------------------------------------------------
def test_chart_lists(sandbox: Any) -> None:
    accounts = {a["number"]: a for a in get(sandbox, f"{COMPANY}/accounts")}
    assert accounts["7140"]["displayName"] == "Reisekostnad, ikke oppgavepliktig"
    assert accounts["7999"]["blocked"] is True and accounts["6800"]["blocked"] is False
    assert {"id", "number", "displayName", "category", "blocked"} <= set(accounts["2910"])
    taxes = {t["code"]: t["displayName"] for t in get(sandbox, f"{COMPANY}/taxGroups")}
    assert set(taxes) == {"INGEN", "INNG25", "INNG15", "INNG12"}
    dimensions = {d["code"]: d["id"] for d in get(sandbox, f"{COMPANY}/dimensions")}
    assert set(dimensions) == {"AVDELING", "PROSJEKT"}
    values = get(sandbox, f"{COMPANY}/dimensions({dimensions['AVDELING']})/dimensionValues")
    assert [(v["code"], v["displayName"]) for v in values] == [
        ("100", "Administrasjon"),
        ("200", "Medlemsservice"),
        ("300", "Fagavdeling"),
    ]
    employees = get(sandbox, f"{COMPANY}/employees")
    assert [(e["number"], e["displayName"]) for e in employees] == [
        ("E1001", "Kari Nordmann"),
        ("E1002", "Hanne Hansen"),
        ("E1003", "Ola Berg"),
    ]


def test_lists_take_filter_top_and_skip(sandbox: Any) -> None:
    one = get(sandbox, f"{COMPANY}/accounts", **{"$filter": "number eq '2910'"})
    assert [a["displayName"] for a in one] == ["Gjeld til ansatte"]
    blocked = get(sandbox, f"{COMPANY}/accounts", **{"$filter": "blocked eq true"})
    assert [a["number"] for a in blocked] == ["7999"]
    tax = get(sandbox, f"{COMPANY}/taxGroups", **{"$filter": "code eq 'INNG15'"})
    assert len(tax) == 1
    page = get(sandbox, f"{COMPANY}/accounts", **{"$top": "3", "$skip": "2"})
    everything = get(sandbox, f"{COMPANY}/accounts")
    assert page == everything[2:5]
    bad = sandbox.client.get(
        f"{BC_API}/{COMPANY}/accounts",
        params={"$filter": "vatCode eq '1'"},
        headers=bearer(sandbox.entra_token()),
    )
    assert bad.status_code == 400 and "vatCode" in bad.json()["error"]["message"]


# --- a balanced line in the ledger -------------------------------------------------
def test_self_balanced_line_with_vat_reads_back_with_a_zero_trial_balance(sandbox: Any) -> None:
    created = post(sandbox, f"{UTLEGG}/journalLines", expense("EXP-1"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["balancingAccountNumber"] == "E1001" and body["taxCode"] == "INNG25"
    assert body["dimensionSetLines"][0] == {"code": "AVDELING", "valueCode": "200"}
    book = ledger(sandbox)
    assert book["trial_balance"] == {"2710": "250.00", "2910": "-1250.00", "7140": "1000.00"}
    assert (book["total"], book["vouchers"]) == ("0.00", 1)
    first = book["entries"][0]
    assert {k: first[k] for k in ("voucher", "account", "amount", "tax_code", "reference")} == {
        "voucher": "EXP-1",
        "account": "7140",
        "amount": "1000.00",
        "tax_code": "INNG25",
        "reference": "EXT-EXP-1",
    }
    assert first["dimensions"] == {"AVDELING": "200", "PROSJEKT": "P-2026-01"}
    assert book["entries"][2]["party"] == "E1001"


def test_vat_split_rounds_the_net_amount_to_cents(sandbox: Any) -> None:
    post(sandbox, f"{UTLEGG}/journalLines", expense("EXP-2", amount=99.99, taxCode="INNG12"))
    book = ledger(sandbox)
    assert book["trial_balance"] == {"2710": "10.71", "2910": "-99.99", "7140": "89.28"}
    assert book["total"] == "0.00"


def test_the_expense_journal_balances_on_2910_by_default(sandbox: Any) -> None:
    line = expense("EXP-3", taxCode="")
    del line["balancingAccountNumber"], line["balanceAccountType"]
    created = post(sandbox, f"{UTLEGG}/journalLines", line).json()
    assert created["balancingAccountNumber"] == "2910"
    assert ledger(sandbox)["trial_balance"] == {"2910": "-1250.00", "7140": "1250.00"}
    # The general journal has no default: the same line stays unbalanced until posting.
    open_line = post(sandbox, f"{GENERAL}/journalLines", line).json()
    assert open_line["balancingAccountNumber"] == ""


# --- validation --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "code", "fragment"),
    [
        ({"accountNumber": "9999"}, "Internal_RecordNotFound", "G/L Account does not exist"),
        ({"accountNumber": "7999"}, "Application_TestFieldError", "No.=7999"),
        ({"balancingAccountNumber": "E9999"}, "Internal_RecordNotFound", "Employee"),
        (
            {"balanceAccountType": "G/L Account", "balancingAccountNumber": "2999"},
            "Internal_RecordNotFound",
            "No.='2999'",
        ),
        ({"accountType": "Employee", "accountNumber": "E42"}, "Internal_RecordNotFound", "E42"),
        ({"accountType": "Vendor", "accountNumber": "V1"}, "Internal_RecordNotFound", "Vendor"),
        ({"accountType": "Supplier"}, "BadRequest", "genJournalAccountType"),
        ({"taxCode": "MVA25"}, "Internal_RecordNotFound", "Tax Group"),
        (
            {"dimensionSetLines": [{"code": "REGION", "valueCode": "NORD"}]},
            "Internal_RecordNotFound",
            "Code='REGION'",
        ),
        (
            {"dimensionSetLines": [{"code": "AVDELING", "valueCode": "400"}]},
            "Internal_RecordNotFound",
            "Dimension Code='AVDELING',Code='400'",
        ),
        (
            {"dimensionSetLines": [{"code": "AVDELING", "value": "100"}]},
            "BadRequest",
            "'value' does not exist",
        ),
        ({"documentNumber": "D" * 21}, "Application_StringExceededLength", "equal to 20"),
        ({"externalDocumentNumber": "X" * 21}, "Application_StringExceededLength", "equal to 20"),
        ({"description": "d" * 51}, "Application_StringExceededLength", "equal to 50"),
    ],
)
def test_lines_business_central_would_refuse_are_refused(
    sandbox: Any, overrides: dict[str, Any], code: str, fragment: str
) -> None:
    response = post(sandbox, f"{UTLEGG}/journalLines", expense("BAD-1", **overrides))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert fragment in error["message"]
    assert sandbox.state.stored("business_central") == []


def test_unknown_journal_is_404(sandbox: Any) -> None:
    path = f"{COMPANY}/journals(11111111-2222-4333-8444-555555555555)/journalLines"
    response = post(sandbox, path, expense("X-1"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "BadRequest_ResourceNotFound"


# --- $batch ------------------------------------------------------------------------
def test_batch_of_100_lines_is_accepted_as_one_logged_request(sandbox: Any) -> None:
    requests = [batch_request(i, expense(f"B-{i}")) for i in range(100)]
    response = post(sandbox, "$batch", {"requests": requests})
    assert response.status_code == 200
    answers = response.json()["responses"]
    assert [(a["id"], a["status"]) for a in answers] == [(str(i), 201) for i in range(100)]
    assert answers[5]["body"]["documentNumber"] == "B-5"
    assert len(sandbox.state.stored("business_central")) == 100
    log = sandbox.client.get("/_control/requests/business_central").json()
    assert [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in log] == [("POST", "$batch")]
    book = ledger(sandbox)
    assert (book["vouchers"], book["total"]) == (100, "0.00")


def test_batch_of_101_requests_is_refused_whole(sandbox: Any) -> None:
    requests = [batch_request(i, expense(f"B-{i}")) for i in range(101)]
    response = post(sandbox, "$batch", {"requests": requests})
    assert response.status_code == 400
    assert "101" in response.json()["error"]["message"]
    assert sandbox.state.stored("business_central") == []


def test_batch_requests_are_validated_one_by_one(sandbox: Any) -> None:
    requests = [
        batch_request(1, expense("OK-1")),
        batch_request(2, expense("BAD-2", accountNumber="9999")),
        {"method": "GET", "id": "3", "url": f"{COMPANY}/accounts?$filter=number eq '1920'"},
        {"method": "GET", "id": "4", "url": f"{COMPANY}/journals(nope)/journalLines"},
    ]
    answers = post(sandbox, "$batch", {"requests": requests}).json()["responses"]
    assert [a["status"] for a in answers] == [201, 400, 200, 404]
    assert answers[1]["body"]["error"]["code"] == "Internal_RecordNotFound"
    assert [a["number"] for a in answers[2]["body"]["value"]] == ["1920"]
    assert [r["documentNumber"] for r in sandbox.state.stored("business_central")] == ["OK-1"]


def test_atomicity_group_succeeds_or_fails_together(sandbox: Any) -> None:
    requests = [
        batch_request(1, expense("A-1"), atomicityGroup="claim-a"),
        batch_request(2, expense("A-2", taxCode="MVA99"), atomicityGroup="claim-a"),
        batch_request(3, expense("A-3"), atomicityGroup="claim-a"),
        batch_request(4, expense("B-1"), atomicityGroup="claim-b"),
        batch_request(5, expense("B-2"), atomicityGroup="claim-b"),
    ]
    answers = post(sandbox, "$batch", {"requests": requests}).json()["responses"]
    assert [a["status"] for a in answers] == [424, 400, 424, 201, 201]
    assert [r["documentNumber"] for r in sandbox.state.stored("business_central")] == [
        "B-1",
        "B-2",
    ]
    assert sandbox.state.received("business_central") == sandbox.state.stored("business_central")


def test_a_failed_atomicity_group_undoes_its_posting_too(sandbox: Any) -> None:
    post(sandbox, f"{GENERAL}/journalLines", expense("OPEN-1"))
    requests = [
        {
            "method": "POST",
            "id": "p",
            "url": f"{GENERAL}/Microsoft.NAV.post",
            "atomicityGroup": "g",
        },
        batch_request(2, expense("BAD", accountNumber="7999"), atomicityGroup="g"),
    ]
    answers = post(sandbox, "$batch", {"requests": requests}).json()["responses"]
    assert [a["status"] for a in answers] == [424, 400]
    assert [line["documentNumber"] for line in get(sandbox, f"{GENERAL}/journalLines")] == [
        "OPEN-1"
    ]
    assert ledger(sandbox, posted="true")["entries"] == []
    # The same post outside a group goes through.
    alone = post(sandbox, "$batch", {"requests": requests[:1]}).json()["responses"]
    assert alone[0]["status"] == 204 and "body" not in alone[0]
    assert get(sandbox, f"{GENERAL}/journalLines") == []


def test_batch_inner_authorization_is_checked(sandbox: Any) -> None:
    dataverse = sandbox.entra_token(demo.DATAVERSE_SCOPE)
    request = batch_request(1, expense("AUTH-1"))
    request["headers"]["Authorization"] = f"Bearer {dataverse}"
    answers = post(sandbox, "$batch", {"requests": [request]}).json()["responses"]
    assert answers[0]["status"] == 401
    assert sandbox.state.stored("business_central") == []
    refused = post(sandbox, "$batch", {"requests": []}, token="sbx.entra.forged")
    assert refused.status_code == 401


# --- posting ----------------------------------------------------------------------
def test_post_refuses_an_unbalanced_document_and_posts_nothing(sandbox: Any) -> None:
    plain = {"balancingAccountNumber": "", "taxCode": ""}
    post(sandbox, f"{GENERAL}/journalLines", expense("DOC-1", **plain))
    post(
        sandbox,
        f"{GENERAL}/journalLines",
        expense("DOC-1", accountNumber="2910", amount=-1237.5, **plain),
    )
    refused = post(sandbox, f"{GENERAL}/Microsoft.NAV.post", None)
    assert refused.status_code == 400
    assert "DOC-1 is out of balance by 12.50" in refused.json()["error"]["message"]
    assert ledger(sandbox, posted="true")["entries"] == []
    assert len(get(sandbox, f"{GENERAL}/journalLines")) == 2


def test_post_books_balanced_documents_and_empties_the_journal(sandbox: Any) -> None:
    plain = {"balancingAccountNumber": "", "taxCode": "", "dimensionSetLines": []}
    post(sandbox, f"{GENERAL}/journalLines", expense("DOC-2", **plain))
    post(
        sandbox,
        f"{GENERAL}/journalLines",
        expense("DOC-2", accountType="Employee", accountNumber="E1002", amount=-1250, **plain),
    )
    post(sandbox, f"{UTLEGG}/journalLines", expense("DOC-3"))  # another journal: stays open
    posted = post(sandbox, f"{GENERAL}/Microsoft.NAV.post", None)
    assert posted.status_code == 204
    assert get(sandbox, f"{GENERAL}/journalLines") == []
    assert len(get(sandbox, f"{UTLEGG}/journalLines")) == 1
    book = ledger(sandbox, posted="true")
    assert book["trial_balance"] == {"2910": "-1250.00", "7140": "1250.00"}
    entries = get(
        sandbox, f"{COMPANY}/generalLedgerEntries", **{"$filter": "documentNumber eq 'DOC-2'"}
    )
    assert [(e["accountNumber"], e["debitAmount"], e["creditAmount"]) for e in entries] == [
        ("7140", 1250.0, 0),
        ("2910", 0, 1250.0),
    ]
    nothing = post(sandbox, f"{GENERAL}/Microsoft.NAV.post", None)
    assert nothing.status_code == 400


def test_reset_clears_the_ledger(sandbox: Any) -> None:
    post(sandbox, f"{UTLEGG}/journalLines", expense("R-1"))
    assert ledger(sandbox)["vouchers"] == 1
    sandbox.client.post("/_control/reset")
    assert ledger(sandbox) == {"entries": [], "trial_balance": {}, "total": "0.00", "vouchers": 0}
    unknown = sandbox.client.get("/_control/ledger/rest")
    assert unknown.status_code == 422
