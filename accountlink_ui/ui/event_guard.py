"""One gate in front of every event handler of the app's pages.

A browser can send any event name with any payload over the websocket, signed
in or not. Before Reflex runs a handler of one of our states, ``EventGuard``:

1. refuses handlers the app did not write (Reflex's generic ``setvar``, and the
   ``set_<var>`` setters should auto-setters ever be switched on);
2. refuses a payload whose arguments are not what the handler declares (unknown
   argument names, wrong types, text or forms beyond fixed bounds), so no event
   can make a state var grow without bound;
3. resolves the signed-in person from the connection's session key, and sends
   anyone who is not signed in to the sign-in page without running the handler
   (only the sign-in page's own handlers are open).

Handlers still ask ``_actor()`` for the person (the service decides access);
field-level limits (declared keys, each field's maximum length) are checked
by the handlers that know the fields, with a message by the field.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import typing
from typing import Any

import reflex as rx
from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event, EventHandler
from reflex_base.registry import RegistrationContext
from reflex_base.utils.form import FORM_DATA_ENTRIES_KEY

from accountlink_ui.request_ids import bind, new_request_id
from accountlink_ui.services.wiring import get_services
from accountlink_ui.ui.states.session import SessionState, session_key_of

log = logging.getLogger(__name__)

PUBLIC_HANDLERS = frozenset(
    {
        "redirect_if_signed_in",
        "sign_in_answered",
        # The page's language, on every page (signed in or not); only a signed-in
        # person's choice is saved (ui/states/session.py).
        "pick_locale",
        "choose_locale",
        # The pages one-time links open, and "Forgot password?" (ui/states/links.py).
        "open_invitation",
        "open_reset",
        "open_forgot",
        "one_time_link_answered",
        "reset_request_answered",
    }
)
"""Handlers a browser that is not signed in may run: the sign-in page's own, and those of
the pages a one-time link opens."""

MAX_PAYLOAD_CHARS = 128 * 1024
"""One event's whole payload, as JSON. The largest legitimate one is a credential form
with a certificate and a private key (20,000 characters each at most), each reported
twice (by name and by element id)."""
MAX_TEXT_CHARS = 20_000
"""Any one text argument or form value: the longest field a page declares."""
MAX_FORM_FIELDS = 60
"""The longest form (8 fields, each reported by name and by id, and the name) has 17."""
MAX_FORM_KEY_CHARS = 100
MAX_ID = 2**53
"""Ids and other integers arrive from JavaScript; anything larger is not one of ours."""

REFUSED_MESSAGE = "That request was refused: it was not what this page sends."


def _text_ok(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT_CHARS


def _int_ok(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_ID
    return isinstance(value, str) and value.isdigit() and len(value) <= 16


def _form_ok(value: object) -> bool:
    """A submitted form: the browser sends ``{FORM_DATA_ENTRIES_KEY: [[name, value], ...]}``."""
    if not isinstance(value, dict):
        return False
    if set(value) == {FORM_DATA_ENTRIES_KEY}:
        entries = value[FORM_DATA_ENTRIES_KEY]
        if not isinstance(entries, list) or not all(
            isinstance(entry, list) and len(entry) == 2 for entry in entries
        ):
            return False
        pairs = [(entry[0], entry[1]) for entry in entries]
    else:
        pairs = list(value.items())
    return len(pairs) <= MAX_FORM_FIELDS and all(
        isinstance(key, str)
        and len(key) <= MAX_FORM_KEY_CHARS
        and (_text_ok(item) or isinstance(item, bool | int | float) or item is None)
        for key, item in pairs
    )


def _argument_ok(annotation: object, value: object) -> bool:
    """Whether one argument is what the handler declares (only the types our pages use)."""
    if annotation is str:
        return _text_ok(value)
    if annotation is int:
        return _int_ok(value)
    if annotation is bool:
        return isinstance(value, bool)
    if typing.get_origin(annotation) is dict:
        return _form_ok(value)
    return False  # an undeclared or unexpected type: no handler of ours takes one


@functools.lru_cache(maxsize=512)
def _parameters(fn: Any) -> dict[str, object]:
    hints = typing.get_type_hints(fn)
    hints.pop("return", None)
    return hints


def payload_refusal(handler: EventHandler, payload: object) -> str:
    """Why this payload is not what the handler accepts, or '' when it is."""
    if not handler.fn.__module__.startswith("accountlink_ui."):
        return "not a handler of this app"
    if not isinstance(payload, dict):
        return "payload is not an object"
    try:
        size = len(json.dumps(payload, default=str))
    except (TypeError, ValueError):
        return "payload is not JSON"
    if size > MAX_PAYLOAD_CHARS:
        return f"payload of {size} characters"
    parameters = _parameters(handler.fn)
    for name, value in payload.items():
        if name not in parameters:
            return f"unknown argument {name[:40]!r}"
        if not _argument_ok(parameters[name], value):
            return f"argument {name!r} is not a bounded {parameters[name]}"
    return ""


def _handler_of(event: Event) -> EventHandler | None:
    """The handler of ours an event names (as Reflex finds it), or None for Reflex's own."""
    registered = RegistrationContext.get().event_handlers.get(event.name)
    if registered is None or not registered.states:
        return None  # Reflex refuses an unregistered name itself, before any middleware
    if not issubclass(registered.states[0], SessionState):
        return None
    return registered.handler


def _update(*specs: Any) -> StateUpdate:
    return StateUpdate(events=Event.from_event_type(list(specs)))


class EventGuard(Middleware):
    """Runs before every event (foreground and background) with the state locked."""

    async def preprocess(  # type: ignore[override]
        self, app: rx.App, state: BaseState, event: Event
    ) -> StateUpdate | None:
        handler = _handler_of(event)
        if handler is None:
            return None
        # One id per page event: its log lines and outbound calls carry it.
        bind(new_request_id())
        handler_name = event.name.rpartition(".")[2]
        if handler_name not in PUBLIC_HANDLERS:
            auth = get_services().auth
            key = session_key_of(state)  # type: ignore[arg-type]
            # The process's recent answer costs no read; otherwise the read runs in a
            # worker thread so the event loop keeps serving every other websocket.
            signed_in = auth.recently_resolved(key) or await asyncio.to_thread(
                auth.resolve_key, key
            )
            if signed_in is None:
                return _update(rx.redirect("/login", replace=True))
        refusal = payload_refusal(handler, event.payload)
        if refusal:
            log.warning("Refused event %s: %s", event.name[-120:], refusal)
            return _update(rx.toast.error(REFUSED_MESSAGE))
        return None
