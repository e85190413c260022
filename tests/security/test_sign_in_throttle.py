"""Sign-in cannot be used to stall everyone: throttled per email and per address, shared by
every worker, audited, and the password check never runs on the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, event, text

from accountlink_ui.db import engine_for, session_scope
from accountlink_ui.models import Role, User, utcnow
from accountlink_ui.services import auth_service
from accountlink_ui.services.audit_service import AuditService
from accountlink_ui.services.auth_service import (
    THROTTLED,
    WRONG_CREDENTIALS,
    AuthService,
    SignedIn,
    wait_text,
)
from accountlink_ui.services.errors import SignInFailed, SignInThrottled
from accountlink_ui.services.sign_in_throttle import SignInThrottle, ThrottlePolicy
from accountlink_ui.services.wiring import build_services
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor
from tests.support.run_async import run_async

PASSWORD = "correct horse battery staple"
KARI = "kari@blindeforbundet.example"
NOBODY = "nobody@blindeforbundet.example"
_cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_CHEAP_HASH = _cheap.hash(PASSWORD)
ACCOUNT_DEFAULTS = ThrottlePolicy(free_failures=5, lockout_failures=20)
ADDRESS_DEFAULTS = ThrottlePolicy(free_failures=20, lockout_failures=100)


class CountingHasher:
    """The real argon2 check, counted: a throttled attempt must never reach it."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def verify(self, hash: str, password: str) -> object:
        with self._lock:
            self.calls += 1
        return _cheap.verify(hash, password)


@dataclass
class World:
    url: str
    engine: Engine
    organization_id: int
    admin: Actor
    now: list[datetime]
    hasher: CountingHasher = field(default_factory=CountingHasher)
    key: bytes = b"test throttle key"

    def clock(self) -> datetime:
        return self.now[0]

    def later(self, seconds: float) -> None:
        self.now[0] += timedelta(seconds=seconds)

    def auth(
        self,
        engine: Engine | None = None,
        *,
        account: ThrottlePolicy = ACCOUNT_DEFAULTS,
        address: ThrottlePolicy = ADDRESS_DEFAULTS,
        hasher: object | None = None,
        hash_workers: int = 2,
        throttled_answer_seconds: float = 0.0,
    ) -> AuthService:
        throttle = SignInThrottle(key=self.key, account=account, address=address, clock=self.clock)
        return AuthService(
            engine=engine or self.engine,
            throttle=throttle,
            hasher=hasher or self.hasher,  # type: ignore[arg-type]
            hash_workers=hash_workers,
            throttled_answer_seconds=throttled_answer_seconds,
        )

    def other_worker(self) -> Engine:
        """An engine of its own (its own connection pool), as another backend worker has."""
        return engine_for.__wrapped__(self.url)  # type: ignore[attr-defined]


