"""Service tests run on the seeded world with scripted adapters (tests/support/scripted_world.py)."""

from __future__ import annotations

import pytest

from tests.support.scripted_world import World


@pytest.fixture
def world(scripted_world: World) -> World:
    return scripted_world
