"""The page opened after a session change starts with a new Reflex client token."""

from __future__ import annotations

import re
from pathlib import Path

import reflex_base

from accountlink_ui.ui.states.links import ACCEPT_SCRIPT, RESET_SCRIPT
from accountlink_ui.ui.states.session import (
    REFLEX_TOKEN_KEY,
    SIGN_IN_SCRIPT,
    SIGN_OUT_SCRIPT,
    fresh_page_script,
)

REFLEX_STATE_JS = Path(reflex_base.__file__).parent / ".templates" / "web" / "utils" / "state.js"


def test_the_key_is_where_the_installed_reflex_keeps_its_client_token() -> None:
    """A Reflex upgrade that moves the token would make the scripts below forget nothing."""
    source = REFLEX_STATE_JS.read_text()
    (declared,) = re.findall(r'const TOKEN_KEY = "([^"]+)";', source)
    assert declared == REFLEX_TOKEN_KEY
    assert "window.sessionStorage.getItem(TOKEN_KEY)" in source


def test_every_page_opened_after_a_session_change_forgets_the_token_first() -> None:
    for script, page in (
        (SIGN_IN_SCRIPT, "/settings/integrations"),
        (SIGN_OUT_SCRIPT, "/login"),
        (ACCEPT_SCRIPT, "/settings/integrations"),
        (RESET_SCRIPT, "/settings/integrations"),
    ):
        assert fresh_page_script(page) in script
        assert script.count("window.location.replace") == 1
