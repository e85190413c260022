"""Demo controls for the product team: switch sandbox faults, add claims, reset the demo.

Only in demo mode (``demo_controls_enabled``): every call is refused otherwise, whatever
the browser sends, and the app leaves the page out. Only an organization's admins may
use them. The sandbox lives in this process in the demo (``sandbox/embedded.py``), so
a switched fault is what the next connection test or sync meets.

What a reset touches: the acting organization's integrations (removed through the
integration service, so each removal is audited) and its claims (back to approved),
and the sandbox, which every demo organization shares (faults off, ledgers emptied).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from accountlink_ui import claim_queue_repository, integrations_repository
from accountlink_ui.db import session_scope
from accountlink_ui.demo_claims import make_claims
from accountlink_ui.models import utcnow
from accountlink_ui.sandbox.faults import SYSTEM_FAULT_MODES, SYSTEMS
from accountlink_ui.sandbox.state import SandboxState
from accountlink_ui.services.access import require_admin
from accountlink_ui.services.errors import InvalidConfig, PermissionDenied
from accountlink_ui.services.integration_service import IntegrationService
from accountlink_ui.settings import Settings
from accountlink_ui.views import Actor

FAULT_OFF = "off"
CLAIMS_PER_ADD = 5
_TO = "use the demo controls"

DEMO_ONLY = "demo_only"
UNKNOWN_SYSTEM = "unknown_system"
UNKNOWN_MODE = "unknown_mode"


def demo_controls_enabled(settings: Settings) -> bool:
    """The one switch: demo mode with the sandbox served in this process.

    Production mode never has either, so the controls are off there; a merge that adds
    a production switch may make this say ``not production`` as well.
    """
    return settings.demo and settings.mount_sandbox


class DemoOnly(PermissionDenied):
    """A demo control called outside demo mode."""

    code = DEMO_ONLY

    def __init__(self) -> None:
        super().__init__("The demo controls exist only in demo mode.")


@dataclass(frozen=True)
class SystemFaults:
    system: str
    modes: tuple[str, ...]
    """Fault modes this system can be switched into, sorted."""
    armed: str | None
    """The mode switched on now, or None."""


@dataclass(frozen=True)
class DemoStatus:
    systems: tuple[SystemFaults, ...]
    waiting_claims: int
    """The organization's claims waiting for their first sync."""


@dataclass(frozen=True)
class DemoReset:
    integrations_removed: int
    claims_returned: int


class DemoControls:
    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        integrations: IntegrationService,
        sandbox: Callable[[], SandboxState],
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._integrations = integrations
        self._sandbox = sandbox

    @property
    def enabled(self) -> bool:
        return demo_controls_enabled(self._settings)

    def status(self, actor: Actor, organization_id: int) -> DemoStatus:
        self._allow(actor, organization_id)
        armed = self._sandbox().faults()
        systems = tuple(
            SystemFaults(
                system=system,
                modes=tuple(sorted(SYSTEM_FAULT_MODES[system])),
                armed=str(armed[system]["mode"]) if system in armed else None,
            )
            for system in SYSTEMS
        )
        with session_scope(self._engine) as session:
            waiting = claim_queue_repository.waiting_claims_count(session, organization_id)
        return DemoStatus(systems=systems, waiting_claims=waiting)

    def switch_fault(self, actor: Actor, organization_id: int, system: str, mode: str) -> None:
        """Arm ``mode`` on ``system`` until switched off (it replaces the one armed), or
        switch the system's fault off with ``FAULT_OFF``."""
        self._allow(actor, organization_id)
        if system not in SYSTEMS:
            raise InvalidConfig({"system": UNKNOWN_SYSTEM})
        if mode != FAULT_OFF and mode not in SYSTEM_FAULT_MODES[system]:
            raise InvalidConfig({"mode": UNKNOWN_MODE})
        sandbox = self._sandbox()
        if mode == FAULT_OFF:
            sandbox.clear_faults(system)
        else:
            sandbox.set_fault(system, mode)

    def add_claims(self, actor: Actor, organization_id: int) -> int:
        """A handful of fresh approved claims, dated this week; returns how many."""
        self._allow(actor, organization_id)
        make_claims(
            self._engine,
            organization_id,
            CLAIMS_PER_ADD,
            first_date=utcnow().date() - timedelta(days=2),
        )
        return CLAIMS_PER_ADD

    def reset(self, actor: Actor, organization_id: int) -> DemoReset:
        """Integrations removed, claims back to approved, sandbox faults off and ledgers empty."""
        self._allow(actor, organization_id)
        with session_scope(self._engine) as session:
            ids = [
                row.id for row in integrations_repository.integrations_of(session, organization_id)
            ]
        for integration_id in ids:
            assert integration_id is not None
            self._integrations.delete_integration(actor, integration_id)
        with session_scope(self._engine) as session:
            returned = claim_queue_repository.return_claims_to_approved(session, organization_id)
        self._sandbox().reset()
        return DemoReset(integrations_removed=len(ids), claims_returned=returned)

    def _allow(self, actor: Actor, organization_id: int) -> None:
        if not self.enabled:
            raise DemoOnly()
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to=_TO)
