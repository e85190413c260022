"""The events AccountLink sends out, built where the change happens and queued in its
transaction (``outbox``): claims exported or refused by a sync, and integration incidents.

An incident opens when an integration goes to ``error`` (``FAILURES_BEFORE_ERROR`` failed
runs in a row) or its credentials are refused, whichever comes first; while it is open no
other alert is sent for that integration, so its admins get one email per incident, not
one per failed run. The next run that reaches the target (or a successful connection test
that clears the error) closes it with one "working again".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from accountlink_ui import claim_queue_repository, integrations_repository
from accountlink_ui import outbox_repository as repo
from accountlink_ui.models import IntegrationIncident, Organization
from accountlink_ui.services.outbox import enqueue_email, enqueue_events

CLAIM_EXPORTED = "claim.exported"
CLAIM_REFUSED = "claim.refused"
INTEGRATION_ERROR = "integration.error"
INTEGRATION_RECOVERED = "integration.recovered"
CREDENTIALS_REJECTED = "credentials.rejected"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def claims_settled(
    session: Session,
    organization_id: int,
    integration_id: int,
    accepted: Mapping[int, str],
    refused: Mapping[int, str],
    at: datetime,
) -> None:
    """``claim.exported`` / ``claim.refused`` for one stored batch outcome, if anyone listens."""
    exported_to = repo.subscribed_endpoints(session, organization_id, CLAIM_EXPORTED)
    refused_to = repo.subscribed_endpoints(session, organization_id, CLAIM_REFUSED)
    wanted = (list(accepted) if exported_to else []) + (list(refused) if refused_to else [])
    if not wanted:
        return
    keys = _claim_keys(session, wanted)
    if exported_to:
        enqueue_events(
            session,
            organization_id,
            CLAIM_EXPORTED,
            [
                {
                    **keys.get(claim_id, {"claim_id": claim_id}),
                    "integration_id": integration_id,
                    "ledger_reference": reference,
                    "exported_at": _iso(at),
                }
                for claim_id, reference in accepted.items()
            ],
            at=at,
            endpoints=exported_to,
        )
    if refused_to:
        enqueue_events(
            session,
            organization_id,
            CLAIM_REFUSED,
            [
                {
                    **keys.get(claim_id, {"claim_id": claim_id}),
                    "integration_id": integration_id,
                    "reason": reason,
                    "refused_at": _iso(at),
                }
                for claim_id, reason in refused.items()
            ],
            at=at,
            endpoints=refused_to,
        )


def _claim_keys(session: Session, claim_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each claim's ids as the receiver knows them: ours, the idempotency key sent to the
    ledger, and the caller's own (``external_id``, None for claims not sent through the API)."""
    return {
        claim_id: {
            "claim_id": claim_id,
            "idempotency_key": idempotency_key,
            "external_id": external_id,
        }
        for claim_id, idempotency_key, external_id in claim_queue_repository.claim_keys(
            session, claim_ids
        )
    }


def _names(session: Session, organization_id: int, integration_id: int) -> dict[str, str]:
    organization = session.get(Organization, organization_id)
    integration = integrations_repository.integration(session, integration_id)
    return {
        "organization": organization.name if organization else "",
        "integration": integration.display_name if integration else f"Integration {integration_id}",
    }


def open_incident(
    session: Session,
    organization_id: int,
    integration_id: int,
    cause: str,
    reason: str,
    at: datetime,
) -> bool:
    """Open an incident unless one is open: one webhook and one email per admin. True if
    this call opened it."""
    if repo.open_incident(session, integration_id) is not None:
        return False
    session.add(
        IntegrationIncident(
            organization_id=organization_id,
            integration_id=integration_id,
            cause=cause,
            reason=reason[:1000],
            opened_at=at,
        )
    )
    data = {"integration_id": integration_id, "reason": reason, "at": _iso(at)}
    enqueue_events(session, organization_id, cause, [data], at=at)
    enqueue_email(
        session,
        organization_id,
        cause,
        {**_names(session, organization_id, integration_id), "reason": reason},
        at=at,
    )
    return True


def close_incident(
    session: Session, organization_id: int, integration_id: int, at: datetime
) -> bool:
    """Close the open incident, if any, with one ``integration.recovered`` and one email."""
    incident = repo.open_incident(session, integration_id)
    if incident is None:
        return False
    incident.closed_at = at
    session.add(incident)
    data = {"integration_id": integration_id, "at": _iso(at), "incident_cause": incident.cause}
    enqueue_events(session, organization_id, INTEGRATION_RECOVERED, [data], at=at)
    enqueue_email(
        session,
        organization_id,
        INTEGRATION_RECOVERED,
        _names(session, organization_id, integration_id),
        at=at,
    )
    return True
