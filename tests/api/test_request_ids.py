"""A request id follows an API call to the outbound call it causes, and comes back to the
caller; a malformed id from outside is replaced, never echoed."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.applications import Starlette

from accountlink_ui.api import api_routes
from accountlink_ui.logs import RequestIdFilter
from accountlink_ui.request_ids import RequestIdMiddleware
from accountlink_ui.sandbox.server import running_app
from tests.support.api_world import ApiWorld

TRACE = "trace-7f3a-0001"


def test_the_callers_request_id_reaches_the_outbound_call_and_the_answer(
    world: ApiWorld, caplog: pytest.LogCaptureFixture
) -> None:
    app = RequestIdMiddleware(Starlette(routes=api_routes(lambda: world.services)))
    caplog.handler.addFilter(RequestIdFilter())  # stamps each record where it is made
    with (
        caplog.at_level(logging.INFO, logger="accountlink_ui.integrations.http"),
        running_app(app) as base,
    ):
        response = httpx.post(
            f"{base}/api/v1/integrations/{world.bf_xledger}/test",
            headers={"Authorization": f"Bearer {world.token()}", "X-Request-Id": TRACE},
            timeout=30,
            trust_env=False,
        )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-Id"] == TRACE
    outbound = [r for r in caplog.records if r.getMessage().startswith("outbound POST")]
    assert outbound, "the connection test logged no outbound call"
    assert {getattr(r, "request_id", None) for r in outbound} == {TRACE}


@pytest.mark.parametrize("given", ["short", "bad id with spaces", "x" * 65, "a\u00e9bcdefghi"])
def test_a_malformed_request_id_is_replaced(world: ApiWorld, given: str) -> None:
    app = RequestIdMiddleware(Starlette(routes=api_routes(lambda: world.services)))
    with running_app(app) as base:
        response = httpx.get(
            f"{base}/readyz",
            headers=[(b"X-Request-Id", given.encode("utf-8"))],
            trust_env=False,
        )
    answered = response.headers["X-Request-Id"]
    assert answered != given and len(answered) == 16
