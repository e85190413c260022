"""The audit trail as an auditor reads it: who did what to which integration, and when.

Events are written by the services that act (DESIGN rule 3); this module only
reads them, for admins of the organization, and turns each into one readable
sentence. Details never hold a secret by construction; as a second line of
defence any value stored under a secret field's key is masked before it is shown
or exported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from accountlink_ui import integrations_repository
from accountlink_ui.db import session_scope
from accountlink_ui.i18n import Message, translate
from accountlink_ui.integrations.registry import integration_types
from accountlink_ui.integrations.types import IntegrationType
from accountlink_ui.models import AuditEvent, Integration, as_utc
from accountlink_ui.redaction import scrub
from accountlink_ui.services.access import require_admin
from accountlink_ui.services.errors import NotFound
from accountlink_ui.views import Actor

PAGE_LIMIT = 200
EXPORT_LIMIT = 10_000
REDACTED = "••••••••"


@cache
def _secret_keys() -> frozenset[str]:
    return frozenset(
        key
        for integration_type in integration_types()
        for flow in integration_type.auth_flows
        for key in integration_type.secret_keys(flow.key)
    )


@cache
def _types() -> dict[str, IntegrationType]:
    return {integration_type.key: integration_type for integration_type in integration_types()}


def _type_label(type_key: str, default: str) -> str:
    integration_type = _types().get(type_key)
    return integration_type.label if integration_type else default


ACTIONS: tuple[str, ...] = (
    "integration.created",
    "integration.tested",
    "integration.credentials_updated",
    "integration.enabled",
    "integration.disabled",
    "integration.deleted",
    "integration.schedule_changed",
    "integration.synced",
    "integration.status_changed",
    "posting_settings.changed",
    "vault.key_rotated",
    "api_token.created",
    "api_token.revoked",
    "sign_in.failed",
    "sign_in.throttled",
    "organization.created",
    "member.invited",
    "member.invitation_revoked",
    "member.joined",
    "member.role_changed",
    "member.removed",
    "member.reset_link_created",
    "member.password_reset",
    "claims.received",
    "claim.withdrawn",
    "claim.retried",
    "integration.send_at_once_changed",
)
"""Every audited action; its label is ``audit.action.<action>`` in the catalogues."""
ACTION_LABELS = {action: translate("en", f"audit.action.{action}") for action in ACTIONS}
"""The English labels (the CSV export's ``action_label`` column stays English, like its
column names); pages call ``action_label(action, locale)``."""
CSV_COLUMNS = (
    "time_utc",
    "actor",
    "actor_email",
    "action",
    "action_label",
    "integration_id",
    "integration",
    "summary",
    "details_json",
)


@dataclass(frozen=True)
class AuditEventView:
    id: int
    at: datetime
    action: str
    action_label: str
    actor: str
    """A person's name, or what acted without one ('Scheduler', 'Operator command')."""
    actor_email: str
    integration_id: int | None
    integration: str
    summary: str
    details: dict[str, Any]
    """Secret-free details as stored (secret-named keys masked), for the API and the CSV."""


@dataclass(frozen=True)
class IntegrationChoice:
    id: int
    label: str


class AuditService:
    """Stateless over the engine: cheap to build wherever the services are at hand."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    def list_events(
        self,
        actor: Actor,
        organization_id: int,
        *,
        integration_id: int | None = None,
        limit: int = PAGE_LIMIT,
    ) -> list[AuditEventView]:
        """Newest first; another organization's integration is NotFound, as everywhere."""
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="audit")
            labels = _integration_labels(session, organization_id)
            if integration_id is not None and integration_id not in labels:
                raise NotFound(Message.of("integration.not_found"))
            events = integrations_repository.audit_events(
                session, organization_id, integration_id=integration_id, limit=limit
            )
            people = integrations_repository.people_named(
                session, {e.actor_id for e in events if e.actor_id is not None}
            )
            return [_view(event, people, labels) for event in events]

    def integration_choices(self, actor: Actor, organization_id: int) -> list[IntegrationChoice]:
        """Every integration the trail mentions, deleted ones included, for the filter."""
        with session_scope(self._engine) as session:
            require_admin(session, actor, organization_id, to="audit")
            labels = _integration_labels(session, organization_id)
        return sorted(
            (IntegrationChoice(id=key, label=label) for key, label in labels.items()),
            key=lambda choice: choice.label.lower(),
        )

    def export_csv(
        self, actor: Actor, organization_id: int, *, integration_id: int | None = None
    ) -> str:
        """The trail as CSV text, oldest first as auditors read a ledger."""
        events = self.list_events(
            actor, organization_id, integration_id=integration_id, limit=EXPORT_LIMIT
        )
        return events_to_csv(reversed(events))


