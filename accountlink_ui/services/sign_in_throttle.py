"""Throttling of failed sign-ins, per typed email and per client address.

Wrong passwords used to cost the attacker nothing and the server an argon2
check each. Now every email (known or not, so the answer says nothing about
which accounts exist) and every client address has a counter in the database,
shared by every backend worker: a few failures are free, each one after that
makes the next attempt wait twice as long, and at the lockout threshold the
email or address is refused for a while. A refused attempt never reaches the
password check, so a flood cannot buy CPU.

An attempt is counted *before* its password is checked and forgiven when it
succeeds: counting afterwards would let many attempts sent at the same moment
all pass the check while the first of them is still hashing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from accountlink_ui import sign_in_repository as throttle
from accountlink_ui.models import SignInThrottle as ThrottleRow
from accountlink_ui.models import as_utc, utcnow
from accountlink_ui.settings import Settings

_DEFAULT_KEY = b"accountlink sign-in throttle (no key ring given)"


@dataclass(frozen=True)
class ThrottlePolicy:
    """How failures of one email or one address turn into waits."""

    free_failures: int = 5
    first_delay_seconds: float = 1.0
    lockout_failures: int = 20
    lockout_seconds: float = 15 * 60

    def wait_after(self, failures: int) -> float:
        """Seconds the next attempt must wait after ``failures`` failures in a row."""
        if failures >= self.lockout_failures:
            return self.lockout_seconds
        if failures <= self.free_failures:
            return 0.0
        exponent = min(failures - self.free_failures - 1, 62)
        return min(self.first_delay_seconds * 2.0**exponent, self.lockout_seconds)


def policies_from(settings: Settings) -> tuple[ThrottlePolicy, ThrottlePolicy]:
    """(per email, per address) from the operator's settings."""
    lockout = settings.signin_lockout_minutes * 60
    account = ThrottlePolicy(
        free_failures=settings.signin_free_failures,
        first_delay_seconds=settings.signin_first_delay_seconds,
        lockout_failures=settings.signin_lockout_failures,
        lockout_seconds=lockout,
    )
    address = ThrottlePolicy(
        free_failures=settings.signin_address_free_failures,
        first_delay_seconds=settings.signin_first_delay_seconds,
        lockout_failures=settings.signin_address_lockout_failures,
        lockout_seconds=lockout,
    )
    return account, address


@dataclass(frozen=True)
class Keys:
    account: str
    address: str

    @property
    def both(self) -> tuple[str, str]:
        return (self.account, self.address)


@dataclass(frozen=True)
class Refusal:
    """The attempt was not allowed to check its password."""

    retry_after: int
    """Whole seconds until the next attempt may be checked."""
    until: datetime
    first_of_block: bool
    """True once per block of the email's row: the one refusal the audit trail records."""
    locked: bool
    """The lockout, rather than one of the growing delays."""


@dataclass(frozen=True)
class Admission:
    """The attempt may check its password; it already counts as a failure until it succeeds."""

    account_failures: int
    address_failures: int


