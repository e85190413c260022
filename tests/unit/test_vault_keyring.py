"""Master keys come from the environment or an owner-only key file, and rotate safely."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from accountlink_ui.vault import (
    KeyRing,
    KeyRingError,
    MasterKey,
    UnknownKeyError,
    VaultError,
    keyring,
    load_key_ring,
    save_key_ring,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
B64_A = base64.b64encode(KEY_A).decode()
B64_B = base64.b64encode(KEY_B).decode()
ALL_KEY_FORMS = [B64_A, B64_B, KEY_A.hex(), KEY_B.hex(), repr(KEY_A), repr(KEY_B)]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_no_key_material(message: str) -> None:
    for form in ALL_KEY_FORMS:
        assert form not in message


def _write_key_file(path: Path, document: object, mode: int = 0o600) -> None:
    path.write_text(json.dumps(document))
    path.chmod(mode)


def _entry(key_id: str, key_b64: str, created_at: str = "2026-01-02T03:04:05+00:00") -> dict:
    return {"id": key_id, "key": key_b64, "created_at": created_at}


# --- key ring behaviour -------------------------------------------------------


def test_new_keys_get_short_sortable_ids() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    ring = KeyRing.generate(now=now)

    assert re.fullmatch(r"mk-20261125-[0-9a-f]{6}", ring.current.key_id)
    assert len(ring.current.key) == 32
    assert ring.current.created_at == now


def test_with_new_key_appends_a_new_current_key_and_keeps_the_old_ones() -> None:
    ring = KeyRing.generate()

    rotated = ring.with_new_key()

    assert rotated.keys[:-1] == ring.keys
    assert rotated.current.key_id not in ring.key_ids
    assert rotated.current.key != ring.current.key
    assert rotated.get(ring.current.key_id) == ring.current
    assert ring.key_ids == (ring.current.key_id,), "the original ring is unchanged"


def test_without_drops_an_old_key() -> None:
    ring = KeyRing.generate().with_new_key()
    old_id = ring.keys[0].key_id

    assert ring.without(old_id).key_ids == (ring.current.key_id,)


def test_without_refuses_to_drop_the_only_key() -> None:
    ring = KeyRing.generate()

    with pytest.raises(KeyRingError, match="only master key"):
        ring.without(ring.current.key_id)


def test_without_refuses_to_drop_the_current_key() -> None:
    ring = KeyRing.generate().with_new_key()

    with pytest.raises(KeyRingError, match="current master key"):
        ring.without(ring.current.key_id)


def test_without_and_get_name_an_unknown_key() -> None:
    ring = KeyRing.generate()

    with pytest.raises(UnknownKeyError, match="mk-nope"):
        ring.without("mk-nope")
    with pytest.raises(UnknownKeyError, match="mk-nope"):
        ring.get("mk-nope")


def test_a_master_key_must_be_32_bytes() -> None:
    with pytest.raises(KeyRingError, match="16 bytes"):
        MasterKey("short", bytes(16), datetime.now(UTC))


def test_a_ring_refuses_duplicate_ids_and_emptiness() -> None:
    key = MasterKey("same", KEY_A, datetime.now(UTC))

    with pytest.raises(KeyRingError, match="'same' appears twice"):
        KeyRing((key, key))
    with pytest.raises(KeyRingError, match="at least one"):
        KeyRing(())


# --- key file -------------------------------------------------------------------


@posix_only
def test_first_run_creates_an_owner_only_key_file_that_reloads_identically(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "keys" / "master.keys"

    created = load_key_ring(env_value=None, key_file=key_file)

    assert _mode(key_file) == 0o600
    assert _mode(key_file.parent) == 0o700
    assert _mode(key_file.parent.parent) == 0o700
    assert load_key_ring(env_value=None, key_file=key_file) == created
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["master.keys"]


def test_key_file_uses_the_documented_json_format(tmp_path: Path) -> None:
    key_file = tmp_path / "master.keys"

    ring = load_key_ring(env_value=None, key_file=key_file)

    (entry,) = json.loads(key_file.read_text())["keys"]
    assert entry["id"] == ring.current.key_id
    assert base64.b64decode(entry["key"]) == ring.current.key
    assert datetime.fromisoformat(entry["created_at"]) == ring.current.created_at


@posix_only
def test_save_replaces_the_file_atomically_with_owner_only_mode(tmp_path: Path) -> None:
    key_file = tmp_path / "master.keys"
    ring = load_key_ring(env_value=None, key_file=key_file)
    rotated = ring.with_new_key()

    save_key_ring(rotated, key_file)

    assert _mode(key_file) == 0o600
    assert load_key_ring(env_value=None, key_file=key_file) == rotated
    assert [p.name for p in tmp_path.iterdir()] == ["master.keys"], "no temp file left behind"


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)

    load_key_ring(env_value=None, key_file=tmp_path / "master.keys")

    assert _mode(tmp_path) == 0o755


def test_a_key_file_created_concurrently_wins_over_ours(tmp_path: Path) -> None:
    """Two workers starting at once must share one key, not overwrite each other's."""
    key_file = tmp_path / "master.keys"
    theirs = load_key_ring(env_value=None, key_file=key_file)

    result = keyring._create_key_file(KeyRing.generate(), key_file)

    assert result == theirs
    assert load_key_ring(env_value=None, key_file=key_file) == theirs


