"""Organization Integration Repository: organizations, people's memberships, integrations,
their credential and posting versions, sync runs and the audit trail.

The queries, and nothing but the queries. Functions take an open session so the service
decides the transaction boundaries (rule 4: a credential swap is one transaction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from accountlink_ui.models import (
    AuditEvent,
    CredentialVersion,
    Integration,
    IntegrationIncident,
    Membership,
    Organization,
    PostingSettingsVersion,
    SyncRun,
    SyncRunOutcome,
    User,
)
from accountlink_ui.redaction import scrub_data


def organization(session: Session, organization_id: int) -> Organization | None:
    return session.get(Organization, organization_id)


def organization_by_slug(session: Session, slug: str) -> Organization | None:
    return session.exec(select(Organization).where(Organization.slug == slug)).first()


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


# The dashboard's hot reads, built once: composing a statement and its cache key costs
# more than SQLite's whole query (122 µs against 42 µs for a membership, measured), and
# every signed-in page event runs some of these.
_MEMBERSHIP = select(Membership).where(
    col(Membership.organization_id) == bindparam("organization_id"),
    col(Membership.user_id) == bindparam("user_id"),
)
_MEMBERSHIPS_OF = (
    select(Membership, Organization)
    .join(Organization, col(Organization.id) == Membership.organization_id)
    .where(col(Membership.user_id) == bindparam("user_id"))
    .order_by(col(Organization.name))
)
_INTEGRATIONS_OF = select(Integration).where(
    col(Integration.organization_id) == bindparam("organization_id")
)


def membership(session: Session, organization_id: int, user_id: int) -> Membership | None:
    return session.exec(
        _MEMBERSHIP, params={"organization_id": organization_id, "user_id": user_id}
    ).first()


def memberships_of(session: Session, user_id: int) -> list[tuple[Membership, Organization]]:
    rows = session.exec(_MEMBERSHIPS_OF, params={"user_id": user_id}).all()
    return [(m, o) for m, o in rows]


def integrations_of(session: Session, organization_id: int) -> Sequence[Integration]:
    return session.exec(_INTEGRATIONS_OF, params={"organization_id": organization_id}).all()


def integration(session: Session, integration_id: int) -> Integration | None:
    return session.get(Integration, integration_id)


def integration_of_type(
    session: Session, organization_id: int, type_key: str
) -> Integration | None:
    return session.exec(
        select(Integration).where(
            Integration.organization_id == organization_id, Integration.type_key == type_key
        )
    ).first()


def credential_version(session: Session, version_id: int | None) -> CredentialVersion | None:
    return session.get(CredentialVersion, version_id) if version_id is not None else None


def active_credentials(
    session: Session, integrations: Sequence[Integration]
) -> dict[int, tuple[CredentialVersion, str]]:
    """Integration id → (its active credential version, the name of who set it), in one query."""
    ids = [i.active_credential_version_id for i in integrations if i.active_credential_version_id]
    if not ids:
        return {}
    rows = session.exec(
        select(CredentialVersion, User.name)
        .join(User, col(User.id) == CredentialVersion.created_by_id)
        .where(col(CredentialVersion.id).in_(ids))
    ).all()
    return {version.integration_id: (version, name) for version, name in rows}


def posting_settings(session: Session, version_id: int | None) -> PostingSettingsVersion | None:
    return session.get(PostingSettingsVersion, version_id) if version_id is not None else None


def next_posting_settings_version(session: Session, integration_id: int) -> int:
    current = session.execute(
        select(func.max(PostingSettingsVersion.version)).where(
            col(PostingSettingsVersion.integration_id) == integration_id
        )
    ).scalar_one()
    return int(current or 0) + 1


def next_credential_version(session: Session, integration_id: int) -> int:
    current = session.exec(
        select(func.max(CredentialVersion.version)).where(
            CredentialVersion.integration_id == integration_id
        )
    ).one()
    return (current or 0) + 1


def all_credential_versions(session: Session) -> Sequence[tuple[CredentialVersion, Integration]]:
    return session.exec(
        select(CredentialVersion, Integration).join(
            Integration, col(Integration.id) == CredentialVersion.integration_id
        )
    ).all()


def delete_integration(session: Session, integration: Integration) -> None:
    """The integration with its credential and posting versions and run history; audit
    events stay."""
    for model in (CredentialVersion, PostingSettingsVersion, SyncRun, IntegrationIncident):
        for row in session.exec(select(model).where(model.integration_id == integration.id)).all():
            session.delete(row)
    session.flush()
    session.delete(integration)


def add_audit_event(
    session: Session,
    *,
    organization_id: int,
    actor_id: int | None,
    action: str,
    integration_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        organization_id=organization_id,
        actor_id=actor_id,
        action=action,
        integration_id=integration_id,
        # Scrubbed as written: a detail quoting a target's answer may echo a credential.
        details=scrub_data(details or {}),
    )
    session.add(event)
    return event


def audit_events(
    session: Session, organization_id: int, *, integration_id: int | None = None, limit: int = 200
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.organization_id == organization_id)
    if integration_id is not None:
        query = query.where(AuditEvent.integration_id == integration_id)
    return session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit)).all()


def recent_sync_errors(
    session: Session, integration_ids: Sequence[int], *, per_integration: int = 3
) -> dict[int, list[SyncRun]]:
    """The latest failed or partial runs of each integration, in one query for all of them."""
    if not integration_ids:
        return {}
    ranked = (
        select(
            SyncRun.id,
            func.row_number()
            .over(partition_by=col(SyncRun.integration_id), order_by=col(SyncRun.id).desc())
            .label("rank"),
        )
        .where(
            col(SyncRun.integration_id).in_(integration_ids),
            col(SyncRun.outcome).in_(("failed", "partial")),
        )
        .subquery()
    )
    rows = session.exec(
        select(SyncRun)
        .join(ranked, col(ranked.c.id) == SyncRun.id)
        .where(ranked.c.rank <= per_integration)
        .order_by(col(SyncRun.id).desc())
    ).all()
    errors: dict[int, list[SyncRun]] = {}
    for run in rows:
        errors.setdefault(run.integration_id, []).append(run)
    return errors


def sync_runs_of(
    session: Session, integration_id: int, *, limit: int = 20
) -> list[tuple[SyncRun, str | None]]:
    """The integration's runs, newest first, each with the name of who started it."""
    rows = session.exec(
        select(SyncRun, User.name)
        .join(User, col(User.id) == SyncRun.actor_id, isouter=True)
        .where(SyncRun.integration_id == integration_id)
        .order_by(col(SyncRun.id).desc())
        .limit(limit)
    ).all()
    return [(run, name) for run, name in rows]


