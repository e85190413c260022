"""Master keys, the key ring, and where the ring comes from.

The ring is ordered oldest to newest: the newest key wraps every new data key,
every key in the ring can still unwrap, so rotation is "add a key, re-wrap
the rows, drop the old key" without downtime. Operators give keys through
``ACCOUNTLINK_MASTER_KEYS`` (which wins and is never written back) or a key
file; the embedded default creates an owner-only key file on first run.

Error messages name the source, the entry and the field, never key bytes,
and never echo a malformed key id (a swapped ``key:id`` would otherwise print
the key).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from accountlink_ui.vault.errors import KeyRingError, UnknownKeyError

KEY_BYTES = 32
ENV_VAR = "ACCOUNTLINK_MASTER_KEYS"
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_GENERATED_KEY_ID = re.compile(r"mk-(\d{8})-[0-9a-f]{6}")
_KEY_ID_RULE = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OWNER_ONLY = 0o600
_PRIVATE_DIR = 0o700
SEAL_LOCK_SECONDS = 30.0
"""How long a save waits for a rotation in progress before it gives up with a clear error."""
ROTATING_MESSAGE = (
    "The master key is being rotated right now; saving credentials waited "
    f"{SEAL_LOCK_SECONDS:g} s for it. Try again in a minute."
)


@dataclass(frozen=True)
class MasterKey:
    """One AES-256 key-encryption key; ``key`` stays out of repr and logs."""

    key_id: str
    key: bytes = field(repr=False)
    created_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise KeyRingError(f"the key id is not valid: use {_KEY_ID_RULE}")
        if not isinstance(self.key, bytes):
            raise KeyRingError(f"master key {self.key_id!r} must be bytes")
        if len(self.key) != KEY_BYTES:
            raise KeyRingError(
                f"master key {self.key_id!r} is {len(self.key)} bytes; "
                f"a master key must be {KEY_BYTES} bytes (AES-256)"
            )
        if self.created_at.tzinfo is None:
            raise KeyRingError(f"master key {self.key_id!r} has a created_at without a time zone")

    @classmethod
    def generate(
        cls, *, now: datetime | None = None, taken: frozenset[str] = frozenset()
    ) -> MasterKey:
        """A fresh random key whose id sorts by creation day and avoids ``taken``."""
        created_at = now or datetime.now(UTC)
        while True:
            key_id = f"mk-{created_at.astimezone(UTC):%Y%m%d}-{secrets.token_hex(3)}"
            if key_id not in taken:
                return cls(key_id=key_id, key=secrets.token_bytes(KEY_BYTES), created_at=created_at)


@dataclass(frozen=True)
class KeyRing:
    """An immutable, non-empty, oldest-to-newest sequence of master keys.

    Immutable so a rotation builds a new ring and saves it before any row is
    re-wrapped: a crash halfway leaves a ring that still opens every row.
    """

    keys: tuple[MasterKey, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(self.keys))
        if not self.keys:
            raise KeyRingError("a key ring needs at least one master key")
        seen: set[str] = set()
        for master_key in self.keys:
            if master_key.key_id in seen:
                raise KeyRingError(f"master key id {master_key.key_id!r} appears twice")
            seen.add(master_key.key_id)

    @classmethod
    def generate(cls, *, now: datetime | None = None) -> KeyRing:
        """A ring holding one fresh key: the embedded default on first run."""
        return cls((MasterKey.generate(now=now),))

    @property
    def current(self) -> MasterKey:
        """The newest key, the only one used to wrap new data keys."""
        return self.keys[-1]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(master_key.key_id for master_key in self.keys)

    def get(self, key_id: str) -> MasterKey:
        for master_key in self.keys:
            if master_key.key_id == key_id:
                return master_key
        raise UnknownKeyError(key_id, self.key_ids)

    def with_new_key(self, *, now: datetime | None = None) -> KeyRing:
        """This ring plus a fresh key that becomes current (step one of rotation)."""
        new_key = MasterKey.generate(now=now, taken=frozenset(self.key_ids))
        return KeyRing((*self.keys, new_key))

    def without(self, key_id: str) -> KeyRing:
        """This ring minus an old key, once no row is wrapped by it any more.

        The current key is never dropped: that would either empty the ring or
        silently make an older key the one that seals new secrets.
        """
        self.get(key_id)
        if key_id == self.current.key_id:
            if len(self.keys) == 1:
                raise KeyRingError(f"cannot remove {key_id!r}: it is the only master key")
            raise KeyRingError(
                f"cannot remove {key_id!r}: it is the current master key; "
                "add a newer key and re-wrap every credential first"
            )
        return KeyRing(tuple(k for k in self.keys if k.key_id != key_id))


@dataclass(frozen=True)
class _FileStamp:
    """What tells a changed key file apart cheaply: one ``stat``, no read."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> _FileStamp | None:
        try:
            status = os.stat(path)
        except OSError:
            return None
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


