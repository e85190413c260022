"""The browser session over HTTP: an HttpOnly cookie set and cleared by backend routes.

Page scripts never see the session token: ``POST /auth/sign-in`` sets it in an
``HttpOnly; SameSite=Strict`` cookie (``Secure`` over HTTPS) and
``POST /auth/sign-out`` ends the session server-side and clears the cookie.

Reflex keeps every request header of a websocket connection in the state it
pickles to ``.states/`` (or Redis), cookie header included. So
``SessionKeyMiddleware`` sits in front of Reflex and replaces the token in the
``cookie`` header by its session key (the SHA-256 the database stores). The
pages resolve the signed-in person from that key on every event; a state file
holds at most the key, which cannot be turned back into a token or presented
as a cookie (the middleware hashes whatever the browser sends, and drops any
key cookie the browser tries to send itself).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from accountlink_ui.services.auth_service import (
    THROTTLED,
    WRONG_CREDENTIALS,
    session_key,
    wait_text,
)
from accountlink_ui.services.errors import SignInFailed, SignInThrottled
from accountlink_ui.services.wiring import Services, get_services

SESSION_COOKIE = "accountlink_session"
"""Holds the session token; HttpOnly, so only the browser's HTTP stack reads it."""
SESSION_KEY_COOKIE = "accountlink_session_key"
"""What Reflex sees instead: the token's SHA-256, put there by ``SessionKeyMiddleware``."""

LINK_COOKIE = "accountlink_link"
"""Holds a one-time link's token (invitation or reset) between opening the link and using it;
HttpOnly, and replaced by its SHA-256 (``LINK_KEY_COOKIE``) before Reflex sees it."""
LINK_KEY_COOKIE = "accountlink_link_key"

SIGN_IN_PATH = "/auth/sign-in"
SIGN_OUT_PATH = "/auth/sign-out"
AFTER_SIGN_IN = "/settings/integrations"
AFTER_SIGN_OUT = "/login"
MAX_SIGN_IN_BODY = 4096
"""Bytes; an email and a password fit many times over."""

SIGN_IN_REFUSALS: dict[str, str] = {
    "missing": "Enter your email and password.",
    "wrong": WRONG_CREDENTIALS,
    "origin": "Sign-in was refused because the request did not come from this site. "
    "Reload the page and try again.",
    "too_large": "That sign-in request was too large. Check the email and password.",
    "failed": "Sign-in did not go through. Try again in a moment.",
}
"""What the sign-in page shows for each refusal code the route answers with."""
_THROTTLED = re.compile(r"throttled:(\d{1,6})")


def refusal_message(code: str) -> str:
    """The sentence for a refusal code; ``throttled:<seconds>`` says how long to wait. Any
    other text a client sends gets the generic sentence, so none of it reaches the page."""
    throttled = _THROTTLED.fullmatch(code)
    if throttled:
        return THROTTLED.format(wait=wait_text(int(throttled.group(1))))
    return SIGN_IN_REFUSALS.get(code, SIGN_IN_REFUSALS["failed"])


_KEY_PATTERN = re.compile(r"[0-9a-f]{64}")


def _cookie_pairs(header: str) -> list[tuple[str, str]]:
    pairs = []
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            pairs.append((name.strip(), value.strip()))
    return pairs


def cookie_value(header: str, name: str) -> str:
    """One cookie's value from a ``cookie`` header, or ''."""
    return next((value for key, value in _cookie_pairs(header) if key == name), "")


def session_key_from_cookie_header(header: str | None) -> str:
    """The session key ``SessionKeyMiddleware`` left in a request's cookie header, or ''."""
    key = cookie_value(header or "", SESSION_KEY_COOKIE)
    return key if _KEY_PATTERN.fullmatch(key) else ""


def link_key_from_cookie_header(header: str | None) -> str:
    """The one-time link's key ``SessionKeyMiddleware`` left in a cookie header, or ''."""
    key = cookie_value(header or "", LINK_KEY_COOKIE)
    return key if _KEY_PATTERN.fullmatch(key) else ""


_HASHED_COOKIES = {SESSION_COOKIE: SESSION_KEY_COOKIE, LINK_COOKIE: LINK_KEY_COOKIE}