class SignInThrottle:
    """The counters and the rules; callers hand in the open session (their transaction)."""

    def __init__(
        self,
        *,
        key: bytes = _DEFAULT_KEY,
        account: ThrottlePolicy = ThrottlePolicy(),
        address: ThrottlePolicy = ThrottlePolicy(free_failures=20, lockout_failures=100),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._key = key
        self.account = account
        self.address = address
        self._clock = clock
        self._next_purge: datetime | None = None

    def keys(self, email: str, address: str) -> Keys:
        """HMACs, so the table holds neither typed emails nor addresses."""
        return Keys(account=self._digest("email", email), address=self._digest("address", address))

    def _digest(self, kind: str, value: str) -> str:
        message = f"{kind}\0{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def refusal(self, session: Session, keys: Keys, *, mark_audited: bool) -> Refusal | None:
        """A Refusal when either counter is blocked now; reads only, unless ``mark_audited``.

        ``mark_audited`` (the email belongs to an account) notes on the email's row that
        this block's refusals are in the audit trail, so a flood writes one entry per block.
        """
        now = self._clock()
        rows = throttle.throttle_rows(session, keys.both)
        refusal = self._refusal(rows.get(keys.account), rows.get(keys.address), now)
        if refusal is not None and mark_audited and refusal.first_of_block:
            row = self._lock(session, (keys.account,), now)[keys.account]
            if as_utc(row.refusal_audited_until) == refusal.until:
                # Another worker's refusal of the same moment got the lock first.
                return dataclasses.replace(refusal, first_of_block=False)
            row.refusal_audited_until = refusal.until
            session.add(row)
        return refusal

    def _refusal(
        self, account: ThrottleRow | None, address: ThrottleRow | None, now: datetime
    ) -> Refusal | None:
        blocks = [
            (until, row.failures >= policy.lockout_failures)
            for row, policy in ((account, self.account), (address, self.address))
            if row is not None and (until := _blocked(row, now)) is not None
        ]
        if not blocks:
            return None
        until = max(block for block, _ in blocks)
        audited = as_utc(account.refusal_audited_until) if account is not None else None
        return Refusal(
            retry_after=max(1, math.ceil((until - now).total_seconds())),
            until=until,
            first_of_block=audited != until,
            locked=any(locked for _, locked in blocks),
        )

    def admit(self, session: Session, keys: Keys, *, mark_audited: bool) -> Refusal | Admission:
        """Count the attempt on both rows under their locks, or refuse it.

        The rows are locked (PostgreSQL: row locks, in key order so two attempts never
        deadlock; SQLite: its one write lock), and the block checked again under the lock:
        attempts sent at the same moment take turns here, and only as many as the rules
        allow get through to the password check.
        """
        now = self._clock()
        self._purge(session, now)
        rows = self._lock(session, keys.both, now)
        for row in rows.values():
            if _blocked(row, now) is None and _stale(row, now, self.account.lockout_seconds):
                row.failures = 0
                row.blocked_until = None
        refusal = self._refusal(rows[keys.account], rows[keys.address], now)
        if refusal is not None:
            if mark_audited and refusal.first_of_block:
                rows[keys.account].refusal_audited_until = refusal.until
                session.add(rows[keys.account])
            return refusal
        counted = {}
        for key, policy in ((keys.account, self.account), (keys.address, self.address)):
            row = rows[key]
            row.failures += 1
            row.last_attempt_at = now
            wait = policy.wait_after(row.failures)
            row.blocked_until = now + timedelta(seconds=wait) if wait > 0 else None
            session.add(row)
            counted[key] = row.failures
        return Admission(
            account_failures=counted[keys.account], address_failures=counted[keys.address]
        )

    def succeeded(self, session: Session, keys: Keys) -> None:
        """The password was right: the email starts afresh, the address forgets this attempt."""
        throttle.delete_throttle_row(session, keys.account)
        address = self._lock(session, (keys.address,), self._clock()).get(keys.address)
        if address is not None and address.failures > 0:
            address.failures -= 1
            if self.address.wait_after(address.failures) == 0:
                address.blocked_until = None  # the wait this attempt itself had started
            session.add(address)

    def _lock(self, session: Session, keys: Sequence[str], now: datetime) -> dict[str, ThrottleRow]:
        """Create missing rows (racing creators are fine) and lock them, in key order.

        A row can vanish between its insert (a no-op when it existed) and the lock: a
        successful sign-in of the same email in another transaction deletes it. Then
        it is created again (PostgreSQL's read-committed insert sees the delete): 400
        sign-ins of one account from 4 clients at once answered HTTP 500 without this.
        """
        ordered = sorted(set(keys))
        locked: dict[str, ThrottleRow] = {}
        for _ in range(_LOCK_ATTEMPTS):
            throttle.create_throttle_rows(
                session, [key for key in ordered if key not in locked], now
            )
            locked = throttle.lock_throttle_rows(session, ordered)
            if len(locked) == len(ordered):
                break
        return locked

    def _purge(self, session: Session, now: datetime) -> None:
        """Forget quiet rows now and then (per process), so random emails do not pile up."""
        if self._next_purge is not None and now < self._next_purge:
            return
        window = timedelta(seconds=self.account.lockout_seconds)
        self._next_purge = now + window
        throttle.purge_throttle_rows(session, quiet_since=now - window)


_LOCK_ATTEMPTS = 5
"""Each retry follows a commit by another sign-in of the same email; more in a row is absurd."""


def _blocked(row: ThrottleRow, now: datetime) -> datetime | None:
    until = as_utc(row.blocked_until)
    return until if until is not None and until > now else None


def _stale(row: ThrottleRow, now: datetime, window_seconds: float) -> bool:
    """Quiet for a whole window since the last attempt and since its block ended."""
    last = max(t for t in (as_utc(row.last_attempt_at), as_utc(row.blocked_until)) if t)
    return now - last >= timedelta(seconds=window_seconds)