def running_sync_runs(session: Session, integration_id: int) -> Sequence[SyncRun]:
    return session.exec(
        select(SyncRun)
        .where(
            SyncRun.integration_id == integration_id,
            SyncRun.outcome == SyncRunOutcome.RUNNING.value,
        )
        .order_by(col(SyncRun.id))
    ).all()


def people_named(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    """User id → (name, email) for the given ids, in one query."""
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.name, User.email).where(col(User.id).in_(ids))).all()
    return {user_id: (name, email) for user_id, name, email in rows if user_id is not None}


def audited_integration_ids(session: Session, organization_id: int) -> list[int]:
    """Every integration the organization's audit trail mentions, deleted ones included."""
    mentioned = session.exec(
        select(AuditEvent.integration_id)
        .where(
            AuditEvent.organization_id == organization_id,
            col(AuditEvent.integration_id).is_not(None),
        )
        .distinct()
    ).all()
    return [key for key in mentioned if key is not None]


def audit_details_of(
    session: Session, organization_id: int, action: str
) -> list[tuple[int | None, Mapping[str, Any]]]:
    """(integration id, details) of each of the organization's audit events of ``action``."""
    rows = session.exec(
        select(AuditEvent.integration_id, AuditEvent.details).where(
            AuditEvent.organization_id == organization_id, AuditEvent.action == action
        )
    ).all()
    return [(integration_id, details) for integration_id, details in rows]


def count_sync_run(session: Session, run_id: int, *, sent: int, failed: int) -> None:
    """A run's running totals, written in the batch's own transaction."""
    session.execute(
        update(SyncRun)
        .where(col(SyncRun.id) == run_id)
        .values(records_sent=sent, records_failed=failed)
    )


def newest_credential_version(session: Session) -> tuple[CredentialVersion, Integration] | None:
    """The most recently stored credential version, with its integration (``/readyz``)."""
    row = session.exec(
        select(CredentialVersion, Integration)
        .join(Integration, col(Integration.id) == CredentialVersion.integration_id)
        .order_by(col(CredentialVersion.id).desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def sealed_credential_count(session: Session) -> int:
    """How many credential versions are stored (sealed) in all."""
    return int(session.execute(select(func.count()).select_from(CredentialVersion)).scalar_one())


def sync_intervals(session: Session, statuses: Sequence[str]) -> dict[int, int]:
    """Integration id → its sync interval in minutes, for integrations in ``statuses``."""
    rows = session.execute(
        select(Integration.id, Integration.sync_interval_minutes).where(
            col(Integration.status).in_(list(statuses))
        )
    ).all()
    return {row[0]: row[1] for row in rows}
