"""Everything a sandbox remembers: faults, received records, the request log.

One `SandboxState` is shared by all five sandboxed systems. It is thread-safe
because the server runs in its own thread while tests and the demo read and
change it from theirs.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from accountlink_ui.sandbox.chart import Chart, demo_chart
from accountlink_ui.sandbox.credentials import CredentialStore
from accountlink_ui.sandbox.faults import Fault, check_system, known_systems, validate_fault
from accountlink_ui.sandbox.webhook_receiver import WebhookInbox

# The real status for a well-formed but unknown Xledger token is UNVERIFIED.
XLEDGER_INVALID_TOKEN_STATUSES = (401, 200)
# How Xledger reports a refused GL import batch is UNVERIFIED: with one problem per line
# ("per_line", the default) or as one generic error without detail ("batch").
XLEDGER_REFUSAL_DETAILS = ("per_line", "batch")
_T = TypeVar("_T")
# Entra answers an unknown client id in a known tenant with AADSTS700016 in the
# reports we found; 700011 (same `unauthorized_client`) is documented too. Which
# one a given request gets is UNVERIFIED, so the sandbox can give either.
ENTRA_UNKNOWN_CLIENT_CODES = (700016, 700011)
# How Business Central answers (404) an unknown environment is UNVERIFIED.
BC_UNKNOWN_ENVIRONMENT_ANSWERS = ("NoEnvironment", "BadRequest_ResourceNotFound", "empty", "html")


class SandboxState:
    """In-memory state of the sandboxes: what they accept, what they saw, how they fail."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.credentials = CredentialStore()
        self._ids = itertools.count(100_000_001)
        self._faults: dict[str, Fault] = {}
        systems = known_systems()
        self._received: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
        self._stored: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
        self._idempotency_keys: dict[str, dict[str, Any]] = {s: {} for s in systems}
        self._log: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
        self.extra: dict[str, dict[str, Any]] = {s: {} for s in systems}
        """Whatever a plugged-in system keeps besides records (sessions, settings), by
        system; emptied by ``reset``."""
        self._sequences: dict[str, int] = {}
        self._hang_epoch = 0
        self.chart: Chart = demo_chart()
        self.webhooks = WebhookInbox()
        """What the demo webhook receiver got (``sandbox/webhook_receiver``)."""
        self._defaults()

    def _defaults(self) -> None:
        """The settings `/_control/settings` changes, at their defaults."""
        self.xledger_invalid_token_status = 401
        self.xledger_refusal_detail = "per_line"
        # UNVERIFIED whether Xledger requires transactionSource on a GL import line.
        self.xledger_require_transaction_source = False
        # UNVERIFIED whether a line created through the API takes the journal's default
        # balancing account when the body leaves balancingAccountNumber out (the UI does).
        self.bc_journal_default_balancing = True
        self.entra_unknown_client_code = ENTRA_UNKNOWN_CLIENT_CODES[0]
        self.entra_refuse_ps256 = False
        self.business_central_unknown_environment = BC_UNKNOWN_ENVIRONMENT_ANSWERS[0]

    # --- settings ------------------------------------------------------------
    def set_xledger_invalid_token_status(self, status: int) -> None:
        """Choose how an unknown Xledger token is answered: 401, or 200 with `errors`."""
        if status not in XLEDGER_INVALID_TOKEN_STATUSES:
            raise ValueError("xledger_invalid_token_status must be 401 or 200.")
        self.xledger_invalid_token_status = status

    def change_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply the known settings in `body` (all checked first) and return every setting."""
        known = {
            "xledger_invalid_token_status",
            "xledger_refusal_detail",
            "xledger_require_transaction_source",
            "bc_journal_default_balancing",
            "entra_unknown_client_code",
            "entra_refuse_ps256",
            "business_central_unknown_environment",
        }
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        detail = body.get("xledger_refusal_detail", self.xledger_refusal_detail)
        if detail not in XLEDGER_REFUSAL_DETAILS:
            raise ValueError("xledger_refusal_detail must be per_line or batch.")
        for flag in ("xledger_require_transaction_source", "bc_journal_default_balancing"):
            if flag in body and not isinstance(body[flag], bool):
                raise ValueError(f"{flag} must be true or false.")
        before = {name: getattr(self, name) for name in known}
        try:
            if "entra_unknown_client_code" in body:
                self.set_entra_unknown_client_code(body["entra_unknown_client_code"])
            if "entra_refuse_ps256" in body:
                self.set_entra_refuse_ps256(body["entra_refuse_ps256"])
            if "business_central_unknown_environment" in body:
                self.set_business_central_unknown_environment(
                    body["business_central_unknown_environment"]
                )
        except ValueError:
            for name, value in before.items():
                setattr(self, name, value)
            raise
        if "xledger_invalid_token_status" in body:
            self.set_xledger_invalid_token_status(body["xledger_invalid_token_status"])
        self.xledger_refusal_detail = detail
        for flag in ("xledger_require_transaction_source", "bc_journal_default_balancing"):
            if flag in body:
                setattr(self, flag, body[flag])
        return {name: getattr(self, name) for name in sorted(known)}

    def set_entra_unknown_client_code(self, code: int) -> None:
        """Choose the AADSTS code for an unknown client id in a known tenant: 700016 or 700011."""
        if (
            isinstance(code, bool)
            or not isinstance(code, int)
            or code not in ENTRA_UNKNOWN_CLIENT_CODES
        ):
            raise ValueError("entra_unknown_client_code must be 700016 or 700011.")
        self.entra_unknown_client_code = code

    def set_entra_refuse_ps256(self, refuse: bool) -> None:
        """Make Entra refuse PS256 client assertions (AADSTS700027), as an older tenant might."""
        if not isinstance(refuse, bool):
            raise ValueError("entra_refuse_ps256 must be true or false.")
        self.entra_refuse_ps256 = refuse

    def set_business_central_unknown_environment(self, answer: str) -> None:
        """Choose the 404 body for an unknown environment: an OData code, empty, or HTML."""
        if answer not in BC_UNKNOWN_ENVIRONMENT_ANSWERS:
            raise ValueError(
                "business_central_unknown_environment must be one of: "
                f"{', '.join(BC_UNKNOWN_ENVIRONMENT_ANSWERS)}."
            )
        self.business_central_unknown_environment = answer

    # --- faults --------------------------------------------------------------
    def set_fault(
        self,
        system: str,
        mode: str,
        *,
        times: int | None = None,
        after: int = 0,
        seconds: float | None = None,
    ) -> None:
        """Arm a fault: let `after` requests pass, then fail `times` requests (None: until cleared).

        Arming replaces any fault already armed for that system.
        """
        validate_fault(system, mode, times, after, seconds)
        with self._lock:
            self._faults[system] = Fault(system, mode, times, after, seconds)

    def clear_faults(self, system: str | None = None) -> None:
        """Disarm the faults of one system, or of all systems, and end hangs in progress."""
        with self._lock:
            if system is None:
                self._faults.clear()
            else:
                check_system(system)
                self._faults.pop(system, None)
            self._hang_epoch += 1

    def release_hangs(self) -> None:
        """End every `hang` in progress now (they answer 504), e.g. before a server stops."""
        with self._lock:
            self._hang_epoch += 1

    @property
    def hang_epoch(self) -> int:
        """Changes whenever hangs in progress must end; a hang compares it with its start."""
        with self._lock:
            return self._hang_epoch

    def faults(self) -> dict[str, dict[str, object]]:
        """The armed faults by system, for display."""
        with self._lock:
            return {system: fault.public() for system, fault in self._faults.items()}

    def take_fault(self, system: str) -> Fault | None:
        """Count one request against the system's fault and return it if this request fails."""
        with self._lock:
            fault = self._faults.get(system)
            if fault is None:
                return None
            if fault.passed < fault.after:
                fault.passed += 1
                return None
            fault.fired += 1
            if fault.times is not None and fault.fired >= fault.times:
                del self._faults[system]
            return copy.copy(fault)

    # --- received records ----------------------------------------------------
    def record(
        self, system: str, arrived: list[dict[str, Any]], stored: list[dict[str, Any]]
    ) -> None:
        """Remember records as they arrived (duplicates too) and the ones actually kept."""
        with self._lock:
            self._received[system].extend(copy.deepcopy(arrived))
            self._stored[system].extend(copy.deepcopy(stored))

    def received(self, system: str) -> list[dict[str, Any]]:
        """Every record posted to `system`, duplicates included, in arrival order."""
        check_system(system)
        with self._lock:
            return copy.deepcopy(self._received[system])

    def stored(self, system: str) -> list[dict[str, Any]]:
        """The records `system` kept: for REST, without idempotent repeats."""
        check_system(system)
        with self._lock:
            return copy.deepcopy(self._stored[system])

    def count(self, system: str) -> int:
        """How many records `system` kept: `len(stored(...))` without copying them all."""
        check_system(system)
        with self._lock:
            return len(self._stored[system])

    def update_stored(self, system: str, change: Callable[[list[dict[str, Any]]], _T]) -> _T:
        """Run `change` on the live list of kept records, under the lock (e.g. posting a
        Business Central journal marks its lines posted)."""
        check_system(system)
        with self._lock:
            return change(self._stored[system])

    def mark(self, system: str) -> tuple[int, int]:
        """How many records `system` received and kept so far, for `truncate`."""
        check_system(system)
        with self._lock:
            return len(self._received[system]), len(self._stored[system])

    def truncate(self, system: str, mark: tuple[int, int]) -> None:
        """Forget the records added since `mark` (an atomicity group that failed)."""
        check_system(system)
        with self._lock:
            del self._received[system][mark[0] :]
            del self._stored[system][mark[1] :]

    def claim_idempotency_key(self, system: str, key: str, value: Any) -> tuple[bool, Any]:
        """Claim `key` for `value` the first time: (True, value); on a repeat: (False, first value)."""
        with self._lock:
            seen = self._idempotency_keys[system]
            if key in seen:
                return False, copy.deepcopy(seen[key])
            seen[key] = copy.deepcopy(value)
            return True, value

    def next_in_sequence(self, name: str, step: int = 1) -> int:
        """The next number of a named sequence (e.g. a journal's line numbers), from `step`."""
        with self._lock:
            value = self._sequences.get(name, 0) + step
            self._sequences[name] = value
            return value

    def next_id(self) -> int:
        """A fresh numeric id, unique across the sandbox (Xledger dbIds and the like)."""
        with self._lock:
            return next(self._ids)

    # --- request log ---------------------------------------------------------
    def log_request(
        self,
        system: str,
        *,
        method: str,
        path: str,
        query: str,
        auth_scheme: str | None,
        credential: str | None,
    ) -> dict[str, Any]:
        """Append a log entry for a request as it starts; returns the live entry."""
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "query": query,
            "auth_scheme": auth_scheme,
            "credential": credential,
            "time": time.time(),
            "status": None,
            "fault": None,
        }
        with self._lock:
            self._log[system].append(entry)
        return entry

    def note_fault(self, entry: dict[str, Any], fault: str) -> None:
        """Mark a logged request as faulted as soon as the fault fires, before it answers
        (a held answer may finish long after the client, or a test, has moved on)."""
        with self._lock:
            entry["fault"] = fault

    def complete_request(self, entry: dict[str, Any], status: int, fault: str | None) -> None:
        """Fill in how a logged request was answered."""
        with self._lock:
            entry["status"] = status
            entry["fault"] = fault

    def request_log(self, system: str) -> list[dict[str, Any]]:
        """Requests `system` saw, oldest first: method, path, auth credential, time, status."""
        check_system(system)
        with self._lock:
            return copy.deepcopy(self._log[system])

    # --- reset ---------------------------------------------------------------
    def reset(self) -> None:
        """Back to a fresh sandbox: no faults, no data (ledgers empty), empty log, default
        settings, the demo chart and demo credentials only.

        Access tokens already issued stay valid, so a running app's cached token
        does not break just because a test or demo started over.
        """
        with self._lock:
            self._faults.clear()
            for system in known_systems():
                self.extra[system].clear()
                self._received[system].clear()
                self._stored[system].clear()
                self._idempotency_keys[system].clear()
                self._log[system].clear()
            self._sequences.clear()
            self._defaults()
            self.chart = demo_chart()
            self._hang_epoch += 1
        self.credentials.restore_demo()
        self.webhooks.reset()