class KeySource:
    """The key ring a running process uses, kept in step with the key file.

    Another process (``accountlink keys rotate``) may add and retire keys while
    this one runs. The ring is re-read when the key file's device, inode, size
    or modification time changed (one ``stat``, before every seal) and when a
    row names a key id the ring does not hold (before giving up on an open).
    ``save_key_ring`` replaces the file by rename, so a rotation always changes
    the inode and a reader never sees half a file.

    Rings from ``ACCOUNTLINK_MASTER_KEYS`` (or handed in directly) are fixed for
    the life of the process: there is no file to watch.

    **Sealing versus retiring.** A stat check alone cannot stop this race: a
    process checks the file, a rotation then adds the new key, re-wraps every
    row and retires the old key, and only then does the process commit the
    row it sealed with the old key, which nothing can open any more. So saving
    and rotating share a lock file next to the key file (``<key file>.lock``,
    ``flock``): a save holds it *shared* from the freshness check through the
    database commit of the sealed row (:meth:`sealing`), and a rotation holds
    it *exclusive* from adding the key to retiring the old one
    (:meth:`rotating`). A rotation therefore starts only after every save that
    may have used the old key has committed (so its re-wrap sees those rows),
    and every save that starts later re-reads the file under the lock and seals
    with the new key. The rotation also re-checks the database after retiring
    and puts the old key back if anything still uses it (a process that does
    not take the lock, e.g. an older build), so no row is ever left without its
    key. ``flock`` is advisory and per host: processes sharing one key file on
    one host are covered; the re-check is what remains for anything else.
    """

    def __init__(
        self,
        ring: KeyRing,
        *,
        key_file: Path | None = None,
        on_reload: Callable[[KeyRing], None] | None = None,
    ) -> None:
        self._ring = ring
        self._key_file = key_file
        # No stamp yet: the first check re-reads the file, so a rotation that
        # finished between loading ``ring`` and building this source is not missed.
        self._stamp: _FileStamp | None = None
        self._guard = threading.Lock()
        self._on_reload = on_reload
        self.reloads = 0
        """How many times the file was read again (for tests and operators)."""

    @classmethod
    def fixed(cls, ring: KeyRing) -> KeySource:
        """A ring that never changes (environment keys, tests)."""
        return cls(ring)

    @property
    def key_file(self) -> Path | None:
        """The watched file, or None for a fixed ring."""
        return self._key_file

    @property
    def ring(self) -> KeyRing:
        """The ring as last read, without touching the file."""
        return self._ring

    def fresh(self) -> KeyRing:
        """The ring, re-read first if the key file changed since it was last read."""
        if self._key_file is None:
            return self._ring
        stamp = _FileStamp.of(self._key_file)
        if stamp is None or stamp == self._stamp:
            # A key file that vanished under a running process is an operator
            # mistake: keep the keys in memory rather than invent new ones.
            return self._ring
        return self._read(stamp)

    def reload(self) -> KeyRing:
        """Read the key file again now (a row named a key id this ring does not hold)."""
        if self._key_file is None:
            return self._ring
        stamp = _FileStamp.of(self._key_file)
        if stamp is None:
            return self._ring
        return self._read(stamp)

    def _read(self, stamp: _FileStamp) -> KeyRing:
        assert self._key_file is not None
        with self._guard:
            ring = _read_key_file(self._key_file)
            # Stamp taken before the read: a change during the read is caught next time.
            self._ring, self._stamp = ring, stamp
            self.reloads += 1
        if self._on_reload is not None:
            self._on_reload(ring)
        return ring

    @contextlib.contextmanager
    def sealing(self, *, wait_seconds: float = SEAL_LOCK_SECONDS) -> Iterator[KeyRing]:
        """Hold the shared lock while sealing and committing; yields the fresh ring.

        Waits at most ``wait_seconds`` for a rotation in progress, then raises
        :class:`KeyRingError` with :data:`ROTATING_MESSAGE`.
        """
        if self._key_file is None:
            yield self._ring
            return
        with _file_lock(self._key_file, exclusive=False, wait_seconds=wait_seconds):
            yield self.fresh()

    @contextlib.contextmanager
    def rotating(self, *, on_wait: Callable[[], None] | None = None) -> Iterator[KeyRing]:
        """Hold the exclusive lock for a whole rotation; ``on_wait`` runs if a save holds it."""
        if self._key_file is None:
            raise KeyRingError("a fixed key ring (environment keys) cannot be rotated here")
        with _file_lock(self._key_file, exclusive=True, wait_seconds=None, on_wait=on_wait):
            yield self.reload()


