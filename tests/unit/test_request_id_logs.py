"""The guarded client sends the bound request id; JSON log lines carry it."""

from __future__ import annotations

import io
import json
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.http import OutboundClient
from accountlink_ui.logs import JsonFormatter, RequestIdFilter
from accountlink_ui.request_ids import bound, current_request_id
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.settings import Settings


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"request_id": request.headers.get("x-request-id")})


def test_outbound_calls_carry_the_bound_request_id_and_none_without_one() -> None:
    http = OutboundClient(Settings())
    with running_app(Starlette(routes=[Route("/echo", echo)])) as base:
        with bound("trace-0123456789"):
            inside = http.request("GET", f"{base}/echo", deadline=Deadline(5)).json()
        outside = http.request("GET", f"{base}/echo", deadline=Deadline(5)).json()
    assert inside == {"request_id": "trace-0123456789"}
    assert outside == {"request_id": None}
    assert current_request_id() is None


def test_json_log_lines_name_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("accountlink_ui.tests.json_logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with bound("trace-abcdef012345"):
            logger.info("sync of integration %s started", 7)
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "sync of integration 7 started"
    assert first["request_id"] == "trace-abcdef012345"
    assert first["level"] == "INFO" and first["logger"] == "accountlink_ui.tests.json_logs"
    assert second["request_id"] is None
    assert "ValueError: boom" in second["exception"]