def test_missing_file_without_creation_names_the_path_and_the_env_var(tmp_path: Path) -> None:
    key_file = tmp_path / "absent.keys"

    with pytest.raises(KeyRingError) as caught:
        load_key_ring(env_value=None, key_file=key_file, create_if_missing=False)

    assert str(key_file) in str(caught.value)
    assert "ACCOUNTLINK_MASTER_KEYS" in str(caught.value)
    assert not key_file.exists()


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_a_key_file_open_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    key_file = tmp_path / "master.keys"
    _write_key_file(key_file, {"keys": [_entry("a", B64_A)]}, mode=mode)

    with pytest.raises(KeyRingError) as caught:
        load_key_ring(env_value=None, key_file=key_file)

    message = str(caught.value)
    assert str(key_file) in message
    assert "chmod 600" in message
    _assert_no_key_material(message)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param("{not json", "is not valid JSON", id="not-json"),
        pytest.param({"kees": []}, 'non-empty "keys" list', id="no-keys"),
        pytest.param({"keys": []}, 'non-empty "keys" list', id="empty-keys"),
        pytest.param({"keys": ["a"]}, "keys[0] must be an object", id="entry-not-object"),
        pytest.param(
            {"keys": [_entry("a", B64_A), {"id": "b", "created_at": "2026-01-01"}]},
            "keys[1].key is missing",
            id="missing-key",
        ),
        pytest.param(
            {"keys": [_entry("a", B64_A), _entry("b", B64_B[:-2] + "!!")]},
            "keys[1] (id 'b'): the key is not valid base64",
            id="bad-base64",
        ),
        pytest.param(
            {"keys": [_entry("a", base64.b64encode(KEY_A[:24]).decode())]},
            "keys[0] (id 'a'): the key decodes to 24 bytes",
            id="wrong-length",
        ),
        pytest.param(
            {"keys": [_entry("a", B64_A, created_at="yesterday")]},
            "keys[0].created_at is not an ISO 8601 timestamp",
            id="bad-created-at",
        ),
        pytest.param(
            {"keys": [_entry(B64_B, B64_A)]},
            "keys[0]: the key id is not valid",
            id="key-in-id-field",
        ),
        pytest.param(
            {"keys": [_entry("a", B64_A), _entry("a", B64_B)]},
            "'a' appears twice",
            id="duplicate-id",
        ),
    ],
)
def test_a_malformed_key_file_names_the_entry_and_field(
    tmp_path: Path, document: object, expected: str
) -> None:
    key_file = tmp_path / "master.keys"
    if isinstance(document, str):
        key_file.write_text(document)
        key_file.chmod(0o600)
    else:
        _write_key_file(key_file, document)

    with pytest.raises(KeyRingError) as caught:
        load_key_ring(env_value=None, key_file=key_file)

    message = str(caught.value)
    assert expected in message
    assert str(key_file) in message
    _assert_no_key_material(message)


