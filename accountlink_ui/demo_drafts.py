"""Connection drafts that reach the demo sandbox with its demo credentials.

What an admin would type into the wizard for each system; tests and the sync
benchmark set integrations up with them (``demo_claims`` gives them claims).
"""

from __future__ import annotations

from accountlink_ui.accounting.chart import Chart
from accountlink_ui.accounting.posting_settings import suggested
from accountlink_ui.sandbox import demo_credentials as demo
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.posting_service import PostingService
from accountlink_ui.views import Actor


def xledger_draft(token: str = demo.XLEDGER_DEMO_TOKEN) -> ConnectionDraft:
    return ConnectionDraft("xledger", "sandbox", "api_token", {"api_token": token})


def business_central_draft(secret: str = demo.ENTRA_CLIENT_SECRET) -> ConnectionDraft:
    return ConnectionDraft(
        "dynamics",
        "sandbox",
        "client_secret",
        {
            "product": "business_central",
            "tenant_id": demo.ENTRA_TENANT_ID,
            "client_id": demo.ENTRA_CLIENT_ID,
            "bc_environment": demo.BC_ENVIRONMENT,
            "client_secret": secret,
        },
    )


def rest_draft(sandbox_url: str, api_key: str = demo.REST_API_KEY) -> ConnectionDraft:
    """Generic REST with an API key header, against the sandbox served at ``sandbox_url``
    (the admin types the API's base URL, so it is not an operator setting)."""
    return ConnectionDraft(
        "generic_rest",
        "sandbox",
        "api_key_header",
        {
            "base_url": f"{sandbox_url}/rest",
            "health_path": "/health",
            "expected_status": "200",
            "records_path": "/expenses",
            "header_name": demo.REST_API_KEY_HEADER,
            "api_key": api_key,
        },
    )


def demo_posting(type_key: str, chart: Chart, **overrides: str) -> dict[str, str]:
    """Posting settings an accountant would choose for the demo chart: the suggested NS 4102
    accounts, employee payables 2910 as counter-account, cost centres on the first
    dimension the ledger offers, and for Business Central the expense journal."""
    values = suggested(type_key, chart)
    if type_key == "dynamics":
        journals = {entry.detail: entry.code for entry in chart.journals}
        values["journal"] = journals.get("UTLEGG") or next(
            iter(journals.values()), demo.BC_JOURNAL_ID
        )
    if type_key == "dynamics" and not chart.listed:
        values["company_id"] = demo.BC_COMPANY_ID
    values.update(overrides)
    return values


def save_demo_posting(
    postings: PostingService, actor: Actor, integration_id: int, **overrides: str
) -> int:
    """Do the Posting step with ``demo_posting``'s choices; returns the version saved."""
    form = postings.form(actor, integration_id)
    values = demo_posting(form.type_key, form.chart, **overrides)
    version, errors = postings.save(actor, integration_id, values)
    if version is None:
        raise ValueError(f"demo posting settings refused: {errors}")
    return version
