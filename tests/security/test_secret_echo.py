"""A target that echoes what it was sent must not make AccountLink repeat a credential.

A tiny local API (served over real HTTP) echoes the ``Authorization`` header,
its value alone, its percent-encoding and the raw query string in its error
body. For Basic, OAuth2 client credentials (bearer access token) and an API
key in the query string, neither the connection test message, the stored
test and sync run errors, the audit trail, the API's answers nor the log may
contain the secret, its base64 pair or the access token, in any encoding.
"""

from __future__ import annotations

import base64
import logging
import secrets as random_secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from accountlink_ui.api import API_PREFIX, api_routes
from accountlink_ui.db import session_scope
from accountlink_ui.demo_drafts import save_demo_posting
from accountlink_ui.integrations.registry import default_registry
from accountlink_ui.models import ExpenseClaim, Role
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.services.api_token_service import ApiTokenService
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.wiring import Services, build_services
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor
from tests.support.databases import sqlite_database

USERNAME = "ledger-robot"
PASSWORD = "Pw-" + random_secrets.token_urlsafe(12)
API_KEY = "ak+" + random_secrets.token_urlsafe(12) + "/k="  # percent-encoded in the URL
CLIENT_SECRET = "cs-" + random_secrets.token_urlsafe(12)


@dataclass
class EchoApi:
    """Answers normally until ``echo`` is set; then every call fails, repeating its input."""

    echo: bool = False
    issued: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def health(request: Request) -> JSONResponse:
            return self._answer(request)

        async def expenses(request: Request) -> JSONResponse:
            return self._answer(request)

        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            if form.get("client_secret") != CLIENT_SECRET:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            issued = "at-" + random_secrets.token_urlsafe(24)
            self.issued.append(issued)
            return JSONResponse({"access_token": issued, "expires_in": 3600})

        return Starlette(
            routes=[
                Route("/api/health", health),
                Route("/api/expenses", expenses, methods=["POST"]),
                Route("/oauth/token", token, methods=["POST"]),
            ]
        )

    def _answer(self, request: Request) -> JSONResponse:
        if not self.echo:
            if request.method == "GET":
                return JSONResponse({"status": "ok"})
            return JSONResponse({"results": []})
        header = request.headers.get("authorization", "")
        value = header.partition(" ")[2] or request.query_params.get("api_key", "")
        detail = (
            f"Rejected. You sent Authorization: {header}; as JSON "
            f'{{"authorization": "{header}"}}; credential {value}; '
            f"encoded {quote(value, safe='')} {quote_plus(value)}; "
            f"query {request.url.query}"
        )
        return JSONResponse({"detail": detail}, status_code=400)


@dataclass
class Flow:
    name: str
    auth_flow: str
    values: dict[str, str]

    def forbidden(self, api: EchoApi) -> list[str]:
        """Every form of the credentials no stored or shown text may contain."""
        raw: list[str] = []
        if self.auth_flow == "basic":
            raw = [PASSWORD, f"{USERNAME}:{PASSWORD}"]
        elif self.auth_flow == "api_key_query":
            raw = [API_KEY]
        else:
            raw = [CLIENT_SECRET, *api.issued]
        forms: set[str] = set()
        for value in raw:
            encoded = base64.b64encode(value.encode()).decode()
            url_safe = base64.urlsafe_b64encode(value.encode()).decode()
            variants = {value, encoded, encoded.rstrip("="), url_safe, url_safe.rstrip("=")}
            forms.update(variants)
            forms.update(quote(variant, safe="") for variant in variants)
        return sorted(form for form in forms if len(form) >= 8)


FLOWS = [
    Flow("basic", "basic", {"username": USERNAME, "password": PASSWORD}),
    Flow("api_key_query", "api_key_query", {"query_param": "api_key", "api_key": API_KEY}),
    Flow(
        "oauth2",
        "oauth2_client_credentials",
        {"client_id": "accountlink", "client_secret": CLIENT_SECRET, "scope": "ledger.write"},
    ),
]


