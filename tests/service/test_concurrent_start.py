"""Two processes starting at once against an empty PostgreSQL database.

Each does what a backend worker does on start-up (``startup.prepare_database``):
the production check, migrations, then the services with their master key.
Migrations must run once (the advisory lock makes the second process wait and
find the schema current) and both must end up with the same, single master key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from accountlink_ui.db import alembic_config
from accountlink_ui.vault import load_key_ring
from tests.support.databases import POSTGRES_ENV

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0

WORKER = """
import json, sys, time
from pathlib import Path

go = Path(sys.argv[1])
Path(sys.argv[2]).touch()
while not go.exists():
    time.sleep(0.005)

from accountlink_ui.db import migrate
from accountlink_ui.production import check_production
from accountlink_ui.services.wiring import get_services
from accountlink_ui.settings import get_settings

check_production(get_settings())
result = migrate()
services = get_services()
print(json.dumps({"applied": result.applied, "after": result.after,
                  "key_ids": list(services.key_ring.key_ids)}))
"""


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"needs PostgreSQL: set {POSTGRES_ENV} (make test sets it in CI)")
    name = f"test_concurrent_start_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_two_processes_starting_together_migrate_once_and_share_one_master_key(
    empty_postgres: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    go = tmp_path / "go"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACCOUNTLINK_")},
        "ACCOUNTLINK_DATABASE_URL": empty_postgres,
        "ACCOUNTLINK_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
    }
    processes = []
    for number in (1, 2):
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(go), str(tmp_path / f"ready-{number}")],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + START_TIMEOUT
    while not all((tmp_path / f"ready-{n}").exists() for n in (1, 2)):
        assert time.monotonic() < deadline, "the two processes never got ready"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.05)
    go.touch()  # both released at once
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=START_TIMEOUT)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    head = alembic_config(empty_postgres)
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(head).get_current_head()
    assert sorted(report["applied"] for report in reports) == [False, True]
    assert {report["after"] for report in reports} == {newest}
    engine = create_engine(empty_postgres, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert [row[0] for row in versions] == [newest]

    key_file = data_dir / "master.keys"
    ring = load_key_ring(env_value=None, key_file=key_file, create_if_missing=False)
    assert len(ring.keys) == 1
    assert reports[0]["key_ids"] == reports[1]["key_ids"] == [ring.current.key_id]
    assert [p.name for p in data_dir.iterdir() if "master" in p.name] == ["master.keys"]