def lock_file_for(key_file: Path) -> Path:
    """Where saving and rotating coordinate (see :class:`KeySource`)."""
    return key_file.with_name(key_file.name + ".lock")


@contextlib.contextmanager
def _file_lock(
    key_file: Path,
    *,
    exclusive: bool,
    wait_seconds: float | None,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock; the re-check remains
        yield
        return
    path = lock_file_for(key_file)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, _OWNER_ONLY)
    except OSError as exc:
        raise KeyRingError(f"cannot open the key lock file {path}: {exc.strerror}") from None
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            if wait_seconds is None:
                fcntl.flock(fd, mode)
            else:
                _poll_lock(fd, mode, wait_seconds)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _poll_lock(fd: int, mode: int, wait_seconds: float) -> None:
    """``flock`` has no timeout: poll, so a stuck rotation cannot hang a save for ever."""
    import fcntl

    give_up = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= give_up:
                raise KeyRingError(ROTATING_MESSAGE) from None
            time.sleep(0.05)


def load_key_ring(
    *, env_value: str | None, key_file: Path, create_if_missing: bool = True
) -> KeyRing:
    """The key ring from the environment value, else the key file, else a new file.

    ``env_value`` wins and nothing is written, so a production deployment
    never leaves key material on disk by accident.
    """
    if env_value is not None:
        return _parse_env_value(env_value)
    try:
        return _read_key_file(key_file)
    except FileNotFoundError:
        if not create_if_missing:
            raise KeyRingError(
                f"no master keys: {ENV_VAR} is not set and key file {key_file} does not exist"
            ) from None
    return _create_key_file(KeyRing.generate(), key_file)


def save_key_ring(ring: KeyRing, key_file: Path) -> None:
    """Write ``ring`` atomically with owner-only permissions.

    Readers see either the old file or the new one, never half of either,
    because a torn key file would make every credential unreadable.
    """
    temp = _write_private_temp(ring, key_file)
    try:
        os.replace(temp, key_file)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise KeyRingError(f"cannot write key file {key_file}: {exc.strerror}") from None
    _fsync_dir(key_file.parent)


def _parse_env_value(value: str) -> KeyRing:
    if not value.strip():
        raise KeyRingError(
            f"{ENV_VAR} is set but empty: give comma-separated id:base64key entries, "
            "newest last, or unset it to use the key file"
        )
    keys: list[MasterKey] = []
    for number, entry in enumerate(value.split(","), start=1):
        where = f"{ENV_VAR} entry {number}"
        if not entry.strip():
            raise KeyRingError(f"{where} is empty (stray comma?)")
        key_id, separator, encoded = entry.strip().partition(":")
        if not separator:
            raise KeyRingError(f"{where} has no ':'; write each entry as id:base64key")
        keys.append(_master_key(where, key_id, encoded, _created_at_from_id(key_id)))
    return _ring(ENV_VAR, keys)


