"""Fault modes: which failures each sandboxed system can be switched into.

A fault is armed per system and fires on that system's data/probe endpoints
(for Entra: the token endpoint), so a demo or a test can show every failure
path an adapter must handle: slow and hanging answers, 500s, 429s, broken
JSON, lost answers, and each system's own errors.

``lost_answer`` is the one that threatens exactly-once: the request is handled
in full (whatever it posts is stored), then the answer is held back for
``seconds`` so the client times out not knowing the target has it. ``slow``
waits *before* handling, so a client that gives up meanwhile leaves nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SYSTEMS: tuple[str, ...] = ("xledger", "entra", "business_central", "dataverse", "rest")
"""The systems built into the sandbox; more plug themselves in (``plugins.py``)."""

COMMON_FAULT_MODES: frozenset[str] = frozenset(
    {"hang", "slow", "http_500", "rate_limit", "malformed_json", "lost_answer"}
)
SYSTEM_FAULT_MODES: dict[str, frozenset[str]] = {
    "xledger": COMMON_FAULT_MODES
    | {"burst_limit", "concurrency_limit", "insufficient_credits", "query_timeout"},
    "entra": COMMON_FAULT_MODES | {"expired_secret", "unknown_tenant"},
    "business_central": COMMON_FAULT_MODES,
    "dataverse": COMMON_FAULT_MODES,
    "rest": COMMON_FAULT_MODES,
}

# Defaults for `seconds` when a mode takes a duration and none was given.
DEFAULT_SECONDS: dict[str, float] = {
    "hang": 15.0,
    "lost_answer": 15.0,
    "slow": 2.0,
    "rate_limit": 1.0,
    "insufficient_credits": 3600.0,
}


@dataclass
class Fault:
    """One armed fault; `passed` and `fired` count the requests it has seen."""

    system: str
    mode: str
    times: int | None = None
    after: int = 0
    seconds: float | None = None
    passed: int = 0
    fired: int = 0

    @property
    def duration(self) -> float:
        """The seconds this fault uses: the explicit value or the mode's default."""
        if self.seconds is not None:
            return self.seconds
        return DEFAULT_SECONDS.get(self.mode, 0.0)

    def public(self) -> dict[str, object]:
        """A JSON-ready description for the control API."""
        return asdict(self)


def known_systems() -> tuple[str, ...]:
    """The built-in systems and the plugged-in ones."""
    from accountlink_ui.sandbox.plugins import plugin_systems

    return SYSTEMS + tuple(system.name for system in plugin_systems())


def fault_modes(system: str) -> frozenset[str]:
    from accountlink_ui.sandbox.plugins import plugin

    plugged = plugin(system)
    if plugged is not None:
        return COMMON_FAULT_MODES | plugged.fault_modes
    return SYSTEM_FAULT_MODES[system]


def check_system(system: str) -> None:
    """Raise ValueError naming the known systems if `system` is not one of them."""
    known = known_systems()
    if system not in known:
        raise ValueError(f"Unknown system {system!r}. Known systems: {', '.join(known)}.")


def validate_fault(
    system: str, mode: str, times: int | None, after: int, seconds: float | None
) -> None:
    """Reject a fault that could never fire as asked, with a message for the person arming it."""
    check_system(system)
    modes = fault_modes(system)
    if mode not in modes:
        raise ValueError(
            f"Fault mode {mode!r} does not apply to {system}. "
            f"Modes for {system}: {', '.join(sorted(modes))}."
        )
    if times is not None and (not _is_int(times) or times < 1):
        raise ValueError(
            "'times' must be a whole number of at least 1, or omitted for 'until cleared'."
        )
    if not _is_int(after) or after < 0:
        raise ValueError("'after' must be a whole number of requests, 0 or more.")
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0
    ):
        raise ValueError("'seconds' must be a number of seconds, 0 or more.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
