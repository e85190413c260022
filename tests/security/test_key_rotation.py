"""Key rotation while the app runs: nothing is lost, nothing needs a restart.

The app side is the real services in this process; ``accountlink keys rotate
--retire-old`` runs as a separate process against the same database and key
file, as an operator would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Route

from accountlink_ui.accounting.vouchers import ExportRecord
from accountlink_ui.api.health import readiness_endpoint
from accountlink_ui.integrations.contracts import ConnectionConfig, ConnectionResult, PushResult
from accountlink_ui.integrations.deadline import Deadline
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.sandbox.server import running_app
from accountlink_ui.services import key_rotation
from accountlink_ui.services.integration_service import ConnectionDraft
from accountlink_ui.services.key_rotation import WAITING_MESSAGE, RetireRefused, rotate_master_key
from accountlink_ui.services.wiring import MISSING_KEY_FILE, Services, build_services
from accountlink_ui.settings import Settings
from accountlink_ui.vault import (
    KeyRing,
    KeyRingError,
    KeySource,
    SecretBinding,
    Vault,
    load_key_ring,
    save_key_ring,
)
from accountlink_ui.views import Actor
from tests.support.world import build_world, world_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DYNAMICS_SETTINGS = {
    "product": "business_central",
    "tenant_id": "5f0b2a61-8c3e-4d7a-9b1e-2c4d6e8f0a13",
    "client_id": "0c8a7e52-3b4f-4e1d-a9c6-7d2e1f3b5a90",
    "bc_environment": "sandbox",
}


@dataclass
class AcceptingAdapter:
    """Accepts any credential, and fails the test when it cannot be opened (it never is here)."""

    type_key: str

    def test_connection(self, config: ConnectionConfig, deadline: Deadline) -> ConnectionResult:
        return ConnectionResult(ok=True, message="Connected.", reached="Test Company")

    def push(self, config: ConnectionConfig, records: Sequence[ExportRecord]) -> PushResult:
        return PushResult(accepted={r.idempotency_key: r.idempotency_key for r in records})


def xledger(token: str) -> ConnectionDraft:
    return ConnectionDraft("xledger", "sandbox", "api_token", {"api_token": token})


def dynamics(secret: str) -> ConnectionDraft:
    return ConnectionDraft(
        "dynamics", "sandbox", "client_secret", {**DYNAMICS_SETTINGS, "client_secret": secret}
    )


@dataclass
class App:
    settings: Settings
    services: Services
    admin: Actor
    other_admin: Actor
    org: int
    other_org: int
    expected: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Integration id → (secret field, the secret its active version must open to)."""

    def restart(self) -> Services:
        return build_services(self.settings, adapters=self.services.integrations._adapters)

    def save(self, actor: Actor, org: int, draft: ConnectionDraft, secret_field: str) -> int:
        service = self.services.integrations
        outcome = service.test_connection(actor, org, draft)
        view = service.create_integration(actor, org, draft, outcome.proof)
        assert view.id is not None
        self.expected[view.id] = (secret_field, draft.values[secret_field])
        return view.id

    def edit(
        self,
        actor: Actor,
        org: int,
        integration_id: int,
        draft: ConnectionDraft,
        secret_field: str,
    ) -> None:
        """Test, then save new credentials: a new version sealed and committed."""
        service = self.services.integrations
        outcome = service.test_connection(actor, org, draft, integration_id=integration_id)
        service.update_integration(actor, integration_id, draft, outcome.proof)
        self.expected[integration_id] = (secret_field, draft.values[secret_field])

    def assert_every_credential_opens(self, services: Services) -> None:
        for integration_id, (secret_field, secret) in self.expected.items():
            opened = services.integrations.connection_config(integration_id).secrets
            assert opened[secret_field] == secret, integration_id


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOUNTLINK_")}
    env.update(
        ACCOUNTLINK_DATABASE_URL=settings.resolved_database_url,
        ACCOUNTLINK_DATA_DIR=str(settings.data_dir),
        ACCOUNTLINK_MASTER_KEY_FILE=str(settings.resolved_master_key_file),
        ACCOUNTLINK_SCHEDULER_ENABLED="false",
    )
    return env


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[App]:
    settings = world_settings(database_url, tmp_path)
    adapters = AdapterRegistry([AcceptingAdapter("xledger"), AcceptingAdapter("dynamics")])
    world = build_world(settings, adapters=adapters)
    services = world.services
    admin, other, org, other_org = world.bf_admin, world.hlf_admin, world.bf_org, world.hlf_org
    yield App(settings, services, admin, other, org, other_org)
    services.engine.dispose()


class PausedSeal:
    """Stops one thread's save between sealing its row and committing it."""

    def __init__(self, vault: Vault) -> None:
        self.sealed = threading.Event()
        self.go = threading.Event()
        self.sealed_with: str | None = None
        self._thread: int | None = None
        original = vault.seal

        def seal(secrets: Any, binding: SecretBinding) -> Any:
            result = original(secrets, binding)
            if threading.get_ident() == self._thread:
                self._thread = None
                self.sealed_with = result.key_id
                self.sealed.set()
                assert self.go.wait(120), "the test never let the paused save commit"
            return result

        vault.seal = seal  # type: ignore[method-assign]

    def pause_this_thread(self) -> None:
        self._thread = threading.get_ident()


