"""What the API answers with: public shapes built only from public views.

Nothing here has a field that could hold a secret (not even the masks the
dashboard shows), so a response cannot leak one by forgetting to strip it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accountlink_ui.i18n import render
from accountlink_ui.integrations.contracts import ConnectionResult
from accountlink_ui.services.audit_service import AuditEventView
from accountlink_ui.views import IntegrationView


class ErrorOut(BaseModel):
    detail: str = Field(
        description="What went wrong and what to do, written for a person in the language "
        "Accept-Language asks for (en or nb; English otherwise)."
    )
    code: str | None = Field(
        default=None, description="A stable machine code for the refusal, e.g. 'sync.disabled'."
    )


class FieldErrorOut(BaseModel):
    field: str = Field(description="The parameter at fault, e.g. 'integration_id'.")
    location: str = Field(description="Where it was sent: path, query, header or body.")
    message: str
    code: str | None = None


class ValidationErrorOut(BaseModel):
    detail: str = Field(description="Every problem in one sentence.")
    code: str | None = None
    errors: list[FieldErrorOut]


class CredentialsOut(BaseModel):
    version: int | None = Field(
        description="The active credential version; the secret is not here."
    )
    set_at: datetime | None
    set_by: str | None


class LastTestOut(BaseModel):
    at: datetime | None
    ok: bool | None
    message: str | None


class SyncFiguresOut(BaseModel):
    last_sync_at: datetime | None
    total_records_synced: int
    interval_minutes: int


class RecentErrorOut(BaseModel):
    at: datetime
    message: str


class IntegrationOut(BaseModel):
    id: int
    type: str = Field(description="xledger, dynamics or generic_rest.")
    type_label: str
    display_name: str
    environment: str
    auth_flow: str
    status: str = Field(description="active, error or disabled.")
    status_detail: str | None
    settings: dict[str, str] = Field(description="Non-secret settings such as a tenant id.")
    credentials: CredentialsOut
    last_test: LastTestOut
    sync: SyncFiguresOut
    recent_errors: list[RecentErrorOut]

    @classmethod
    def of(cls, view: IntegrationView, locale: str = "en") -> IntegrationOut:
        return cls(
            id=view.id or 0,
            type=view.type_key,
            type_label=view.type_label,
            display_name=view.display_name,
            environment=view.environment,
            auth_flow=view.auth_flow,
            status=view.status,
            status_detail=view.status_detail,
            settings=dict(view.settings),
            credentials=CredentialsOut(
                version=view.credential_version,
                set_at=view.credentials_set_at,
                set_by=view.credentials_set_by,
            ),
            last_test=LastTestOut(
                at=view.last_test_at, ok=view.last_test_ok, message=view.last_test_message
            ),
            sync=SyncFiguresOut(
                last_sync_at=view.last_sync_at,
                total_records_synced=view.total_records_synced,
                interval_minutes=view.sync_interval_minutes,
            ),
            recent_errors=[
                RecentErrorOut(at=e.at, message=render(e.said, locale) if e.said else e.message)
                for e in view.recent_errors
            ],
        )


class IntegrationListOut(BaseModel):
    organization_id: int
    integrations: list[IntegrationOut]


class ConnectionTestOut(BaseModel):
    integration_id: int
    ok: bool
    message: str
    fields: list[str] = Field(description="Keys of the settings or secrets at fault, if any.")
    reached: str | None = Field(description="What answered, e.g. the company name.")
    latency_ms: int
    code: str | None = Field(description="The accounting system's own error code, if any.")

    @classmethod
    def of(
        cls, integration_id: int, result: ConnectionResult, locale: str = "en"
    ) -> ConnectionTestOut:
        return cls(
            integration_id=integration_id,
            ok=result.ok,
            message=render(result.message_code, locale),
            fields=list(result.fields),
            reached=result.reached,
            latency_ms=result.latency_ms,
            code=result.code,
        )


class SyncRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    integration_id: int
    trigger: str = Field(description="schedule, manual (the dashboard's Sync now) or api.")
    outcome: str = Field(description="running, succeeded, partial or failed.")
    started_at: datetime
    finished_at: datetime | None
    records_sent: int
    records_failed: int
    error_summary: str | None
    credential_version: int | None = Field(description="Which stored credentials the run used.")
    actor_name: str | None = Field(description="Who started it; the token's creator for api.")


class SyncRunListOut(BaseModel):
    integration_id: int
    runs: list[SyncRunOut]


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    action: str = Field(description="e.g. integration.tested, api_token.revoked.")
    action_label: str
    actor: str = Field(description="A person's name, or 'Scheduler' / 'Operator command'.")
    actor_email: str
    integration_id: int | None
    integration: str
    summary: str = Field(description="The event in one sentence.")
    details: dict[str, Any] = Field(description="Structured details; never a secret.")

    @classmethod
    def of(cls, view: AuditEventView) -> AuditEventOut:
        return cls(**{name: getattr(view, name) for name in cls.model_fields})


class AuditEventListOut(BaseModel):
    events: list[AuditEventOut]