def test_a_hand_written_timestamp_without_offset_is_read_as_utc(tmp_path: Path) -> None:
    key_file = tmp_path / "master.keys"
    _write_key_file(key_file, {"keys": [_entry("a", B64_A, created_at="2026-01-02T03:04:05")]})

    ring = load_key_ring(env_value=None, key_file=key_file)

    assert ring.current.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


# --- environment value -------------------------------------------------------------


def test_env_value_lists_keys_newest_last(tmp_path: Path) -> None:
    ring = load_key_ring(
        env_value=f"mk-20250101-abcdef:{B64_A}, prod-2026:{B64_B}",
        key_file=tmp_path / "master.keys",
    )

    assert ring.key_ids == ("mk-20250101-abcdef", "prod-2026")
    assert ring.current.key == KEY_B
    assert ring.get("mk-20250101-abcdef").key == KEY_A
    assert ring.keys[0].created_at == datetime(2025, 1, 1, tzinfo=UTC)


def test_env_value_wins_over_the_file_and_writes_nothing(tmp_path: Path) -> None:
    existing = tmp_path / "existing.keys"
    file_ring = load_key_ring(env_value=None, key_file=existing)
    before = existing.read_bytes()
    absent = tmp_path / "absent.keys"

    from_env = load_key_ring(env_value=f"env-key:{B64_A}", key_file=existing)
    load_key_ring(env_value=f"env-key:{B64_A}", key_file=absent)

    assert from_env.key_ids == ("env-key",) != file_ring.key_ids
    assert existing.read_bytes() == before
    assert not absent.exists()


@pytest.mark.parametrize(
    ("env_value", "expected"),
    [
        pytest.param("", "is set but empty", id="empty"),
        pytest.param("   ", "is set but empty", id="blank"),
        pytest.param(f"a:{B64_A},", "entry 2 is empty", id="trailing-comma"),
        pytest.param(f"a:{B64_A},,b:{B64_B}", "entry 2 is empty", id="double-comma"),
        pytest.param(f"a:{B64_A},{B64_B}", "entry 2 has no ':'", id="missing-id"),
        pytest.param(
            f"a:{B64_A},b:{B64_B[:-3]}?",
            "entry 2 (id 'b'): the key is not valid base64",
            id="bad-base64",
        ),
        pytest.param(
            f"a:{B64_A[:-8]}", "decodes to 27 bytes; a master key must be 32 bytes", id="short"
        ),
        pytest.param(
            f"a:{base64.b64encode(KEY_A + KEY_B).decode()}",
            "entry 1 (id 'a'): the key decodes to 64 bytes",
            id="long",
        ),
        pytest.param(f"a:{B64_A},a:{B64_B}", "'a' appears twice", id="duplicate-id"),
        pytest.param(f"bad id:{B64_A}", "entry 1: the key id is not valid", id="bad-id"),
        pytest.param(f"{B64_A}:a", "entry 1: the key id is not valid", id="swapped"),
        pytest.param(f":{B64_A}", "entry 1: the key id is not valid", id="empty-id"),
    ],
)
def test_malformed_env_value_says_which_entry_and_what_is_wrong(
    tmp_path: Path, env_value: str, expected: str
) -> None:
    key_file = tmp_path / "master.keys"

    with pytest.raises(KeyRingError) as caught:
        load_key_ring(env_value=env_value, key_file=key_file)

    message = str(caught.value)
    assert expected in message
    assert "ACCOUNTLINK_MASTER_KEYS" in message
    _assert_no_key_material(message)
    assert isinstance(caught.value, VaultError)
    assert not key_file.exists()


def test_a_directory_in_place_of_the_key_file_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "master.keys"
    key_file.mkdir(mode=0o700)

    with pytest.raises(KeyRingError, match="not a regular file"):
        load_key_ring(env_value=None, key_file=key_file)