@pytest.fixture
def world(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    # Unknown emails are checked against a stand-in hash as costly as a real one: here,
    # as cheap as the test account's, so both kinds of attempt do the same work.
    monkeypatch.setattr(auth_service, "_DUMMY_HASH", _cheap.hash("timing-equaliser"))
    services = build_services(
        Settings(
            database_url=database_url, data_dir=tmp_path, master_key_file=tmp_path / "keys.json"
        )
    )
    org = services.auth.create_organization(name="Blindeforbundet", slug="bf")
    admin = services.auth.create_user(email="ada@blindeforbundet.example", name="Ada", password="x")
    services.auth.add_membership(organization_id=org, user_id=admin.user_id, role=Role.ADMIN)
    kari = services.auth.create_user(email=KARI, name="Kari", password=PASSWORD)
    services.auth.add_membership(organization_id=org, user_id=kari.user_id, role=Role.MEMBER)
    with session_scope(services.engine) as session:
        user = session.get(User, kari.user_id)
        assert user is not None
        user.password_hash = _CHEAP_HASH  # the same check, cheaper: floods stay quick
        session.add(user)
    return World(database_url, services.engine, org, admin, [utcnow()])


def attempt(auth: AuthService, email: str, password: str, address: str) -> str | int:
    """'ok', 'wrong', or the seconds a throttled attempt was told to wait."""
    try:
        auth.sign_in(email, password, address=address)
    except SignInThrottled as throttled:
        assert str(throttled) == THROTTLED.format(wait=wait_text(throttled.retry_after))
        return throttled.retry_after
    except SignInFailed as failed:
        assert str(failed) == WRONG_CREDENTIALS
        return "wrong"
    return "ok"


def flood(world: World, auth: AuthService, email: str, addresses: list[str]) -> list[str | int]:
    """Wrong passwords from several addresses in turn, waiting out every delay, until the
    lockout: what an attacker who honours the waits gets."""
    outcomes: list[str | int] = []
    for turn in range(60):
        outcome = attempt(auth, email, "guess-" + str(turn), addresses[turn % len(addresses)])
        outcomes.append(outcome)
        if outcomes.count("wrong") == 20 and isinstance(outcome, int):
            break
        if isinstance(outcome, int):
            world.later(outcome)
    return outcomes


ADDRESSES = ["198.51.100.7", "203.0.113.9", "2001:db8::1"]
# 5 free failures, then 1, 2, 4 ... s (capped at the lockout), lockout after the 20th.
EXPECTED_WAITS = [min(2**n, 900) for n in range(14)] + [900]


def test_a_flood_from_several_addresses_is_slowed_then_locked_out(world: World) -> None:
    auth = world.auth()
    outcomes = flood(world, auth, KARI, ADDRESSES)

    assert outcomes[:6] == ["wrong"] * 6, "five free failures, and the sixth is checked too"
    assert [o for o in outcomes if isinstance(o, int)] == EXPECTED_WAITS
    assert outcomes.count("wrong") == 20
    assert world.hasher.calls == 20, "only attempts that were let through were hashed"

    # Locked out: even the right password is refused, unchecked, from a fresh address.
    assert attempt(auth, KARI, PASSWORD, "192.0.2.50") == 900
    world.later(899)
    assert attempt(auth, KARI, PASSWORD, "192.0.2.50") == 1
    assert world.hasher.calls == 20
    world.later(1)
    assert attempt(auth, KARI, PASSWORD, "192.0.2.50") == "ok"


def test_one_address_spraying_many_emails_is_throttled_and_others_are_not(world: World) -> None:
    auth = world.auth(address=ThrottlePolicy(free_failures=3, lockout_failures=5))
    sprayer, neighbour = "198.51.100.7", "203.0.113.9"
    outcomes = [attempt(auth, f"user{n}@example.org", "guess", sprayer) for n in range(5)]
    assert outcomes == ["wrong", "wrong", "wrong", "wrong", 1]
    assert attempt(auth, KARI, PASSWORD, sprayer) == 1, "the address, not the email, is slowed"
    assert attempt(auth, KARI, PASSWORD, neighbour) == "ok"


def test_unknown_and_known_emails_get_the_same_answers(world: World) -> None:
    known = flood(world, world.auth(), KARI, ADDRESSES)
    checks_for_known = world.hasher.calls
    unknown = flood(world, world.auth(), NOBODY, ["192.0.2.1", "192.0.2.2", "192.0.2.3"])

    assert unknown == known
    assert world.hasher.calls - checks_for_known == checks_for_known, (
        "as many password checks for an unknown email as for a known one"
    )


def test_a_throttled_attempt_never_runs_the_hasher(world: World) -> None:
    auth = world.auth(account=ThrottlePolicy(free_failures=1, lockout_failures=3))
    assert attempt(auth, KARI, "wrong-1", ADDRESSES[0]) == "wrong"
    assert attempt(auth, KARI, "wrong-2", ADDRESSES[1]) == "wrong"
    checked = world.hasher.calls
    for address in ADDRESSES * 5:
        assert attempt(auth, KARI, PASSWORD, address) == 1
        assert attempt(auth, NOBODY, "x", address) in ("wrong", 1)
    assert world.hasher.calls - checked == 2, "only the unknown email's first two attempts"


def test_success_clears_the_accounts_counter(world: World) -> None:
    auth = world.auth()
    for n in range(5):
        assert attempt(auth, KARI, f"typo-{n}", ADDRESSES[0]) == "wrong"
    assert attempt(auth, KARI, PASSWORD, ADDRESSES[0]) == "ok"
    for n in range(6):
        assert attempt(auth, KARI, f"typo-again-{n}", ADDRESSES[0]) == "wrong"
    assert attempt(auth, KARI, "once more", ADDRESSES[0]) == 1


def test_a_successful_sign_in_does_not_slow_its_address_down(world: World) -> None:
    """It was counted before its password was checked; once right, it is forgiven."""
    auth = world.auth(address=ThrottlePolicy(free_failures=1, lockout_failures=10))
    assert attempt(auth, NOBODY, "typo", ADDRESSES[0]) == "wrong"
    assert attempt(auth, KARI, PASSWORD, ADDRESSES[0]) == "ok"
    assert attempt(auth, KARI, PASSWORD, ADDRESSES[0]) == "ok"


def test_a_counter_row_deleted_by_another_workers_success_is_made_again(world: World) -> None:
    """Between this attempt's insert (a no-op: the row exists) and its row lock, a successful
    sign-in of the same email elsewhere deletes the row; the attempt still gets its answer
    (it was HTTP 500 when 400 sessions of one admin signed in from 4 clients on PostgreSQL)."""
    if not world.url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: the other worker could not delete meanwhile")
    auth = world.auth()
    assert attempt(auth, KARI, "typo", ADDRESSES[0]) == "wrong"  # the account's row exists
    other = world.other_worker()
    deleted: list[int] = []

    def delete_first(conn, cursor, statement: str, *args: object) -> None:  # type: ignore[no-untyped-def]
        if "FOR UPDATE" in statement and not deleted:
            with other.begin() as elsewhere:
                deleted.append(elsewhere.execute(text("DELETE FROM sign_in_throttles")).rowcount)

    event.listen(world.engine, "before_cursor_execute", delete_first)
    try:
        assert attempt(auth, KARI, PASSWORD, ADDRESSES[0]) == "ok"
    finally:
        event.remove(world.engine, "before_cursor_execute", delete_first)
        other.dispose()
    assert deleted and deleted[0] >= 1, "the race was staged"


def test_two_workers_share_the_counters(world: World) -> None:
    other = world.other_worker()
    try:
        first, second = world.auth(), world.auth(other)
        for n in range(3):
            assert attempt(first, KARI, f"a-{n}", ADDRESSES[0]) == "wrong"
            assert attempt(second, KARI, f"b-{n}", ADDRESSES[1]) == "wrong"
        assert attempt(first, KARI, PASSWORD, ADDRESSES[2]) == 1
        assert attempt(second, KARI, PASSWORD, ADDRESSES[2]) == 1
    finally:
        other.dispose()


def test_attempts_sent_at_the_same_moment_cannot_outrun_the_counter(world: World) -> None:
    """Counted before the check: eight at once, on four workers, get three checks, not eight."""
    engines = [world.other_worker() for _ in range(4)]
    policy = ThrottlePolicy(free_failures=2, lockout_failures=3)
    results: list[str | int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def caller(auth: AuthService, n: int) -> Callable[[], None]:
        def call() -> None:
            start.wait(30)
            outcome = attempt(auth, KARI, f"burst-{n}", ADDRESSES[n % 3])
            with lock:
                results.append(outcome)

        return call

    threads = [
        threading.Thread(target=caller(world.auth(engines[n % 4], account=policy), n))
        for n in range(8)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for engine in engines:
            engine.dispose()
    assert len(results) == 8
    assert results.count("wrong") == 3 and world.hasher.calls == 3


def test_the_audit_trail_shows_failures_and_one_entry_per_block(world: World) -> None:
    auth = world.auth(account=ThrottlePolicy(free_failures=2, lockout_failures=4))
    for n in range(3):
        assert attempt(auth, KARI, f"secret-guess-{n}", ADDRESSES[n]) == "wrong"
    for _ in range(4):
        assert attempt(auth, KARI, "secret-guess-x", ADDRESSES[0]) == 1
    for n in range(3):
        assert attempt(auth, NOBODY, f"secret-guess-{n}", ADDRESSES[0]) == "wrong"

    events = AuditService(engine=world.engine).list_events(world.admin, world.organization_id)
    failed = [e for e in events if e.action == "sign_in.failed"]
    throttled = [e for e in events if e.action == "sign_in.throttled"]
    assert len(failed) == 3 and len(throttled) == 1
    assert {e.action_label for e in failed} == {"Failed sign-in"}
    assert throttled[0].action_label == "Sign-in throttled"
    assert (
        failed[-1].summary == f"Wrong password for {KARI} from {ADDRESSES[0]} (1 failure in a row)"
    )
    assert failed[0].summary.endswith("(3 failures in a row)")
    assert throttled[0].summary.startswith(
        f"Slowed down after repeated failures: sign-ins as {KARI}"
    )
    assert all(e.actor == "Someone signing in" for e in failed + throttled)
    everything = repr(events)
    assert "secret-guess" not in everything, "never the typed password"
    assert NOBODY not in everything, "unknown emails go to the log only"


def test_the_password_check_does_not_block_the_event_loop(world: World) -> None:
    """The check can only finish once the loop has ticked: on the loop it would wait forever."""
    ticked = threading.Event()

    class GatedHasher(CountingHasher):
        def verify(self, hash: str, password: str) -> object:
            assert ticked.wait(10), "the event loop stood still while the password was checked"
            return super().verify(hash, password)

    hasher = GatedHasher()
    auth = world.auth(hasher=hasher)

    async def ticker(ticks: list[int]) -> None:
        for n in range(1000):
            ticks.append(n)
            if len(ticks) >= 3:
                ticked.set()
            await asyncio.sleep(0.005)

    async def main() -> tuple[SignedIn, list[int]]:
        ticks: list[int] = []
        ticking = asyncio.create_task(ticker(ticks))
        signed_in = await auth.sign_in_async(KARI, PASSWORD, address=ADDRESSES[0])
        ticking.cancel()
        return signed_in, ticks

    signed_in, ticks = run_async(main())
    assert signed_in.actor.email == KARI and hasher.calls == 1 and len(ticks) >= 3


def test_a_flood_cannot_take_more_than_the_hashing_pool(world: World) -> None:
    """However many checks wait, at most ``hash_workers`` run at once."""
    running, peak = [0], [0]
    lock = threading.Lock()
    release = threading.Event()

    class SlowHasher(CountingHasher):
        def verify(self, hash: str, password: str) -> object:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            release.wait(10)
            with lock:
                running[0] -= 1
            return super().verify(hash, password)

    auth = world.auth(hasher=SlowHasher(), hash_workers=2)

    async def main() -> list[BaseException | SignedIn]:
        attempts = [
            asyncio.create_task(auth.sign_in_async(f"u{n}@example.org", "x", address=f"10.0.0.{n}"))
            for n in range(6)
        ]
        for _ in range(3000):
            with lock:
                if running[0] >= 2:
                    break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # room for a third check to start, if anything let it
        release.set()
        return await asyncio.gather(*attempts, return_exceptions=True)

    outcomes = run_async(main())
    assert all(isinstance(o, SignInFailed) for o in outcomes)
    assert peak[0] == 2


def test_refusals_are_paced_by_an_awaited_wait(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One connection cannot ask again at full speed, whether its attempt was checked (a wrong
    password) or throttled; the wait is awaited, not slept, so it costs the server nothing."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        # Only this test's own loop (run_async's thread): servers other tests left running
        # in this process sleep through the same module.
        if not threading.current_thread().name.startswith("test-loop"):
            await real_sleep(seconds)
            return
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(auth_service.asyncio, "sleep", recording_sleep)
    auth = world.auth(
        account=ThrottlePolicy(free_failures=0, lockout_failures=5), throttled_answer_seconds=1.5
    )

    async def main() -> list[str]:
        outcomes = []
        for _ in range(2):
            try:
                await auth.sign_in_async(KARI, "guess", address=ADDRESSES[0])
            except SignInThrottled:
                outcomes.append("throttled")
            except SignInFailed:
                outcomes.append("wrong")
        return outcomes

    assert run_async(main()) == ["wrong", "throttled"]
    assert waits == [1.5, 1.5], "the wrong password and the throttled attempt both answered late"


def test_text_typed_as_an_unknown_email_never_reaches_the_log(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """People paste passwords into the email field: what they typed is not logged."""
    caplog.set_level("DEBUG")
    auth = world.auth(account=ThrottlePolicy(free_failures=1, lockout_failures=50))
    typed = "Hunter2-my-real-password"
    for n in range(3):
        attempt(auth, typed, f"guess-{n}", ADDRESSES[0])
    assert "Failed sign-in for an email with no account" in caplog.text
    assert "Throttled sign-in for an email with no account" in caplog.text
    assert typed.lower() not in caplog.text.lower()
