"""A production-mode AccountLink for the browser tests: PostgreSQL, Redis, two workers.

``ProductionStack.start`` serves the app exactly as ``make serve`` does
(``ACCOUNTLINK_ENV=production``, ``reflex run --env prod``, ``GRANIAN_WORKERS``)
with the sandbox as a separate server (production mounts none) and the
organization and its people created through the services (production seeds
no demo data).

The frontend build is the expensive part, and the session's demo server
(``app_server``) serves its build from the checkout's ``.web``: rebuilding it
there for another port would delete the files that server is serving. So this
server runs from a throwaway project directory that links the code and starts
from a copy of ``.web`` (its installed npm packages included, when the checkout
has one), and builds its own bundle for its own port there.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from accountlink_ui.db import migrate
from accountlink_ui.demo_claims import seed_demo_claims
from accountlink_ui.models import Role
from accountlink_ui.services.wiring import build_services
from accountlink_ui.settings import Settings
from accountlink_ui.vault import KeyRing

ROOT = Path(__file__).resolve().parents[2]
REDIS_ENV = "ACCOUNTLINK_TEST_REDIS_URL"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
PASSWORD = "production-e2e-password"
METRICS_TOKEN = "production-e2e-scrape-token"
ADMIN = "admin@acme.example"
MEMBER = "member@acme.example"
ORGANIZATION = "Acme Hjelp"
LINKED = ("accountlink_ui", "assets", "rxconfig.py")
LOG_TAIL_LINES = 80
STOP_SECONDS = 5


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_db_url(base: str) -> str | None:
    """A Redis database of this run's own (by process id), or None when Redis does not answer.

    Reflex keeps each browser tab's state and socket record there under keys named by
    random tokens; a database number of its own keeps even ``KEYS`` listings apart from
    other runs on the same server. Nothing is flushed afterwards (another run may share
    the number): Reflex expires the keys (``REFLEX_REDIS_TOKEN_EXPIRATION`` below).
    """
    url = urlunsplit(urlsplit(base)._replace(path=f"/{1 + os.getpid() % 15}"))
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        return None
    finally:
        client.close()
    return url


def master_keys_value(ring: KeyRing) -> str:
    return ",".join(f"{k.key_id}:{base64.b64encode(k.key).decode()}" for k in ring.keys)


@dataclass
class ProductionStack:
    base_url: str
    database_url: str
    redis_url: str
    sandbox_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    startup_seconds: float

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log written)"
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def stop(self) -> None:
        """Stop Reflex and every child it spawned (the Granian workers)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                # A test server: no request needs finishing, and the database is dropped next.
                self.process.wait(timeout=STOP_SECONDS)
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def create_database(base: str, name: str) -> str:
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_database(base: str, name: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def seed_organization(settings: Settings) -> None:
    """What an operator's CLI would create: one organization, its admin and a member."""
    migrate(settings.resolved_database_url)
    services = build_services(settings)
    organization_id = services.auth.create_organization(name=ORGANIZATION, slug="acme")
    for email, name, role in ((ADMIN, "Ada Admin", Role.ADMIN), (MEMBER, "Mo Member", Role.MEMBER)):
        user_id = services.auth.create_user(email=email, name=name, password=PASSWORD).user_id
        services.auth.add_membership(organization_id=organization_id, user_id=user_id, role=role)
    seed_demo_claims(services.engine, organization_id)
    services.engine.dispose()


def project_copy(workdir: Path) -> Path:
    """A project directory of its own: the code linked, ``.web`` copied when there is one."""
    project = workdir / "project"
    project.mkdir()
    for name in LINKED:
        (project / name).symlink_to(ROOT / name)
    web = ROOT / ".web"
    if web.is_dir():
        # Not its bundle (``build``): this server builds its own, for its own port.
        shutil.copytree(
            web,
            project / ".web",
            symlinks=True,
            ignore=lambda folder, _names: ["build"] if Path(folder) == web else [],
        )
    return project


def start(
    *,
    workdir: Path,
    database_url: str,
    redis_url: str,
    sandbox_url: str,
    master_keys: str,
    workers: int,
    timeout: float,
) -> ProductionStack:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    project = project_copy(workdir)
    log_path = workdir / "reflex.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ACCOUNTLINK_", "REFLEX_"))},
        "ACCOUNTLINK_ENV": "production",
        "ACCOUNTLINK_DATA_DIR": str(workdir / "data"),
        "ACCOUNTLINK_DATABASE_URL": database_url,
        "ACCOUNTLINK_MASTER_KEYS": master_keys,
        "ACCOUNTLINK_METRICS_TOKEN": METRICS_TOKEN,
        # Production mounts no sandbox: this points the external systems at a separate one.
        "ACCOUNTLINK_SANDBOX_URL": sandbox_url,
        "ACCOUNTLINK_SCHEDULER_RECONCILE_SECONDS": "1",
        "ACCOUNTLINK_CONNECTION_TESTS_PER_MINUTE": "600",
        "ACCOUNTLINK_SYNCS_PER_MINUTE": "600",
        "ACCOUNTLINK_SIGNIN_ADDRESS_FREE_FAILURES": "1000",
        "ACCOUNTLINK_SIGNIN_ADDRESS_LOCKOUT_FAILURES": "5000",
        "REFLEX_REDIS_URL": redis_url,
        "REFLEX_REDIS_TOKEN_EXPIRATION": "900",
        "GRANIAN_WORKERS": str(workers),
    }
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                "bash",
                "-c",
                'source "$1/scripts/env.sh" && exec reflex run --env prod --loglevel info '
                '--frontend-port "$0" --backend-port "$0"',
                str(port),
                str(ROOT),
            ],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = ProductionStack(
        base_url, database_url, redis_url, sandbox_url, log_path, process, startup_seconds=0.0
    )
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(timeout=5, trust_env=False, follow_redirects=True) as client:
            while not _ready(client, base_url):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"the production server exited with {process.returncode}; log "
                        f"{log_path}:\n{stack.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the production server did not serve {base_url} within "
                        f"{timeout:.0f} s; log {log_path}:\n{stack.log_tail()}"
                    )
                time.sleep(0.5)
    except BaseException:  # interrupted or failed: never leave the workers running
        stack.stop()
        raise
    stack.startup_seconds = time.monotonic() - started
    return stack


def _ready(client: httpx.Client, base_url: str) -> bool:
    try:
        ready = client.get(f"{base_url}/readyz")
        page = client.get(f"{base_url}/login")
    except httpx.HTTPError:
        return False
    return ready.status_code == 200 and page.status_code == 200 and "<html" in page.text
