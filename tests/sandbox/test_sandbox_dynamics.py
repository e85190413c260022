"""Business Central and Dataverse accept only Entra tokens issued for them."""

from __future__ import annotations

from typing import Any

import pytest

from accountlink_ui.sandbox import demo_credentials as demo

BC_API = f"/businesscentral/v2.0/{demo.ENTRA_TENANT_ID}/{demo.BC_ENVIRONMENT}/api/v2.0"
LINES = f"{BC_API}/companies({demo.BC_COMPANY_ID})/journals({demo.BC_JOURNAL_ID})/journalLines"
WHO_AM_I = "/dataverse/api/data/v9.2/WhoAmI"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def line(document: str, **overrides: Any) -> dict[str, Any]:
    return {
        "accountNumber": "6800",
        "postingDate": "2025-03-01",
        "documentNumber": document,
        "amount": 250.5,
        "description": "Train ticket",
        **overrides,
    }


def test_companies_probe_returns_the_odata_body(sandbox: Any) -> None:
    response = sandbox.client.get(f"{BC_API}/companies", headers=bearer(sandbox.entra_token()))
    body = response.json()
    assert response.status_code == 200
    assert body["@odata.context"].startswith(sandbox.url)
    company = body["value"][0]
    assert {"id", "systemVersion", "timestamp", "name", "displayName"} <= set(company)
    assert {"businessProfileId", "systemCreatedAt"} <= set(company)
    assert (company["id"], company["name"]) == (demo.BC_COMPANY_ID, demo.BC_COMPANY_NAME)


@pytest.mark.parametrize("kind", ["missing", "unknown", "dataverse-token", "expired"])
def test_bad_tokens_get_authentication_invalid_credentials(sandbox: Any, kind: str) -> None:
    headers = {
        "missing": {},
        "unknown": bearer("sbx.entra.forged"),
        "dataverse-token": bearer(sandbox.entra_token(demo.DATAVERSE_SCOPE)),
        "expired": bearer(sandbox.entra_token()),
    }[kind]
    if kind == "expired":
        sandbox.state.credentials.expire_access_tokens()
    response = sandbox.client.get(f"{BC_API}/companies", headers=headers)
    error = response.json()["error"]
    assert response.status_code == 401
    assert error["code"] == "Authentication_InvalidCredentials"
    assert error["message"].startswith("The server has rejected the client credentials.")
    assert "CorrelationId: " in error["message"]


def test_unknown_environment_is_a_404_naming_it(sandbox: Any) -> None:
    path = f"/businesscentral/v2.0/{demo.ENTRA_TENANT_ID}/production/api/v2.0/companies"
    response = sandbox.client.get(path, headers=bearer(sandbox.entra_token()))
    assert response.status_code == 404
    assert "'production'" in response.json()["error"]["message"]


def test_journals_list_the_general_journal(sandbox: Any) -> None:
    path = f"{BC_API}/companies({demo.BC_COMPANY_ID})/journals"
    body = sandbox.client.get(path, headers=bearer(sandbox.entra_token())).json()
    assert [(j["id"], j["code"], j["balancingAccountNumber"]) for j in body["value"]] == [
        (demo.BC_JOURNAL_ID, "GENERAL", ""),
        (demo.BC_EXPENSE_JOURNAL_ID, "UTLEGG", "2910"),
    ]


def test_unknown_company_is_404(sandbox: Any) -> None:
    path = f"{BC_API}/companies(00000000-0000-0000-0000-000000000001)/journals"
    response = sandbox.client.get(path, headers=bearer(sandbox.entra_token()))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "BadRequest_ResourceNotFound"


def test_posting_a_journal_line_returns_201_and_is_reconcilable(sandbox: Any) -> None:
    headers = bearer(sandbox.entra_token())
    created = sandbox.client.post(LINES, json=line("EXP-1"), headers=headers)
    sandbox.client.post(LINES, json=line("EXP-2", amount=-12), headers=headers)
    assert created.status_code == 201
    body = created.json()
    assert body["id"] and body["documentNumber"] == "EXP-1" and body["lineNumber"] == 10000
    found = sandbox.client.get(
        LINES, params={"$filter": "documentNumber eq 'EXP-1'"}, headers=headers
    ).json()["value"]
    assert [f["id"] for f in found] == [body["id"]]
    assert [r["documentNumber"] for r in sandbox.state.received("business_central")] == [
        "EXP-1",
        "EXP-2",
    ]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"amount": "lots"}, "Edm.Decimal"),
        ({"postingDate": "01.03.2025"}, "Edm.Date"),
        ({"accountNumber": None}, "'accountNumber' is required"),
        ({"description": "x" * 51}, "less than or equal to 50"),
        ({"vendor": "SAS"}, "The property 'vendor' does not exist"),
    ],
)
def test_invalid_journal_lines_are_rejected(
    sandbox: Any, overrides: dict[str, Any], fragment: str
) -> None:
    response = sandbox.client.post(
        LINES, json=line("BAD", **overrides), headers=bearer(sandbox.entra_token())
    )
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]
    assert sandbox.state.received("business_central") == []


def test_whoami_returns_the_application_user(sandbox: Any) -> None:
    response = sandbox.client.get(
        WHO_AM_I, headers=bearer(sandbox.entra_token(demo.DATAVERSE_SCOPE))
    )
    body = response.json()
    assert response.status_code == 200
    assert body["UserId"] == demo.DATAVERSE_USER_ID
    assert {"@odata.context", "BusinessUnitId", "OrganizationId"} <= set(body)


def test_whoami_refuses_a_business_central_token(sandbox: Any) -> None:
    response = sandbox.client.get(WHO_AM_I, headers=bearer(sandbox.entra_token()))
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    token = sandbox.state.request_log("dataverse")[-1]["credential"]
    assert token.startswith("sbx.entra.")
