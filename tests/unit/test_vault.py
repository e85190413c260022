"""The vault seals credential rows that only open for the integration they belong to."""

from __future__ import annotations

import base64
import traceback
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from accountlink_ui.vault import (
    DecryptionError,
    KeyRing,
    MasterKey,
    SealedSecret,
    SecretBinding,
    UnknownKeyError,
    Vault,
    VaultError,
    envelope,
)

SECRET = "hunter2-Sup3r$ecret"
SECRETS = {"client_id": "app-123", "client_secret": SECRET}
BINDING = SecretBinding(organization_id=7, integration_id=42, version=3)
OTHER_BINDINGS = [
    pytest.param(replace(BINDING, organization_id=8), id="other-organization"),
    pytest.param(replace(BINDING, integration_id=43), id="other-integration"),
    pytest.param(replace(BINDING, version=4), id="other-version"),
]
SEALED_FIELDS = ["wrapped_key", "nonce", "ciphertext"]

# Module-level so the hypothesis test can share it (function fixtures are reset per example).
PROPERTY_VAULT = Vault(KeyRing.generate())


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def vault(ring: KeyRing) -> Vault:
    return Vault(ring)


def _flip_byte(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def _key_material_forms(master_key: MasterKey) -> list[str]:
    return [
        repr(master_key.key),
        master_key.key.hex(),
        base64.b64encode(master_key.key).decode(),
    ]


def test_seal_then_open_returns_the_same_secrets(vault: Vault) -> None:
    sealed = vault.seal(SECRETS, BINDING)

    assert vault.open(sealed, BINDING) == SECRETS
    assert sealed.key_id == vault.key_ring.current.key_id
    assert SECRET.encode() not in sealed.ciphertext


def test_unicode_secrets_round_trip(vault: Vault) -> None:
    secrets = {
        "passord": "blåbærsyltetøy-Æøå",
        "密钥": "秘密🔑\u200d👩‍💻",
        "rtl": "مفتاح سري",
        "combining": "e\u0301 and \u00e9",
        "control": "line\nbreak\ttab\x00nul",
        "": "",
    }

    assert Vault(vault.key_ring).open(vault.seal(secrets, BINDING), BINDING) == secrets


def test_key_order_does_not_matter(vault: Vault) -> None:
    forward = {"a": "1", "b": "2"}
    backward = {"b": "2", "a": "1"}

    sealed = vault.seal(backward, BINDING)

    assert vault.open(sealed, BINDING) == forward
    assert len(sealed.ciphertext) == len(vault.seal(forward, BINDING).ciphertext)


@pytest.mark.parametrize("other", OTHER_BINDINGS)
def test_whole_row_copied_to_another_binding_does_not_open(
    vault: Vault, other: SecretBinding
) -> None:
    sealed = vault.seal(SECRETS, BINDING)

    with pytest.raises(DecryptionError) as caught:
        vault.open(sealed, other)
    assert str(other) in str(caught.value)


@pytest.mark.parametrize("field", SEALED_FIELDS)
@pytest.mark.parametrize("other", OTHER_BINDINGS)
def test_field_moved_from_another_binding_does_not_open(
    vault: Vault, field: str, other: SecretBinding
) -> None:
    """A row stitched together from two rows opens under neither binding."""
    own = vault.seal(SECRETS, BINDING)
    foreign = vault.seal(SECRETS, other)
    stitched = replace(own, **{field: getattr(foreign, field)})

    for binding in (BINDING, other):
        with pytest.raises(DecryptionError):
            vault.open(stitched, binding)


def test_wrapped_key_alone_does_not_unwrap_under_another_binding(vault: Vault) -> None:
    """The wrap itself is bound, not only the payload: rewrap cannot launder a moved row."""
    sealed = vault.seal(SECRETS, BINDING)

    for param in OTHER_BINDINGS:
        (other,) = param.values
        with pytest.raises(DecryptionError, match="does not unwrap"):
            vault.rewrap(sealed, other)


@pytest.mark.parametrize("field", SEALED_FIELDS)
def test_changing_any_byte_of_any_field_fails(vault: Vault, field: str) -> None:
    sealed = vault.seal({"k": "v"}, BINDING)
    data: bytes = getattr(sealed, field)

    for index in range(len(data)):
        tampered = replace(sealed, **{field: _flip_byte(data, index)})
        with pytest.raises(DecryptionError):
            vault.open(tampered, BINDING)


@pytest.mark.parametrize("field", SEALED_FIELDS)
@pytest.mark.parametrize("change", ["truncated", "extended", "empty"])
def test_wrong_length_fields_fail_as_decryption_errors(
    vault: Vault, field: str, change: str
) -> None:
    sealed = vault.seal(SECRETS, BINDING)
    data: bytes = getattr(sealed, field)
    changed = {"truncated": data[:-1], "extended": data + b"\x00", "empty": b""}[change]

    with pytest.raises(DecryptionError):
        vault.open(replace(sealed, **{field: changed}), BINDING)


def test_unknown_key_id_names_the_missing_key(vault: Vault) -> None:
    sealed = replace(vault.seal(SECRETS, BINDING), key_id="mk-20200101-abcdef")

    with pytest.raises(UnknownKeyError) as caught:
        vault.open(sealed, BINDING)

    assert caught.value.key_id == "mk-20200101-abcdef"
    assert "mk-20200101-abcdef" in str(caught.value)
    assert vault.key_ring.current.key_id in str(caught.value)
    assert isinstance(caught.value, VaultError)


def test_right_id_with_a_different_key_fails_to_decrypt(vault: Vault) -> None:
    current = vault.key_ring.current
    impostor = MasterKey(current.key_id, bytes(32), current.created_at)
    sealed = vault.seal(SECRETS, BINDING)

    with pytest.raises(DecryptionError, match=current.key_id):
        Vault(KeyRing((impostor,))).open(sealed, BINDING)


def test_rotation_rewraps_every_row_then_drops_the_old_key(ring: KeyRing) -> None:
    old_key_id = ring.current.key_id
    bindings = [SecretBinding(1, n, v) for n in range(1, 4) for v in range(1, 3)]
    rows = {b: Vault(ring).seal({"secret": f"value-{b}"}, b) for b in bindings}

    rotated_ring = ring.with_new_key()
    rotating = Vault(rotated_ring)
    rewrapped = {b: rotating.rewrap(sealed, b) for b, sealed in rows.items()}
    final = Vault(rotated_ring.without(old_key_id))

    assert final.key_ring.key_ids == (rotated_ring.current.key_id,)
    for binding, sealed in rewrapped.items():
        assert sealed.key_id == rotated_ring.current.key_id != old_key_id
        assert (sealed.nonce, sealed.ciphertext) == (rows[binding].nonce, rows[binding].ciphertext)
        assert final.open(sealed, binding) == {"secret": f"value-{binding}"}
    assert final.seal(SECRETS, BINDING).key_id == rotated_ring.current.key_id
    with pytest.raises(UnknownKeyError, match=old_key_id):
        final.open(rows[bindings[0]], bindings[0])


def test_during_rotation_old_and_new_rows_both_open(ring: KeyRing) -> None:
    old_row = Vault(ring).seal(SECRETS, BINDING)
    rotated = Vault(ring.with_new_key())
    new_row = rotated.seal(SECRETS, BINDING)

    assert new_row.key_id != old_row.key_id
    assert rotated.open(old_row, BINDING) == rotated.open(new_row, BINDING) == SECRETS


def test_rewrap_refuses_a_row_with_a_damaged_payload(vault: Vault) -> None:
    sealed = vault.seal(SECRETS, BINDING)
    damaged = replace(sealed, ciphertext=_flip_byte(sealed.ciphertext, 0))

    with pytest.raises(DecryptionError, match="ciphertext does not authenticate"):
        Vault(vault.key_ring.with_new_key()).rewrap(damaged, BINDING)


def test_sealing_the_same_secret_twice_gives_unrelated_rows(vault: Vault) -> None:
    first = vault.seal(SECRETS, BINDING)
    second = vault.seal(SECRETS, BINDING)

    assert first.wrapped_key != second.wrapped_key
    assert first.nonce != second.nonce
    assert first.ciphertext != second.ciphertext


def test_reprs_never_show_key_bytes(ring: KeyRing) -> None:
    rotated = ring.with_new_key()
    sealed = Vault(rotated).seal(SECRETS, BINDING)
    shown = " ".join(
        text
        for thing in (*rotated.keys, rotated, sealed)
        for text in (repr(thing), str(thing), f"{thing}")
    )

    for master_key in rotated.keys:
        assert master_key.key_id in shown
        for form in _key_material_forms(master_key):
            assert form not in shown
    for data in (sealed.wrapped_key, sealed.nonce, sealed.ciphertext):
        assert repr(data) not in shown
        assert data.hex() not in shown
    assert "60 bytes" in repr(sealed)


def test_decryption_errors_carry_no_secret_material(vault: Vault) -> None:
    sealed = vault.seal(SECRETS, BINDING)
    failures: list[BaseException] = []
    for field in SEALED_FIELDS:
        data = getattr(sealed, field)
        with pytest.raises(DecryptionError) as caught:
            vault.open(replace(sealed, **{field: _flip_byte(data, len(data) - 1)}), BINDING)
        failures.append(caught.value)

    for failure in failures:
        report = "".join(traceback.format_exception(failure))
        assert SECRET not in report
        assert vault.key_ring.current.key.hex() not in report
        assert failure.__context__ is None


def test_authentic_but_malformed_payload_is_reported_without_its_content(vault: Vault) -> None:
    """Defence in depth: even a payload that decrypts is never echoed if it is not ours."""
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = bytes(12)
    ciphertext = AESGCM(data_key).encrypt(
        nonce, f"not json {SECRET}".encode(), BINDING.associated_data("payload")
    )
    master_key = vault.key_ring.current
    sealed = SealedSecret(
        key_id=master_key.key_id,
        wrapped_key=envelope._wrap(master_key, data_key, BINDING),
        nonce=nonce,
        ciphertext=ciphertext,
    )

    with pytest.raises(DecryptionError, match="not a JSON object") as caught:
        vault.open(sealed, BINDING)

    assert SECRET not in "".join(traceback.format_exception(caught.value))
    assert caught.value.__context__ is None


@pytest.mark.parametrize(
    "secrets",
    [
        pytest.param({"password": b"hunter2-bytes"}, id="bytes-value"),
        pytest.param({"password": 12345678}, id="int-value"),
        pytest.param({1: "hunter2"}, id="int-name"),
        pytest.param({"password": "hunter2\udc80"}, id="lone-surrogate"),
    ],
)
def test_secrets_that_are_not_text_are_refused_without_echoing_them(
    vault: Vault, secrets: dict
) -> None:
    with pytest.raises(VaultError) as caught:
        vault.seal(secrets, BINDING)

    message = str(caught.value)
    assert "hunter2" not in message
    assert "12345678" not in message


def test_binding_ids_must_be_integers() -> None:
    with pytest.raises(VaultError, match="integration_id"):
        SecretBinding(organization_id=1, integration_id="2", version=1)  # type: ignore[arg-type]
    with pytest.raises(VaultError, match="version"):
        SecretBinding(organization_id=1, integration_id=2, version=True)


@given(
    secrets=st.dictionaries(st.text(), st.text(), max_size=12),
    binding=st.builds(
        SecretBinding,
        organization_id=st.integers(min_value=1, max_value=2**63 - 1),
        integration_id=st.integers(min_value=1, max_value=2**63 - 1),
        version=st.integers(min_value=1, max_value=10_000),
    ),
)
def test_any_dict_of_text_round_trips(secrets: dict[str, str], binding: SecretBinding) -> None:
    assert PROPERTY_VAULT.open(PROPERTY_VAULT.seal(secrets, binding), binding) == secrets