def rewrite_cookie_header(header: str) -> str:
    """The cookie header with each token (session, one-time link) replaced by its key, and any
    key the browser sent itself dropped."""
    kept: list[str] = []
    for name, value in _cookie_pairs(header):
        if name in _HASHED_COOKIES.values():
            continue
        if name in _HASHED_COOKIES:
            if value:
                kept.append(f"{_HASHED_COOKIES[name]}={session_key(value)}")
            continue
        kept.append(f"{name}={value}")
    return "; ".join(kept)


class SessionKeyMiddleware:
    """ASGI wrapper for Reflex: its requests and websockets never carry the session token."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = []
            for name, value in scope.get("headers", []):
                if name.lower() == b"cookie":
                    value = rewrite_cookie_header(value.decode("latin-1")).encode("latin-1")
                    if not value:
                        continue
                headers.append((name, value))
            scope = {**scope, "headers": headers}
        await self._app(scope, receive, send)


def same_site_origin(request: Request) -> bool:
    """A browser always names the page that posts; refuse posts made by another site's page."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser form or fetch: no cookie of the user's to abuse
    return bool(urlsplit(origin).hostname) and urlsplit(origin).hostname == request.url.hostname


def secure_cookie(request: Request, services: Services) -> bool:
    configured = services.settings.session_cookie_secure
    return configured if configured is not None else request.url.scheme == "https"


def client_address(request: Request) -> str:
    """Who is signing in, for the per-address throttle: the socket's peer, or, behind as many
    reverse proxies as the operator declared with ``REFLEX_TRUSTED_PROXY_HOPS`` (the setting
    Reflex reads for its websocket), the address that many hops back in X-Forwarded-For, as
    Reflex does. Never a header a client can simply make up."""
    peer = request.client.host if request.client else ""
    try:
        hops = int(os.environ.get("REFLEX_TRUSTED_PROXY_HOPS", "0") or 0)
    except ValueError:
        return peer
    forwarded = [
        part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part
    ]
    if hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    return peer


def _refused(code: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status)


def sign_in_endpoint(services: Callable[[], Services]) -> Callable[[Request], object]:
    async def sign_in(request: Request) -> Response:
        """Check the password, start a new session (a new token every time), set the cookie."""
        if not same_site_origin(request):
            return _refused("origin", 403)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_SIGN_IN_BODY:
                return _refused("too_large", 413)
        form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
        email = (form.get("email") or [""])[0]
        password = (form.get("password") or [""])[0]
        if not email.strip() or not password:
            return _refused("missing", 400)
        wired = services()
        address = client_address(request)
        try:
            # Throttled per email and per address before any hashing; the hash itself runs
            # on its own small pool, off the event loop (``AuthService.sign_in_async``).
            signed_in = await wired.auth.sign_in_async(email, password, address=address)
        except SignInThrottled as throttled:
            return _refused(f"throttled:{throttled.retry_after}", 429)
        except SignInFailed:
            return _refused("wrong", 401)
        return await signed_in_response(request, wired, signed_in.token)

    return sign_in


async def signed_in_response(request: Request, wired: Services, token: str) -> Response:
    """Answer a successful sign-in (password or one-time link): the new session's cookie."""
    # Whatever session this browser presented before is ended, not reused.
    await run_in_threadpool(wired.auth.sign_out, request.cookies.get(SESSION_COOKIE))
    response = JSONResponse({"ok": True, "next": AFTER_SIGN_IN})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=wired.settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request, wired),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def sign_out_endpoint(services: Callable[[], Services]) -> Callable[[Request], object]:
    async def sign_out(request: Request) -> Response:
        """End the session server-side, clear the cookie, go to the sign-in page."""
        if not same_site_origin(request):
            return PlainTextResponse("Sign-out must come from this site.", status_code=403)
        wired = services()
        await run_in_threadpool(wired.auth.sign_out, request.cookies.get(SESSION_COOKIE))
        origin = request.headers.get("origin", "")
        target = f"{origin}{AFTER_SIGN_OUT}" if origin else AFTER_SIGN_OUT
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(
            SESSION_COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=secure_cookie(request, wired),
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    return sign_out


def session_routes(services: Callable[[], Services] = get_services) -> list[Route]:
    """``POST /auth/sign-in`` and ``POST /auth/sign-out``, mounted in front of Reflex."""
    return [
        Route(SIGN_IN_PATH, sign_in_endpoint(services), methods=["POST"]),
        Route(SIGN_OUT_PATH, sign_out_endpoint(services), methods=["POST"]),
    ]