def _read_stderr(process: subprocess.Popen[str], lines: list[str], seen: threading.Event) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)
        if WAITING_MESSAGE in line:
            seen.set()


def test_rotation_with_retire_in_another_process_loses_nothing_the_running_app_uses(
    app: App,
) -> None:
    xledger_id = app.save(app.admin, app.org, xledger("xl-rotation-token-000000Ab"), "api_token")
    dynamics_id = app.save(
        app.other_admin, app.other_org, dynamics("dyn~rot~000000"), "client_secret"
    )
    window_id = app.save(app.admin, app.org, dynamics("dyn~window~000"), "client_secret")
    old_key = app.services.key_ring.current.key_id
    app.assert_every_credential_opens(app.services)
    paused = PausedSeal(app.services.integrations._vault)

    # The app keeps testing and editing for the whole rotation.
    errors: list[str] = []
    stop = threading.Event()
    rounds = [0]

    def keep_using() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            try:
                for integration_id in (xledger_id, dynamics_id):
                    result = app.services.integrations.test_stored(integration_id)
                    if not result.ok:
                        errors.append(f"test of {integration_id}: {result.message}")
                token = f"xl-rotation-token-{number:06d}Ab"
                app.edit(app.admin, app.org, xledger_id, xledger(token), "api_token")
                secret = f"dyn~rot~{number:06d}"
                app.edit(
                    app.other_admin, app.other_org, dynamics_id, dynamics(secret), "client_secret"
                )
            except Exception as exc:  # every failure is the finding
                errors.append(f"round {number}: {type(exc).__name__}: {exc}")
            rounds[0] = number

    # An edit that sealed with the old key and has not committed when the rotation starts.
    window_done: list[bool] = []

    def edit_in_the_window() -> None:
        paused.pause_this_thread()
        app.edit(app.admin, app.org, window_id, dynamics("dyn~window~Zx9"), "client_secret")
        window_done.append(True)

    user = threading.Thread(target=keep_using, daemon=True)
    window = threading.Thread(target=edit_in_the_window, daemon=True)
    user.start()
    window.start()
    assert paused.sealed.wait(60)
    assert paused.sealed_with == old_key

    rotation = subprocess.Popen(
        [sys.executable, "-m", "accountlink_ui.cli", "keys", "rotate", "--retire-old"],
        cwd=PROJECT_ROOT,
        env=_env(app.settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr: list[str] = []
    waiting = threading.Event()
    reader = threading.Thread(target=_read_stderr, args=(rotation, stderr, waiting), daemon=True)
    reader.start()
    # Let the rotation reach the point where it would retire the old key (it waits for
    # the save, or, without the lock, it races ahead and finishes).
    while not waiting.is_set() and rotation.poll() is None:
        waiting.wait(0.1)
    paused.go.set()
    window.join(60)
    stdout = rotation.communicate(timeout=120)[0]
    reader.join(10)
    after_rotation = rounds[0]
    deadline = time.monotonic() + 60
    while rounds[0] < after_rotation + 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # two more rounds of use after the rotation finished
    stop.set()
    user.join(60)

    assert rotation.returncode == 0, "".join(stderr)
    assert "older keys retired" in stdout
    assert window_done, "the edit in the window failed"
    assert not errors, errors[:5]
    assert rounds[0] >= after_rotation + 2
    ring = load_key_ring(env_value=None, key_file=app.settings.resolved_master_key_file)
    assert old_key not in ring.key_ids
    assert app.services.key_ring.key_ids == ring.key_ids  # the running app followed
    with app.services.engine.connect() as connection:
        key_ids = {
            row[0] for row in connection.execute(text("SELECT key_id FROM credential_versions"))
        }
    assert key_ids == {ring.current.key_id}
    app.assert_every_credential_opens(app.services)
    app.assert_every_credential_opens(app.restart())


# --- the running process follows the key file --------------------------------------------------


def test_a_seal_after_another_process_rotated_uses_the_new_key(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    first = load_key_ring(env_value=None, key_file=key_file)
    source = KeySource(first, key_file=key_file)
    vault = Vault(source)
    binding = SecretBinding(organization_id=1, integration_id=1, version=1)
    assert vault.seal({"api_token": "secret-one"}, binding).key_id == first.current.key_id
    reads = source.reloads
    vault.seal({"api_token": "secret-one"}, binding)
    assert source.reloads == reads, "an unchanged key file is not read again"

    rotated = first.with_new_key()
    save_key_ring(KeyRing((rotated.current,)), key_file)  # rotated and retired elsewhere

    sealed = vault.seal({"api_token": "secret-two"}, binding)
    assert sealed.key_id == rotated.current.key_id
    assert source.reloads == reads + 1
    fresh = Vault(load_key_ring(env_value=None, key_file=key_file))
    assert fresh.open(sealed, binding) == {"api_token": "secret-two"}


def test_a_row_on_a_key_this_process_never_saw_opens_after_one_reload(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    ring = load_key_ring(env_value=None, key_file=key_file)
    running = Vault(KeySource(ring, key_file=key_file))
    running.key_source.fresh()
    binding = SecretBinding(organization_id=3, integration_id=4, version=2)
    rotated = ring.with_new_key()
    save_key_ring(rotated, key_file)
    sealed_elsewhere = Vault(rotated).seal({"client_secret": "s3cret-value"}, binding)

    assert running.open(sealed_elsewhere, binding) == {"client_secret": "s3cret-value"}
    assert running.key_ring.key_ids == rotated.key_ids


def test_a_key_file_removed_under_a_running_process_is_not_replaced(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    ring = load_key_ring(env_value=None, key_file=key_file)
    source = KeySource(ring, key_file=key_file)
    key_file.unlink()
    assert source.fresh() is ring
    assert not key_file.exists()


# --- --retire-old refuses while something still needs the old key ------------------------------


def test_retire_refuses_and_names_a_credential_the_new_key_cannot_open(app: App) -> None:
    integration_id = app.save(
        app.admin, app.org, xledger("xl-rotation-token-000000Ab"), "api_token"
    )
    old_key = app.services.key_ring.current.key_id
    with app.services.engine.begin() as connection:  # a damaged row: the payload was altered
        connection.execute(
            text("UPDATE credential_versions SET ciphertext = :c WHERE integration_id = :i"),
            {"c": b"\x00" * 40, "i": integration_id},
        )

    with pytest.raises(RetireRefused) as refused:
        rotate_master_key(app.services, retire_old=True)

    message = str(refused.value)
    assert f"integration {integration_id}" in message and old_key in message
    ring = load_key_ring(env_value=None, key_file=app.settings.resolved_master_key_file)
    assert old_key in ring.key_ids and len(ring.key_ids) == 2


def test_retire_puts_the_old_key_back_if_a_row_on_it_appears_meanwhile(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that does not take the lock (an older build) sealed with the old key."""
    app.save(app.admin, app.org, xledger("xl-rotation-token-000000Ab"), "api_token")
    old_ring = app.services.key_ring
    stale = replace(app, services=app.restart(), expected={})
    stale.services.integrations._vault = Vault(old_ring)  # fixed: never re-reads, never locks
    saves: list[KeyRing] = []
    real_save = key_rotation.save_key_ring

    def save(ring: KeyRing, key_file: Path) -> None:
        real_save(ring, key_file)
        saves.append(ring)
        if len(saves) == 2:  # the retiring save: the stale process commits now
            stale.save(app.other_admin, app.other_org, dynamics("dyn~late~123"), "client_secret")

    monkeypatch.setattr(key_rotation, "save_key_ring", save)
    with pytest.raises(RetireRefused) as refused:
        rotate_master_key(app.services, retire_old=True)

    assert "sealed with a retired key meanwhile" in str(refused.value)
    ring = load_key_ring(env_value=None, key_file=app.settings.resolved_master_key_file)
    assert old_ring.current.key_id in ring.key_ids
    app.expected.update(stale.expected)
    app.assert_every_credential_opens(app.restart())


# --- start-up and readiness ---------------------------------------------------------------------


def test_a_missing_key_file_with_sealed_credentials_stops_start_up(app: App) -> None:
    app.save(app.admin, app.org, xledger("xl-rotation-token-000000Ab"), "api_token")
    key_file = app.settings.resolved_master_key_file
    key_file.unlink()

    with pytest.raises(KeyRingError) as stopped:
        app.restart()

    assert str(stopped.value) == MISSING_KEY_FILE.format(path=key_file, count=1)
    assert not key_file.exists(), "no new key may be generated next to sealed credentials"


def test_a_first_start_without_credentials_creates_the_key_file(app: App) -> None:
    key_file = app.settings.resolved_master_key_file
    key_file.unlink()
    services = app.restart()
    assert key_file.exists()
    assert services.key_ring.key_ids == load_key_ring(env_value=None, key_file=key_file).key_ids


def test_readyz_fails_without_a_secret_when_no_stored_credential_opens(app: App) -> None:
    app.save(app.admin, app.org, xledger("xl-rotation-token-000000Ab"), "api_token")
    foreign = KeyRing.generate()
    services = SimpleNamespace(engine=app.services.engine, vault=Vault(foreign))
    route = Route("/readyz", readiness_endpoint(lambda: services))  # type: ignore[arg-type, return-value]
    with running_app(Starlette(routes=[route])) as base:
        response = httpx.get(f"{base}/readyz", trust_env=False)
    assert response.status_code == 503
    vault = response.json()["checks"]["vault"]
    assert vault["ok"] is False
    assert "UnknownKeyError" in vault["detail"]
    assert "xl-rotation-token" not in response.text
    for key in (*foreign.keys, *app.services.key_ring.keys):
        assert key.key.hex() not in response.text
