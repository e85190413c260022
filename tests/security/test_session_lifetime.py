"""Browser sessions end at sign-out, when idle too long, and at their absolute lifetime."""

from __future__ import annotations

from accountlink_ui.services.auth_service import AuthService, session_key
from tests.security.conftest import ADMIN_EMAIL, PASSWORD, Clock, SessionWorld


def _auth(world: SessionWorld, clock: Clock, *, idle: int = 30, hours: int = 12) -> AuthService:
    return AuthService(
        engine=world.services.engine, session_hours=hours, idle_minutes=idle, clock=clock
    )


def test_signed_out_session_is_refused_when_its_old_cookie_comes_back(
    session_world: SessionWorld,
) -> None:
    auth = session_world.services.auth
    token = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    assert auth.resolve_key(session_key(token)) is not None

    auth.sign_out(token)

    assert auth.resolve(token) is None
    assert auth.resolve_key(session_key(token)) is None


def test_idle_session_is_refused_and_stays_ended(session_world: SessionWorld) -> None:
    clock = Clock()
    auth = _auth(session_world, clock, idle=30)
    key = session_key(auth.sign_in(ADMIN_EMAIL, PASSWORD).token)

    clock.advance(minutes=29)
    assert auth.resolve_key(key) is not None, "29 minutes idle is within the timeout"
    clock.advance(minutes=30, seconds=1)
    assert auth.resolve_key(key) is None, "30 minutes without an event ends the session"
    clock.advance(seconds=1)
    assert auth.resolve_key(key) is None


def test_activity_keeps_a_session_alive_until_its_absolute_lifetime(
    session_world: SessionWorld,
) -> None:
    clock = Clock()
    auth = _auth(session_world, clock, idle=30, hours=12)
    key = session_key(auth.sign_in(ADMIN_EMAIL, PASSWORD).token)

    for _ in range(12 * 3 - 1):  # an event every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert auth.resolve_key(key) is not None, f"active session refused at {clock.now}"
    clock.advance(minutes=20)  # 12 h after sign-in
    assert auth.resolve_key(key) is None


def test_every_sign_in_gets_a_new_token(session_world: SessionWorld) -> None:
    auth = session_world.services.auth
    first = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    second = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    assert first != second
    assert len(second) >= 40


def test_a_session_key_is_not_a_token(session_world: SessionWorld) -> None:
    """What Reflex's state may hold (the key) does not sign anyone in when sent as a token."""
    auth = session_world.services.auth
    token = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    assert auth.resolve(session_key(token)) is None
    assert auth.resolve_key(token) is None
