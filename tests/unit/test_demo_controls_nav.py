"""Outside the demo the settings navigation has no Demo controls link (the page is not added
either: both follow ``demo_controls_enabled``)."""

from __future__ import annotations

import pytest

from accountlink_ui.settings import Settings
from accountlink_ui.ui.components import shell


@pytest.mark.parametrize(
    ("settings", "shown"),
    [
        (Settings(demo=True, mount_sandbox=True), True),
        (Settings(demo=False, mount_sandbox=False), False),
        (Settings(demo=True, mount_sandbox=False), False),
    ],
)
def test_demo_controls_link_only_in_demo_mode(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, shown: bool
) -> None:
    monkeypatch.setattr(shell, "get_settings", lambda: settings)
    assert (shell.DEMO_CONTROLS_PAGE in shell.settings_pages()) is shown
