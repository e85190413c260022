from __future__ import annotations

from accountlink_ui.services.proofs import ConnectionValues, ProofSigner


def values(**overrides: object) -> ConnectionValues:
    base = dict(
        organization_id=1,
        integration_id=None,
        actor_id=7,
        type_key="xledger",
        environment="sandbox",
        auth_flow="api_token",
        settings={},
        secrets={"api_token": "t0k3n"},
    )
    return ConnectionValues(**{**base, **overrides})  # type: ignore[arg-type]


def test_proof_verifies_for_exactly_the_tested_values() -> None:
    signer = ProofSigner(b"k" * 32)
    proof = signer.issue(values())
    assert signer.verify(proof, values())
    assert not signer.verify(proof, values(secrets={"api_token": "t0k3n!"}))
    assert not signer.verify(proof, values(environment="production"))
    assert not signer.verify(proof, values(actor_id=8))
    assert not signer.verify(proof, values(integration_id=3))


def test_proof_expires_and_rejects_garbage() -> None:
    signer = ProofSigner(b"k" * 32, ttl_seconds=60)
    proof = signer.issue(values(), now=1000)
    assert signer.verify(proof, values(), now=1059)
    assert not signer.verify(proof, values(), now=1061)
    for junk in (None, "", "abc", "x.y", "99999999999.00"):
        assert not signer.verify(junk, values())


def test_proof_does_not_contain_the_secret() -> None:
    proof = ProofSigner(b"k" * 32).issue(values())
    assert "t0k3n" not in proof
