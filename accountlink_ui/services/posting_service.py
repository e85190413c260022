"""Posting settings and the posting preview: how an integration's claims become vouchers.

Settings are versioned like credentials (a new row per change, the integration's pointer
moved in the same transaction, an audit entry naming the fields that changed) and are not
secret. They never touch the sync schedule: the job reads them when it runs.

The preview is a dry run: it reads the claims the next run would send, builds their
vouchers with ``accounting.vouchers.build_voucher`` and renders them with the adapter's
``payload_lines``, the same two functions the sync uses, and posts nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine

from accountlink_ui import claim_queue_repository, integrations_repository
from accountlink_ui.accounting.chart import Chart
from accountlink_ui.accounting.posting_settings import (
    CATEGORIES,
    Category,
    suggested,
    validate,
)
from accountlink_ui.accounting.vouchers import VoucherError, build_voucher
from accountlink_ui.db import session_scope
from accountlink_ui.integrations.contracts import ConnectionConfig, PermanentError, TransientError
from accountlink_ui.integrations.registry import AdapterRegistry
from accountlink_ui.models import PostingSettingsVersion, utcnow
from accountlink_ui.services.access import MANAGE_INTEGRATIONS as MANAGE
from accountlink_ui.services.access import admitted_integration
from accountlink_ui.services.errors import NotFound
from accountlink_ui.services.integration_service import IntegrationService
from accountlink_ui.views import Actor

log = logging.getLogger(__name__)

CHART_SECONDS = 300.0
"""How long a listed chart is reused: Xledger charges per request, and the Posting step, the
save and the preview each need it within a few minutes of one another."""
PREVIEW_LIMIT = 50


@dataclass(frozen=True)
class PostingForm:
    integration_id: int
    type_key: str
    label: str
    values: dict[str, str]
    """Stored values, or suggestions from the chart when nothing is stored yet."""
    chart: Chart
    chart_error: str
    """Why the target's lists could not be read ("" when they were): entries are then taken
    as typed, and the target itself refuses what it does not know."""
    version: int | None
    categories: tuple[Category, ...] = CATEGORIES


@dataclass(frozen=True)
class PreviewRow:
    claim_id: int
    claimant: str
    voucher: str
    account: str
    account_name: str
    amount: Decimal
    balancing_account: str
    balancing_name: str
    tax_code: str
    tax_name: str
    dimensions: str
    text: str


@dataclass(frozen=True)
class PostingPreview:
    rows: tuple[PreviewRow, ...]
    problems: tuple[tuple[int, str], ...]
    """(claim id, why it cannot become a voucher): the run would refuse these."""
    claims: int
    """How many claims the preview covers (at most ``PREVIEW_LIMIT``)."""
    chart_error: str = ""


class PostingNotSetUp(Exception):
    """The integration has no posting settings yet; the message says where to set them."""


class PostingService:
    def __init__(
        self,
        *,
        engine: Engine,
        integrations: IntegrationService,
        adapters: AdapterRegistry,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._integrations = integrations
        self._adapters = adapters
        self._clock = clock
        self._charts: dict[tuple[int, int | None, str], tuple[float, Chart]] = {}
        self._lock = threading.Lock()

    def form(self, actor: Actor, integration_id: int, *, fresh: bool = False) -> PostingForm:
        """What the Posting step shows: stored or suggested values and the target's lists."""
        view = admitted_integration(self._engine, actor, integration_id, to=MANAGE)
        config, version = self._integrations.connection_config_and_version(integration_id)
        chart, error = self._chart(integration_id, version, config, fresh=fresh)
        with session_scope(self._engine) as session:
            row = integrations_repository.integration(session, integration_id)
            stored = integrations_repository.posting_settings(
                session, row.posting_settings_id if row else None
            )
        values = dict(stored.values) if stored else suggested(view.type_key, chart)
        return PostingForm(
            integration_id=integration_id,
            type_key=view.type_key,
            label=view.display_name,
            values=values,
            chart=chart,
            chart_error=error,
            version=stored.version if stored else None,
        )

    def save(
        self, actor: Actor, integration_id: int, values: Mapping[str, str]
    ) -> tuple[int | None, dict[str, str]]:
        """Validate against the target's chart and store a new version: (version, {}) or
        (None, field → message). Nothing is stored when anything is wrong."""
        view = admitted_integration(self._engine, actor, integration_id, to=MANAGE)
        config, version = self._integrations.connection_config_and_version(integration_id)
        chart, _ = self._chart(integration_id, version, config)
        settings, errors = validate(values, view.type_key, chart)
        if settings is None:
            return None, errors
        new_values = settings.values()
        with session_scope(self._engine) as session:
            row = integrations_repository.integration(session, integration_id)
            if row is None or row.organization_id != view.organization_id:
                raise NotFound(f"Integration {integration_id} does not exist.")
            previous = integrations_repository.posting_settings(session, row.posting_settings_id)
            old = dict(previous.values) if previous else {}
            number = integrations_repository.next_posting_settings_version(session, integration_id)
            stored = PostingSettingsVersion(
                integration_id=integration_id,
                version=number,
                values=new_values,
                created_by_id=actor.user_id,
            )
            session.add(stored)
            session.flush()
            row.posting_settings_id = stored.id
            row.updated_by_id = actor.user_id
            row.updated_at = utcnow()
            session.add(row)
            changed = {
                key: {"from": old.get(key, ""), "to": value}
                for key, value in new_values.items()
                if old.get(key, "") != value
            }
            integrations_repository.add_audit_event(
                session,
                organization_id=row.organization_id,
                actor_id=actor.user_id,
                action="posting_settings.changed",
                integration_id=integration_id,
                details={"version": number, "changed": changed},
            )
        return number, {}

    def preview(self, actor: Actor, integration_id: int) -> PostingPreview:
        """The voucher lines the next run would send for its first claims; posts nothing."""
        view = admitted_integration(self._engine, actor, integration_id, to=MANAGE)
        config, version = self._integrations.connection_config_and_version(integration_id)
        if config.posting is None:
            raise PostingNotSetUp(
                f"Posting is not set up for {view.display_name} yet: choose the accounts first."
            )
        chart, error = self._chart(integration_id, version, config)
        adapter = self._adapters.get(view.type_key)
        with session_scope(self._engine) as session:
            records = claim_queue_repository.pending_claims(
                session, view.organization_id, integration_id, limit=PREVIEW_LIMIT
            )
        rows: list[PreviewRow] = []
        problems: list[tuple[int, str]] = []
        for record in records:
            try:
                voucher = build_voucher(record, config.posting)
            except VoucherError as exc:
                problems.append((record.claim_id, str(exc)))
                continue
            for line in adapter.payload_lines(config, voucher):
                rows.append(
                    PreviewRow(
                        claim_id=record.claim_id,
                        claimant=record.claimant,
                        voucher=line.voucher,
                        account=line.account,
                        account_name=chart.account_name(line.account),
                        amount=line.amount,
                        balancing_account=line.balancing_account,
                        balancing_name=chart.account_name(line.balancing_account),
                        tax_code=line.tax_code,
                        tax_name=chart.tax_name(line.tax_code),
                        dimensions=", ".join(f"{k}={v}" for k, v in line.dimensions),
                        text=line.text,
                    )
                )
        return PostingPreview(
            rows=tuple(rows), problems=tuple(problems), claims=len(records), chart_error=error
        )

    def _chart(
        self,
        integration_id: int,
        version: int | None,
        config: ConnectionConfig,
        *,
        fresh: bool = False,
    ) -> tuple[Chart, str]:
        key = (integration_id, version, _connection_key(config))
        now = self._clock()
        with self._lock:
            cached = self._charts.get(key)
        if cached and not fresh and now - cached[0] < CHART_SECONDS:
            return cached[1], ""
        try:
            chart = self._adapters.get(config.type_key).chart(config)
        except (TransientError, PermanentError) as exc:
            return Chart(), (
                f"The lists could not be read from the system ({exc}). Type the codes "
                "instead; the system checks them when the claims arrive."
            )
        with self._lock:
            self._charts[key] = (now, chart)
        return chart, ""


def _connection_key(config: ConnectionConfig) -> str:
    """Which connection a chart was read through, as a digest kept only in memory.

    An integration's id and credential version alone can name another connection: SQLite
    reuses the highest id after a delete, so a new integration (of another organization,
    even) would be served the deleted one's chart for up to ``CHART_SECONDS``.
    """
    digest = hashlib.sha256()
    parts = (
        config.type_key,
        config.environment,
        config.auth_flow,
        *sorted(config.settings.items()),
        *sorted(config.secrets.items()),
    )
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()
