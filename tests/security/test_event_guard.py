"""Every handler of the app's pages checks the signed-in person first and takes only its declared
arguments; the credential form keeps only declared fields, each within its maximum length.

These drive the guard and the states in-process (no browser, no build); the same events over a
real websocket are in ``tests/e2e/test_session_security.py``.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
from reflex.istate.data import HeaderData
from reflex.state import State
from reflex_base.event import Event
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY

import accountlink_ui.accountlink_ui  # noqa: F401  (registers every page state)
from accountlink_ui.i18n import translate
from accountlink_ui.integrations.registry import get_type
from accountlink_ui.services.auth_service import session_key
from accountlink_ui.ui import event_guard
from accountlink_ui.ui.event_guard import REFUSED_MESSAGE, EventGuard
from accountlink_ui.ui.states import session as session_module
from accountlink_ui.ui.states.connection_form import UNDECLARED_FIELD
from accountlink_ui.ui.states.integrations import IntegrationsState
from accountlink_ui.ui.states.session import SessionState
from accountlink_ui.ui.states.wizard import WizardState
from accountlink_ui.web_session import SESSION_KEY_COOKIE
from tests.support.run_async import run_async
from tests.support.world import ADMIN_EMAIL, PASSWORD, SeededWorld

WIZARD = WizardState.get_full_name()
SESSION = SessionState.get_full_name()
DASHBOARD = IntegrationsState.get_full_name()


@pytest.fixture
def wired(session_world: SeededWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeededWorld]:
    """The guard and the states resolve people against the test database."""
    monkeypatch.setattr(event_guard, "get_services", lambda: session_world.services)
    monkeypatch.setattr(session_module, "get_services", lambda: session_world.services)
    yield session_world


def _root(cookie: str = "") -> State:
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.rx_router_headers = HeaderData(cookie=cookie)
    return root


def _signed_in_root(world: SeededWorld) -> State:
    token = world.services.auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    return _root(f"{SESSION_KEY_COOKIE}={session_key(token)}")


def _guard(
    root: State, handler: str, payload: object, *, state: str = WIZARD
) -> list[Event] | None:
    event = Event(name=f"{state}.{handler}", payload=payload)  # type: ignore[arg-type]
    update = run_async(EventGuard().preprocess(app=None, state=root, event=event))  # type: ignore[arg-type]
    return None if update is None else list(update.events)


TOAST = "_call_function"  # rx.toast.error(...)


def _names(events: list[Event] | None) -> list[str]:
    return [event.name for event in events or []]


def test_a_client_never_signed_in_is_sent_to_sign_in_and_the_handler_does_not_run(
    wired: SeededWorld,
) -> None:
    events = _guard(_root(), "set_value", {"key": "api_token", "value": "x"})
    assert _names(events) == ["_redirect"]
    assert events and events[0].payload["path"] == "/login"
    # A made-up key is no way in either.
    forged = _root(f"{SESSION_KEY_COOKIE}={'0' * 64}")
    assert _names(_guard(forged, "open", {})) == ["_redirect"]


def test_the_sign_in_page_handlers_stay_open(wired: SeededWorld) -> None:
    assert _guard(_root(), "redirect_if_signed_in", {}, state=SESSION) is None
    assert _guard(_root(), "sign_in_answered", {"refusal": "wrong"}, state=SESSION) is None
    # ...but only with what they declare.
    refused = _guard(_root(), "sign_in_answered", {"refusal": "x" * 100_000}, state=SESSION)
    assert _names(refused) == [TOAST]
    # Everything else of the session state is closed, like every page's handlers.
    assert _names(
        _guard(_root(), "switch_organization", {"organization_id": "1"}, state=SESSION)
    ) == ["_redirect"]


@pytest.mark.parametrize(
    ("state", "handler", "payload"),
    [
        pytest.param(
            WIZARD, "set_value", {"key": "api_token", "value": "x" * 300_000}, id="oversized"
        ),
        pytest.param(
            WIZARD, "set_value", {"key": "a", "value": "b", "extra": "c"}, id="unknown-arg"
        ),
        pytest.param(
            WIZARD, "set_value", {"key": {"nested": "dict"}, "value": "b"}, id="wrong-type"
        ),
        pytest.param(DASHBOARD, "test_again", {"integration_id": "9" * 5000}, id="huge-int"),
        pytest.param(
            WIZARD, "setvar", {"var_name": "values", "value": {"k": "v"}}, id="reflex-setvar"
        ),
        pytest.param(WIZARD, "set_value", ["not", "an", "object"], id="not-an-object"),
    ],
)
def test_a_signed_in_client_gets_a_refusal_for_what_a_page_never_sends(
    wired: SeededWorld, state: str, handler: str, payload: object
) -> None:
    root = _signed_in_root(wired)
    events = _guard(root, handler, payload, state=state)
    assert _names(events) == [TOAST]
    assert events and REFUSED_MESSAGE in str(events[0].payload)


def _submitted(fields: dict[str, str]) -> dict[str, list[list[str]]]:
    """A form as the browser sends it: its entries, wrapped (Reflex's state.js)."""
    return {FORM_DATA_ENTRIES_KEY: [[name, value] for name, value in fields.items()]}


def test_a_signed_in_client_with_a_declared_payload_passes(wired: SeededWorld) -> None:
    root = _signed_in_root(wired)
    assert _guard(root, "set_value", {"key": "base_url", "value": "https://x.example"}) is None
    assert _guard(root, "submit_credentials", {"form": {"api_token": "t" * 100}}) is None
    # The largest form a page sends: a certificate and a key at their maximum length,
    # each reported by name and by element id.
    pem = "-----BEGIN X-----\n" + "A" * 19_900 + "\n-----END X-----\n"
    biggest = {
        "certificate": pem,
        "field-certificate": pem,
        "private_key": pem,
        "field-private_key": pem,
        **{f"field-{n}": "value" for n in range(12)},
    }
    assert _guard(root, "submit_credentials", {"form": _submitted(biggest)}) is None


def test_a_submitted_form_beyond_its_bounds_is_refused(wired: SeededWorld) -> None:
    root = _signed_in_root(wired)
    too_many = _submitted({f"f{n}": "v" for n in range(500)})
    too_long = _submitted({"base_url": "u" * 50_000})
    nested = {FORM_DATA_ENTRIES_KEY: [["base_url", {"nested": "object"}]]}
    for form in (too_many, too_long, nested):
        assert _names(_guard(root, "submit_credentials", {"form": form})) == [TOAST]


def _wizard(world: SeededWorld, type_key: str = "generic_rest") -> WizardState:
    root = _signed_in_root(world)
    wizard = root.get_substate(WIZARD.split(".")[1:])
    assert isinstance(wizard, WizardState)
    wizard._reset_form(type_key)
    return wizard


def test_the_form_refuses_keys_its_integration_type_does_not_declare(wired: SeededWorld) -> None:
    wizard = _wizard(wired, "xledger")
    before = dict(wizard.values)
    wizard.set_value("not_a_field", "value")
    wizard.check_value("another", "value")
    wizard.set_value("api_token", "a secret is never kept as a plain value")
    assert wizard.values == before
    assert wizard.form_error == translate("en", UNDECLARED_FIELD)
    assert "not_a_field" not in wizard.field_errors


def test_a_value_beyond_its_fields_maximum_is_refused_by_the_field(wired: SeededWorld) -> None:
    wizard = _wizard(wired, "generic_rest")
    spec = next(s for s in get_type("generic_rest").fields_for(wizard.auth_flow) if not s.secret)
    wizard.set_value(spec.key, "x" * (spec.max_length + 1))
    assert wizard.values.get(spec.key, "") != "x" * (spec.max_length + 1)
    assert f"at most {spec.max_length} characters" in wizard.field_errors[spec.key]
    wizard.set_value(spec.key, "fits")
    assert wizard.values[spec.key] == "fits"
    assert spec.key not in wizard.field_errors


def test_the_state_stays_small_whatever_a_client_sends(wired: SeededWorld) -> None:
    """The old form kept every key it was sent: one run grew a state file to 4.5 MB."""
    wizard = _wizard(wired, "generic_rest")
    for n in range(2_000):
        wizard.set_value(f"junk_{n}", "y" * 10_000)
        wizard.toggle_secret(f"junk_{n}")
        wizard.set_environment(f"env_{n}" * 100)
        wizard.set_display_name("z" * 10_000)
    size = len(pickle.dumps(wizard))
    assert size < 20_000, f"the wizard's state pickles to {size} bytes"
