"""Schemathesis (from PyPI) drives every operation in /api/v1/openapi.json with generated input.

It runs its CLI exactly as an operator would, against the test server, with
every built-in check (no server error, status codes and headers as documented,
responses matching their schemas, invalid input refused, auth not ignored) plus
ours: no response contains a secret. The per-token rate limit is raised for the
run so generated requests reach the logic behind test and sync; the limit
itself is proven in test_limits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from accountlink_ui.services.rate_limits import RateLimit
from tests.support import schemathesis_hooks
from tests.support.api_world import ApiWorld

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = "50"


def test_generated_requests_find_no_server_error_schema_break_or_secret(
    world: ApiWorld, tmp_path: Path
) -> None:
    token = world.token()
    # POST /claims checks what a JSON Schema cannot say (a claim date within five years,
    # VAT at most the amount, a claim id not sent before with other values), so a
    # schema-valid claim may still get 422 or 409 there; everywhere else it may not.
    (tmp_path / "schemathesis.toml").write_text(
        "[[operations]]\n"
        'include-name = "POST /claims"\n'
        "checks.positive_data_acceptance.expected-statuses = "
        '["200", "201", "401", "409", "422"]\n'
    )
    secrets_file = tmp_path / "secrets.txt"
    secrets_file.write_text("\n".join(world.secrets()))
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{world.api}/openapi.json",
        "--checks=all",
        # The stateful phase infers links from response fields named like path parameters:
        # an audit event's `integration_id` is null for account-level events, and
        # Schemathesis then requests /integrations/None/sync and calls the (correct) 422
        # a rejected valid request. Examples, coverage and fuzzing still reach every route.
        "--phases=examples,coverage,fuzzing",
        f"--header=Authorization: Bearer {token}",
        f"--max-examples={MAX_EXAMPLES}",
        "--workers=1",
        "--report=json",
        f"--report-dir={tmp_path}",
    ]
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
        "ACCOUNTLINK_TEST_SECRETS_FILE": str(secrets_file),
        "PYTHONPATH": str(ROOT),
    }
    usual = world.limiter.limit
    world.limiter.limit = RateLimit(calls=100_000, per_seconds=60)
    try:
        run = subprocess.run(
            command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600
        )
    finally:
        world.limiter.limit = usual
    output = run.stdout[-8000:] + run.stderr[-2000:]
    (report_path,) = tmp_path.glob("json-*.json")
    report = json.loads(report_path.read_text())
    cases = report["test_cases"]
    print(
        f"schemathesis: {cases['generated']} cases over {report['operations']['tested']} operations"
    )
    assert run.returncode == 0, output
    assert report["failures"] == [] and report["errors"] == [], output
    assert report["operations"]["tested"] == report["operations"]["total"] == 19, output
    assert cases["generated"] >= 300 and cases["with_failures"] == 0, output
    assert report["warnings"]["rate_limited"] == [], output


def test_the_secret_check_fails_a_response_that_carries_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The extra check is only worth its run if it would notice a leak."""
    secrets_file = tmp_path / "secrets.txt"
    secrets_file.write_text("xl-demo-blindeforbundet-7Q2mK9vR\n")
    monkeypatch.setenv("ACCOUNTLINK_TEST_SECRETS_FILE", str(secrets_file))
    schemathesis_hooks._secrets.cache_clear()
    leaky = requests.Response()
    leaky._content = b'{"token": "xl-demo-blindeforbundet-7Q2mK9vR"}'
    clean = requests.Response()
    clean._content = b'{"ok": true}'
    try:
        with pytest.raises(AssertionError, match="secret material"):
            schemathesis_hooks.no_secret_in_response(None, leaky, None)
        assert schemathesis_hooks.no_secret_in_response(None, clean, None) is None
    finally:
        schemathesis_hooks._secrets.cache_clear()


def test_a_claim_created_through_the_schema_reads_back_the_same(
    world: ApiWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The explicit create-then-read case (the stateful phase is off, see above): both
    answers pass every Schemathesis check against the published schema, ours included."""
    import uuid

    import schemathesis

    from tests.support.claims import app_claim

    schema = schemathesis.openapi.from_url(f"{world.api}/openapi.json")
    auth = {"Authorization": f"Bearer {world.token()}"}
    secrets_file = tmp_path / "secrets.txt"
    secrets_file.write_text("\n".join(world.secrets()))
    monkeypatch.setenv("ACCOUNTLINK_TEST_SECRETS_FILE", str(secrets_file))
    schemathesis_hooks._secrets.cache_clear()
    claim = app_claim(f"st-{uuid.uuid4().hex[:12]}", 4, vat_amount="10.00")
    create = schema["/claims"]["POST"].Case(body={"claims": [claim]}, headers=auth)
    created = create.call()
    create.validate_response(created)
    assert created.status_code == 201, created.text
    read = schema["/claims/{claim_id}"]["GET"].Case(
        path_parameters={"claim_id": claim["external_id"]}, headers=auth
    )
    answer = read.call()
    read.validate_response(answer)
    assert answer.status_code == 200
    stored = answer.json()
    assert {name: stored[name] for name in ("amount", "vat_amount", "claim_date", "category")} == {
        name: claim[name] for name in ("amount", "vat_amount", "claim_date", "category")
    }
    assert stored["id"] == claim["external_id"] and stored["status"] == "waiting"
    schemathesis_hooks._secrets.cache_clear()