@dataclass
class World:
    services: Services
    api: EchoApi
    api_base: str
    app_base: str
    admin: Actor
    organization_id: int
    token: str


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    api = EchoApi()
    with running_app(api.app()) as api_base:
        settings = Settings(
            database_url=sqlite_database(tmp_path, tmp_path_factory.getbasetemp()),
            data_dir=tmp_path,
            master_key_file=tmp_path / "keys.json",
            allowed_hosts=[urlsplit(api_base).netloc],
        )
        services = build_services(settings, adapters=default_registry(settings))
        auth = services.auth
        organization_id = auth.create_organization(name="Echo Org", slug="echo")
        admin = auth.create_user(email="admin@echo.test", name="Admin", password="correct horse")
        auth.add_membership(organization_id=organization_id, user_id=admin.user_id, role=Role.ADMIN)
        issued = ApiTokenService(engine=services.engine).create_token(admin, organization_id, "t")
        with running_app(Starlette(routes=api_routes(lambda: services))) as app_base:
            yield World(services, api, api_base, app_base, admin, organization_id, issued.token)
    services.engine.dispose()


def _draft(world: World, flow: Flow) -> ConnectionDraft:
    values = {
        "base_url": f"{world.api_base}/api",
        "health_path": "/health",
        "expected_status": "200",
        "records_path": "/expenses",
        **flow.values,
    }
    if flow.auth_flow == "oauth2_client_credentials":
        values["token_url"] = f"{world.api_base}/oauth/token"
    return ConnectionDraft("generic_rest", "sandbox", flow.auth_flow, values)


def _seed_claim(world: World) -> None:
    with session_scope(world.services.engine) as session:
        session.add(
            ExpenseClaim(
                organization_id=world.organization_id,
                claimant="Kari Nordmann",
                claim_date=date(2026, 3, 1),
                amount=Decimal("120.50"),
                currency="NOK",
                description="Train ticket",
                account_code="7140",
                idempotency_key=f"echo-claim-{random_secrets.token_hex(4)}",
            )
        )


def _stored_text(world: World) -> str:
    """Every stored message an admin, an auditor or the API can see, as raw database text."""
    with world.services.engine.connect() as connection:
        rows = [
            *connection.execute(text("SELECT last_test_message, status_detail FROM integrations")),
            *connection.execute(text("SELECT error_summary FROM sync_runs")),
            *connection.execute(text("SELECT details FROM audit_events")),
            *connection.execute(text("SELECT last_error FROM expense_claims")),
        ]
    return "\n".join(str(value) for row in rows for value in row if value is not None)


def _assert_clean(label: str, text_: str, forbidden: list[str]) -> None:
    leaked = [form for form in forbidden if form in text_]
    assert not leaked, f"{label} leaked {leaked!r}"


@pytest.mark.parametrize("flow", FLOWS, ids=[flow.name for flow in FLOWS])
def test_an_echoing_target_leaks_no_credential_anywhere(
    world: World, flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    integrations = world.services.integrations
    draft = _draft(world, flow)
    outcome = integrations.test_connection(world.admin, world.organization_id, draft)
    assert outcome.proof, outcome.result.message
    view = integrations.create_integration(world.admin, world.organization_id, draft, outcome.proof)
    assert view.id is not None
    save_demo_posting(world.services.postings, world.admin, view.id)
    _seed_claim(world)

    world.api.echo = True
    retest = integrations.retest(world.admin, view.id)
    run = world.services.sync.run(view.id, trigger="manual", actor=world.admin)
    assert run is not None
    headers = {"Authorization": f"Bearer {world.token}"}
    with httpx.Client(
        base_url=f"{world.app_base}{API_PREFIX}", headers=headers, trust_env=False, timeout=30
    ) as client:
        answers = [
            client.post(f"/integrations/{view.id}/test"),
            client.get(f"/integrations/{view.id}"),
            client.get(f"/integrations/{view.id}/sync-runs"),
            client.get("/audit-events"),
        ]
    forbidden = flow.forbidden(world.api)

    # The echo reached AccountLink (so the scrubbing was exercised, not bypassed) ...
    assert run.error_summary and "Rejected. You sent Authorization" in run.error_summary
    assert not retest.ok
    # ... and no form of the credential went anywhere.
    _assert_clean("the connection test message", retest.message, forbidden)
    _assert_clean("the sync run error", run.error_summary, forbidden)
    _assert_clean("the stored texts", _stored_text(world), forbidden)
    for answer in answers:
        assert answer.status_code == 200, answer.text
        _assert_clean(f"the API answer to {answer.request.url.path}", answer.text, forbidden)
    _assert_clean("the log", "\n".join(r.getMessage() for r in caplog.records), forbidden)
