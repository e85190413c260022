"""The session cookie is set and cleared only by backend routes, and Reflex never sees the token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from accountlink_ui.services.auth_service import session_key
from accountlink_ui.web_session import (
    SESSION_COOKIE,
    SESSION_KEY_COOKIE,
    SIGN_IN_REFUSALS,
    SessionKeyMiddleware,
    session_key_from_cookie_header,
    session_routes,
)
from tests.support.world import ADMIN_EMAIL, PASSWORD, SeededWorld

SITE = "http://testserver"


async def _echo_cookie_header(request: Request) -> JSONResponse:
    """Stands in for Reflex: reports the cookie header it was given."""
    return JSONResponse({"cookie": request.headers.get("cookie", "")})


def _app(world: SeededWorld) -> Starlette:
    reflex_stand_in = Starlette(routes=[Route("/echo", _echo_cookie_header)])
    return Starlette(
        routes=[
            *session_routes(lambda: world.services),
            Mount("/", app=SessionKeyMiddleware(reflex_stand_in)),
        ]
    )


@pytest.fixture
def client(session_world: SeededWorld) -> Iterator[TestClient]:
    with TestClient(_app(session_world), base_url=SITE) as test_client:
        yield test_client


def _sign_in(client: TestClient, email: str = ADMIN_EMAIL, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/auth/sign-in",
        data={"email": email, "password": password},
        headers={"Origin": SITE},
    )


def _set_cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    (header,) = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    return header


def test_sign_in_sets_an_httponly_strict_cookie(client: TestClient) -> None:
    response = _sign_in(client)
    assert response.status_code == 200, response.text
    header = _set_cookie_header(response)
    attributes = [part.strip().lower() for part in header.split(";")]
    assert header.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes, "plain HTTP: a Secure cookie would never come back"
    token = client.cookies[SESSION_COOKIE]
    assert token not in response.text, "the token is in the cookie only, never in the body"


def test_sign_in_over_https_marks_the_cookie_secure(session_world: SeededWorld) -> None:
    with TestClient(_app(session_world), base_url="https://testserver") as client:
        response = client.post(
            "/auth/sign-in",
            data={"email": ADMIN_EMAIL, "password": PASSWORD},
            headers={"Origin": "https://testserver"},
        )
    assert response.status_code == 200
    assert "secure" in [p.strip().lower() for p in _set_cookie_header(response).split(";")]


def test_wrong_password_sets_no_cookie_and_names_the_refusal(client: TestClient) -> None:
    response = _sign_in(client, password="not the password")
    assert response.status_code == 401
    assert response.json() == {"error": "wrong"}
    assert "do not match an account" in SIGN_IN_REFUSALS["wrong"]
    assert "set-cookie" not in response.headers


def test_sign_in_posted_by_another_site_is_refused(client: TestClient) -> None:
    response = client.post(
        "/auth/sign-in",
        data={"email": ADMIN_EMAIL, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_sign_in_replaces_the_session_the_browser_had(
    client: TestClient, session_world: SeededWorld
) -> None:
    _sign_in(client)
    first = client.cookies[SESSION_COOKIE]
    _sign_in(client)
    second = client.cookies[SESSION_COOKIE]
    assert first != second
    auth = session_world.services.auth
    assert auth.resolve(first) is None, "the earlier session was ended, not kept alongside"
    assert auth.resolve(second) is not None


def test_reflex_sees_the_session_key_never_the_token(client: TestClient) -> None:
    _sign_in(client)
    token = client.cookies[SESSION_COOKIE]
    client.cookies.set("theme", "dark")
    seen = client.get("/echo").json()["cookie"]
    assert token not in seen
    assert session_key_from_cookie_header(seen) == session_key(token)
    assert "theme=dark" in seen


def test_a_forged_session_key_cookie_is_dropped(client: TestClient) -> None:
    forged = "a" * 64
    seen = client.get("/echo", headers={"Cookie": f"{SESSION_KEY_COOKIE}={forged}"}).json()
    assert forged not in seen["cookie"]
    assert session_key_from_cookie_header(seen["cookie"]) == ""


def test_sign_out_ends_the_session_and_clears_the_cookie(
    client: TestClient, session_world: SeededWorld
) -> None:
    _sign_in(client)
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/auth/sign-out", headers={"Origin": SITE}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/login")
    cleared = _set_cookie_header(response).lower()
    assert cleared.startswith(f"{SESSION_COOKIE}=") and "max-age=0" in cleared
    # Reusing the old cookie (a copy kept by the browser or anyone else) is refused.
    assert session_world.services.auth.resolve(token) is None
    client.cookies.set(SESSION_COOKIE, token)
    assert session_key_from_cookie_header(client.get("/echo").json()["cookie"]) == session_key(
        token
    )
    assert session_world.services.auth.resolve_key(session_key(token)) is None