def _read_key_file(key_file: Path) -> KeyRing:
    """Parse the key file, refusing one that others could read or replace."""
    try:
        fd = os.open(key_file, os.O_RDONLY)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise KeyRingError(f"cannot read key file {key_file}: {exc.strerror}") from None
    try:
        # Checked on the open descriptor, so the file judged is the file read.
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise KeyRingError(f"key file {key_file} is not a regular file")
        mode = stat.S_IMODE(status.st_mode)
        if os.name == "posix" and mode & 0o077:
            raise KeyRingError(
                f"key file {key_file} is accessible by group or others (mode {mode:o}); "
                f"the vault loads only owner-only key files: run chmod 600 {key_file}"
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read()
    finally:
        os.close(fd)
    return _parse_key_file(raw, key_file)


def _parse_key_file(raw: bytes, key_file: Path) -> KeyRing:
    where = f"key file {key_file}"
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KeyRingError(
            f'{where} is not valid JSON; expected {{"keys": [{{"id", "key", "created_at"}}]}}'
        ) from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise KeyRingError(f'{where} needs a non-empty "keys" list')
    keys = [_key_from_json(f"{where}: keys[{index}]", entry) for index, entry in enumerate(entries)]
    return _ring(where, keys)


def _key_from_json(where: str, entry: Any) -> MasterKey:
    if not isinstance(entry, dict):
        raise KeyRingError(f'{where} must be an object with "id", "key" and "created_at"')
    for name in ("id", "key", "created_at"):
        if not isinstance(entry.get(name), str):
            raise KeyRingError(f"{where}.{name} is missing or not a string")
    try:
        created_at = datetime.fromisoformat(entry["created_at"])
    except ValueError:
        raise KeyRingError(f"{where}.created_at is not an ISO 8601 timestamp") from None
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)
    return _master_key(where, entry["id"], entry["key"], created_at)


def _master_key(where: str, key_id: str, encoded: str, created_at: datetime) -> MasterKey:
    key_id = key_id.strip()
    if not _KEY_ID.fullmatch(key_id):
        raise KeyRingError(f"{where}: the key id is not valid; use {_KEY_ID_RULE}")
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyRingError(f"{where} (id {key_id!r}): the key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyRingError(
            f"{where} (id {key_id!r}): the key decodes to {len(key)} bytes; "
            f"a master key must be {KEY_BYTES} bytes (AES-256)"
        )
    return MasterKey(key_id=key_id, key=key, created_at=created_at)


def _ring(where: str, keys: list[MasterKey]) -> KeyRing:
    try:
        return KeyRing(tuple(keys))
    except KeyRingError as exc:
        raise KeyRingError(f"{where}: {exc}") from None


def _created_at_from_id(key_id: str) -> datetime:
    """The env format has no timestamp; generated ids carry their day, others get the epoch."""
    match = _GENERATED_KEY_ID.fullmatch(key_id.strip())
    if match:
        with contextlib.suppress(ValueError):
            return datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC)
    return _EPOCH


def _serialize(ring: KeyRing) -> bytes:
    document = {
        "keys": [
            {
                "id": master_key.key_id,
                "key": base64.b64encode(master_key.key).decode("ascii"),
                "created_at": master_key.created_at.isoformat(),
            }
            for master_key in ring.keys
        ]
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _create_key_file(ring: KeyRing, key_file: Path) -> KeyRing:
    """Create the first key file without clobbering one made concurrently.

    Two workers starting together must end up with the same key: the loser
    of the race reads the winner's file instead of replacing it.
    """
    temp = _write_private_temp(ring, key_file)
    try:
        os.link(temp, key_file)
    except FileExistsError:
        return _read_key_file(key_file)
    except OSError:
        return _create_exclusive(ring, key_file)
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(key_file.parent)
    return ring


def _create_exclusive(ring: KeyRing, key_file: Path) -> KeyRing:
    """Fallback for filesystems without hard links: O_EXCL still refuses to clobber."""
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _OWNER_ONLY)
    except FileExistsError:
        return _read_key_file(key_file)
    except OSError as exc:
        raise KeyRingError(f"cannot create key file {key_file}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(_serialize(ring))
        handle.flush()
        os.fsync(handle.fileno())
    return ring


def _write_private_temp(ring: KeyRing, key_file: Path) -> Path:
    _make_private_dirs(key_file.parent)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{key_file.name}.", suffix=".tmp", dir=key_file.parent)
    except OSError as exc:
        raise KeyRingError(f"cannot write key file {key_file}: {exc.strerror}") from None
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            if os.name == "posix":
                os.fchmod(handle.fileno(), _OWNER_ONLY)
            handle.write(_serialize(ring))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _make_private_dirs(directory: Path) -> None:
    """Create missing directories as 0o700; existing ones are left as the operator set them."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        if directory.parent == directory:
            break
        directory = directory.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=_PRIVATE_DIR)
        except FileExistsError:
            continue
        except OSError as exc:
            raise KeyRingError(f"cannot create key directory {path}: {exc.strerror}") from None
        if os.name == "posix":
            path.chmod(_PRIVATE_DIR)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; best effort where directories cannot be opened."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
