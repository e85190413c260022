"""Browser sessions end at sign-out, when idle too long, and at their absolute lifetime."""

from __future__ import annotations

from sqlalchemy import event

from accountlink_ui.services.auth_service import RECHECK_INTERVAL, AuthService, session_key
from tests.support.clock import FakeClock
from tests.support.world import ADMIN_EMAIL, PASSWORD, SeededWorld


def _auth(world: SeededWorld, clock: FakeClock, *, idle: int = 30, hours: int = 12) -> AuthService:
    return AuthService(
        engine=world.services.engine, session_hours=hours, idle_minutes=idle, clock=clock
    )


def test_signed_out_session_is_refused_when_its_old_cookie_comes_back(
    session_world: SeededWorld,
) -> None:
    auth = session_world.services.auth
    token = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    assert auth.resolve_key(session_key(token)) is not None

    auth.sign_out(token)

    assert auth.resolve(token) is None
    assert auth.resolve_key(session_key(token)) is None


def test_idle_session_is_refused_and_stays_ended(session_world: SeededWorld) -> None:
    clock = FakeClock()
    auth = _auth(session_world, clock, idle=30)
    key = session_key(auth.sign_in(ADMIN_EMAIL, PASSWORD).token)

    clock.advance(minutes=29)
    assert auth.resolve_key(key) is not None, "29 minutes idle is within the timeout"
    clock.advance(minutes=30, seconds=1)
    assert auth.resolve_key(key) is None, "30 minutes without an event ends the session"
    clock.advance(seconds=1)
    assert auth.resolve_key(key) is None


def test_activity_keeps_a_session_alive_until_its_absolute_lifetime(
    session_world: SeededWorld,
) -> None:
    clock = FakeClock()
    auth = _auth(session_world, clock, idle=30, hours=12)
    key = session_key(auth.sign_in(ADMIN_EMAIL, PASSWORD).token)

    for _ in range(12 * 3 - 1):  # an event every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert auth.resolve_key(key) is not None, f"active session refused at {clock.now}"
    clock.advance(minutes=20)  # 12 h after sign-in
    assert auth.resolve_key(key) is None


def test_every_sign_in_gets_a_new_token(session_world: SeededWorld) -> None:
    auth = session_world.services.auth
    first = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    second = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    assert first != second
    assert len(second) >= 40


def test_a_session_key_is_not_a_token(session_world: SeededWorld) -> None:
    """What Reflex's state may hold (the key) does not sign anyone in when sent as a token."""
    auth = session_world.services.auth
    token = auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    assert auth.resolve(session_key(token)) is None
    assert auth.resolve_key(token) is None


def test_a_session_is_read_once_per_recheck_interval_and_sign_out_elsewhere_is_seen_after_it(
    session_world: SeededWorld,
) -> None:
    """Each websocket event resolves its session twice (gate, then handler): one read serves
    both. Sign-out in another worker takes effect within the recheck interval."""
    clock = FakeClock()
    engine = session_world.services.engine
    worker_a, worker_b = _auth(session_world, clock), _auth(session_world, clock)
    key = session_key(worker_a.sign_in(ADMIN_EMAIL, PASSWORD).token)
    reads: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "FROM user_sessions" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert worker_a.resolve_key(key) is not None
        assert worker_a.resolve_key(key) is not None
        assert len(reads) == 1, "the second resolve within the interval reads nothing"

        worker_b.sign_out_key(key)
        clock.advance(seconds=RECHECK_INTERVAL.total_seconds())
        assert worker_a.resolve_key(key) is None, "signed out in another worker"
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_sign_out_in_the_same_worker_is_refused_at_once(session_world: SeededWorld) -> None:
    clock = FakeClock()
    auth = _auth(session_world, clock)
    key = session_key(auth.sign_in(ADMIN_EMAIL, PASSWORD).token)
    assert auth.resolve_key(key) is not None
    auth.sign_out_key(key)
    assert auth.resolve_key(key) is None
