"""Sandboxed systems that plug themselves in: one module each, nothing else to edit.

A module directly under ``accountlink_ui/sandbox/`` that defines ``SANDBOX_SYSTEM`` (a
:class:`SandboxSystem`) gets its routes mounted by ``app.py``, its name accepted by the
fault, log and credential controls, its own fault modes, and (when it keeps a ledger) its
entries readable at ``GET /_control/ledger/{name}``. The modules are imported on first
use, so this module imports none of them (and nothing that imports it back).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from accountlink_ui.sandbox.state import SandboxState

LedgerReader = Callable[["SandboxState", "str | None"], tuple[list[dict[str, Any]], int]]
"""(state, environment or None) -> (entries, voucher count); each entry has at least
``voucher``, ``account`` and ``amount`` (a Decimal), like ``ledger.py``'s own."""

DECLARATION = "SANDBOX_SYSTEM"


@dataclass(frozen=True)
class SandboxSystem:
    name: str
    """The key of its faults, request log and stored records (``/_control/...``)."""
    routes: Callable[[SandboxState], list[BaseRoute]]
    endpoints: Callable[[str], dict[str, str]]
    """Its base URLs under a sandbox root, for the sandbox's index page."""
    fault_modes: frozenset[str] = field(default_factory=frozenset)
    """Modes of its own, besides the common ones every system has."""
    ledger: LedgerReader | None = None


@cache
def plugin_systems() -> tuple[SandboxSystem, ...]:
    from accountlink_ui import sandbox

    found: list[SandboxSystem] = []
    for module_info in pkgutil.iter_modules(sandbox.__path__):
        module = importlib.import_module(f"{sandbox.__name__}.{module_info.name}")
        declared = getattr(module, DECLARATION, None)
        if declared is None:
            continue
        if not isinstance(declared, SandboxSystem):
            raise TypeError(f"{module.__name__}.{DECLARATION} is not a SandboxSystem")
        found.append(declared)
    return tuple(sorted(found, key=lambda system: system.name))


def plugin(name: str) -> SandboxSystem | None:
    return next((system for system in plugin_systems() if system.name == name), None)
