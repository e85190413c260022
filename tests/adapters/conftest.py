"""Adapters against the sandbox over real loopback HTTP, exactly as against the real systems.

The sandbox is the shared one (``sandbox`` fixture, tests/support/fixtures.py), reset
before every test, and every adapter is built fresh so no token cache survives from one
test to the next. Every test also proves that no secret the sandbox knows reached a log
line (captured at DEBUG from every logger).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.secrets import assert_no_secret


@pytest.fixture(autouse=True)
def _no_secret_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert_no_secret(caplog.text)