def events_to_csv(events: Iterable[AuditEventView]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow(
            _cell(value)
            for value in (
                event.at.astimezone(UTC).isoformat(timespec="seconds"),
                event.actor,
                event.actor_email,
                event.action,
                event.action_label,
                "" if event.integration_id is None else str(event.integration_id),
                event.integration,
                event.summary,
                json.dumps(event.details, sort_keys=True, ensure_ascii=False, default=str),
            )
        )
    return buffer.getvalue()


def _cell(value: str) -> str:
    """Spreadsheets run cells starting with these as formulas; an auditor opens this in one."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _integration_labels(session: Session, organization_id: int) -> dict[int, str]:
    """Current names, plus what deleted integrations were called when they were deleted."""
    mentioned = integrations_repository.audited_integration_ids(session, organization_id)
    labels = {key: f"Integration {key} (deleted)" for key in mentioned}
    for integration_id, details in integrations_repository.audit_details_of(
        session, organization_id, "integration.deleted"
    ):
        name = details.get("display_name") or _type_label(details.get("type", ""), "")
        if integration_id is not None and name:
            labels[integration_id] = f"{name} (deleted)"
    for row in integrations_repository.integrations_of(session, organization_id):
        if row.id is not None:
            labels[row.id] = _integration_label(row)
    return labels


def _integration_label(row: Integration) -> str:
    type_label = _type_label(row.type_key, row.type_key)
    if row.display_name and row.display_name != type_label:
        return f"{type_label}: {row.display_name}"
    return type_label


def _view(
    event: AuditEvent, people: Mapping[int, tuple[str, str]], labels: Mapping[int, str]
) -> AuditEventView:
    details = _masked(event.details or {})
    name, email = people.get(event.actor_id or 0, ("", ""))
    if event.actor_id is None:
        name = _non_person(details)
    elif not name:
        name = f"User {event.actor_id} (removed)"
    via = details.get("via") or ("the API" if details.get("trigger") == "api" else "")
    if via and event.actor_id is not None:
        name = f"{name} via {via}"
    return AuditEventView(
        id=event.id or 0,
        at=as_utc(event.created_at),
        action=event.action,
        action_label=action_label(event.action),
        actor=name,
        actor_email=email,
        integration_id=event.integration_id,
        integration=_integration_of(event, details, labels),
        summary=describe(event.action, details),
        details=details,
    )


def _integration_of(
    event: AuditEvent, details: Mapping[str, Any], labels: Mapping[int, str]
) -> str:
    if event.integration_id is not None:
        return labels.get(event.integration_id, "")
    if event.action == "integration.tested" and details.get("type"):
        type_key = str(details["type"])
        return f"{_type_label(type_key, type_key)} (before saving)"
    return ""


def _non_person(details: Mapping[str, Any]) -> str:
    by = str(details.get("by") or "")
    if by:
        return by[:1].upper() + by[1:]
    if details.get("trigger") == "schedule":
        return "Scheduler"
    return "System"


def _masked(value: Any, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {str(k): _masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item, key) for item in value]
    if key in _secret_keys() and isinstance(value, str) and value:
        return REDACTED
    if isinstance(value, str):
        # Also on read: rows written before details were scrubbed on write lose
        # credential-shaped values (Authorization values, secret parameters) here.
        return scrub(value)
    return value


def action_label(action: str, locale: str = "en") -> str:
    """The action in the reader's words; 'integration.sync_finished' → 'Sync finished' for
    actions this module does not know yet."""
    if action in ACTION_LABELS:
        return translate(locale, f"audit.action.{action}")
    words = action.rsplit(".", 1)[-1].replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else action


def describe(action: str, details: Mapping[str, Any]) -> str:
    """One sentence per event, from the secret-free details."""
    describer = _DESCRIBERS.get(action)
    text = describer(details) if describer else ""
    return text or readable(details)


def readable(details: Mapping[str, Any]) -> str:
    """Any details as 'key: value; key: from → to', for actions without their own sentence."""
    parts = []
    for key, value in details.items():
        label = key.replace("_", " ")
        parts.append(f"{label}: {_plain(value)}")
    return "; ".join(parts)


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        if set(value) == {"from", "to"}:
            return f"{_plain(value['from']) or '(empty)'} → {_plain(value['to']) or '(empty)'}"
        return ", ".join(f"{k.replace('_', ' ')} {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _changes(changes: Mapping[str, Any]) -> list[str]:
    return [
        f"{key.replace('_', ' ')}: {_plain(change)}"
        for key, change in changes.items()
        if not (isinstance(change, Mapping) and change.get("from") == change.get("to"))
    ]


def _environment_label(type_key: str, environment: str) -> str:
    integration_type = _types().get(type_key)
    envs = {e.key: e.label for e in integration_type.environments} if integration_type else {}
    return envs.get(environment, environment)


def _flow_label(type_key: str, flow: str) -> str:
    integration_type = _types().get(type_key)
    flows = {f.key: f.label for f in integration_type.auth_flows} if integration_type else {}
    return flows.get(flow, flow)


def _created(d: Mapping[str, Any]) -> str:
    type_key = str(d.get("type", ""))
    parts = [
        _type_label(type_key, type_key),
        f"environment {_environment_label(type_key, str(d.get('environment', '')))}",
        f"sign-in {_flow_label(type_key, str(d.get('auth_flow', '')))}",
    ]
    if d.get("settings"):
        parts.append("settings " + ", ".join(f"{k}={v}" for k, v in d["settings"].items()))
    parts.append(f"secrets set: {_plain(d.get('secrets_set', []))}")
    parts.append(f"credential version {d.get('credential_version', 1)}")
    return "; ".join(part for part in parts if part)


def _tested(d: Mapping[str, Any]) -> str:
    text = ("Passed" if d.get("ok") else "Failed") + f": {d.get('message', '')}".rstrip(" .:")
    if d.get("latency_ms"):
        text += f" ({d['latency_ms']} ms)"
    if d.get("fields"):
        text += f"; fields at fault: {_plain(d['fields'])}"
    if d.get("by"):
        text += f"; by {d['by']}"
    return text


def _credentials_updated(d: Mapping[str, Any]) -> str:
    parts = [f"Credential version {d.get('credential_version', '?')}"]
    parts.append(f"secrets replaced: {_plain(d.get('secrets_changed', []))}")
    parts += _changes(d.get("settings_changed") or {})
    parts += _changes({k: d[k] for k in ("environment", "auth_flow") if k in d})
    return "; ".join(parts)


def _synced(d: Mapping[str, Any]) -> str:
    trigger = {"schedule": "Scheduled", "manual": "Manual", "api": "API"}.get(
        str(d.get("trigger", "")), str(d.get("trigger", "")).capitalize()
    )
    text = (
        f"{trigger} sync {d.get('outcome', '')}: {d.get('records_sent', 0)} sent, "
        f"{d.get('records_failed', 0)} refused"
    )
    if d.get("credential_version") is not None:
        text += f" (credential version {d['credential_version']})"
    if d.get("error"):
        text += f"; {d['error']}"
    return text


def _status_changed(d: Mapping[str, Any]) -> str:
    text = "; ".join(_changes({"status": d.get("status", {})}))
    return f"{text}; {d['reason']}" if d.get("reason") else text


def _sign_in_failed(d: Mapping[str, Any]) -> str:
    failures = d.get("failures", 1)
    return (
        f"Wrong password for {d.get('email', '')} from {d.get('address', '')} "
        f"({failures} {'failure' if failures == 1 else 'failures'} in a row)"
    )


def _sign_in_throttled(d: Mapping[str, Any]) -> str:
    what = "Locked out" if d.get("locked") else "Slowed down"
    return (
        f"{what} after repeated failures: sign-ins as {d.get('email', '')} from "
        f"{d.get('address', '')} refused without checking the password until {d.get('until', '')}"
    )


def _token(d: Mapping[str, Any]) -> str:
    return f"Token “{d.get('token', '')}” ({d.get('prefix', '')}…)"


_DESCRIBERS = {
    "integration.created": _created,
    "integration.tested": _tested,
    "integration.credentials_updated": _credentials_updated,
    "integration.enabled": lambda d: "; ".join(_changes(d)),
    "integration.disabled": lambda d: "; ".join(_changes(d)),
    "integration.schedule_changed": lambda d: "; ".join(_changes(d)),
    "integration.synced": _synced,
    "integration.status_changed": _status_changed,
    "integration.deleted": lambda d: f"Deleted {d.get('display_name') or d.get('type', '')}",
    "posting_settings.changed": lambda d: "; ".join(
        [f"Posting settings version {d.get('version', '?')}", *_changes(d.get("changed") or {})]
    ),
    "api_token.created": _token,
    "api_token.revoked": _token,
    "sign_in.failed": _sign_in_failed,
    "sign_in.throttled": _sign_in_throttled,
}
