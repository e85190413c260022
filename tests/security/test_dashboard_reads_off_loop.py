"""A dashboard load reads the database in a worker thread, never on the event loop.

One event loop serves every websocket of a backend process; a read on it stalls them
all, and the session whose event is running keeps its state lock meanwhile (at 400
sessions the hand-measured run logged thousands of locks held over a second). These
record the thread each database-reading service call runs in.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, event

import accountlink_ui.accountlink_ui  # noqa: F401  (registers every page state)
from accountlink_ui.services.auth_service import session_key
from accountlink_ui.ui import event_guard
from accountlink_ui.ui.event_guard import EventGuard
from accountlink_ui.ui.states import session as session_module
from accountlink_ui.ui.states.integrations import IntegrationsState, read_dashboard
from tests.support.run_async import run_async
from tests.support.world import ADMIN_EMAIL, PASSWORD, SeededWorld


class ThreadLog:
    """Wraps service methods to note the thread each call ran in."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, int]] = []
        self._monkeypatch = monkeypatch

    def watch(self, owner: object, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def noted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, threading.get_ident()))
            return original(*args, **kwargs)

        self._monkeypatch.setattr(owner, name, noted)

    def watch_statements(self, engine: Engine) -> None:
        """Every SQL statement the engine sends, named "sql"."""

        def noted(*args: object) -> None:
            self.calls.append(("sql", threading.get_ident()))

        event.listen(engine, "before_cursor_execute", noted)

    def on_thread(self, ident: int) -> list[str]:
        return [name for name, thread in self.calls if thread == ident]


async def _on_loop(work: Any) -> tuple[int, Any]:
    """The event loop's thread, and what ``work`` (a coroutine) returned."""
    return threading.get_ident(), await work


def test_the_dashboard_load_is_a_background_event() -> None:
    """A foreground handler runs under the session's state lock from start to end."""
    handler = IntegrationsState.event_handlers["load"]
    assert handler.is_background
    assert asyncio.iscoroutinefunction(handler.fn)


def test_a_dashboard_load_reads_in_a_worker_thread(
    session_world: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = session_world.services
    signed_in = services.auth.sign_in(ADMIN_EMAIL, PASSWORD)
    organization_id = signed_in.memberships[0].organization_id
    log = ThreadLog(monkeypatch)
    log.watch(services.auth, "resolve_key")
    log.watch(services.dashboard, "read")
    log.watch_statements(services.engine)

    loop_thread, read = run_async(
        _on_loop(read_dashboard(services, session_key(signed_in.token), organization_id))
    )

    assert read.signed_in is not None and read.signed_in.actor.user_id == signed_in.actor.user_id
    assert read.outcome.result, "the cards were read"
    assert {name for name, _ in log.calls} == {"resolve_key", "read", "sql"}
    assert log.on_thread(loop_thread) == [], "database reads ran on the event loop"


def test_the_event_guard_resolves_an_unseen_session_in_a_worker_thread(
    session_world: SeededWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard runs under the state lock for every event: on a key this process has not
    resolved lately, the read leaves the loop; a recent one costs no read at all."""
    from reflex.istate.data import HeaderData
    from reflex.state import State
    from reflex_base.event import Event

    from accountlink_ui.web_session import SESSION_KEY_COOKIE

    services = session_world.services
    monkeypatch.setattr(event_guard, "get_services", lambda: services)
    monkeypatch.setattr(session_module, "get_services", lambda: services)
    token = services.auth.sign_in(ADMIN_EMAIL, PASSWORD).token
    services.auth._recent.clear()  # as in another worker process, which never saw this key
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.rx_router_headers = HeaderData(cookie=f"{SESSION_KEY_COOKIE}={session_key(token)}")
    event = Event(name=f"{IntegrationsState.get_full_name()}.load", payload={})
    log = ThreadLog(monkeypatch)
    log.watch(services.auth, "_read_session")

    def guard() -> Any:
        return EventGuard().preprocess(app=None, state=root, event=event)  # type: ignore[arg-type]

    loop_thread, update = run_async(_on_loop(guard()))
    assert update is None, "a signed-in admin's load passes the guard"
    assert [name for name, _ in log.calls] == ["_read_session"]
    assert log.on_thread(loop_thread) == []

    run_async(_on_loop(guard()))
    assert len(log.calls) == 1, "a session resolved a moment ago is not read again"
