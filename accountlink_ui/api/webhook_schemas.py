"""Request and response bodies of /api/v1/webhooks; no response carries a secret except
the one answer to adding an endpoint, which shows its signing secret once."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accountlink_ui.services.webhook_service import (
    DeliveryView,
    NewWebhookEndpoint,
    WebhookEndpointView,
)

EventName = Literal[
    "claim.exported",
    "claim.refused",
    "integration.error",
    "integration.recovered",
    "credentials.rejected",
]


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
URL_PATTERN = (
    rf"^https://{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}(?::(?:[1-9][0-9]{{0,3}}|[1-5][0-9]{{4}}|6[0-4][0-9]{{3}}|65[0-4][0-9]{{2}}|655[0-2][0-9]|6553[0-5]))?"
    r"(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(?:\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
)
"""What the service's URL check accepts, as a schema: generated requests that match it are
accepted (the port range and the like are still checked by the service)."""


class WebhookEndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=2000,
        pattern=URL_PATTERN,
        description="Where events are POSTed: an https URL with a host name. Addresses that "
        "resolve to private, loopback, link-local or metadata networks are refused when "
        "delivering, unless the operator allowlists them. (Plain http to an allowlisted "
        "host can be added on the Settings → Webhooks page.)",
        examples=["https://expenses.example.org/hooks/accountlink"],
    )
    events: list[EventName] = Field(min_length=1, max_length=5)
    description: str = Field(default="", max_length=200)


class WebhookEndpointOut(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None = Field(
        description="'failing' when AccountLink disabled it after deliveries kept failing."
    )
    created_at: datetime

    @classmethod
    def of(cls, view: WebhookEndpointView) -> WebhookEndpointOut:
        return cls(**view.__dict__)


class NewWebhookEndpointOut(BaseModel):
    endpoint: WebhookEndpointOut
    secret: str = Field(
        description="The signing secret (whsec_...), shown only in this answer. Verify each "
        "delivery's webhook-signature with it (Standard Webhooks)."
    )

    @classmethod
    def of(cls, new: NewWebhookEndpoint) -> NewWebhookEndpointOut:
        return cls(endpoint=WebhookEndpointOut.of(new.endpoint), secret=new.secret)


class WebhookEndpointListOut(BaseModel):
    endpoints: list[WebhookEndpointOut]


class DeliveryAttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    event_id: str = Field(description="The webhook-id header: the same on every attempt.")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    history: list[DeliveryAttemptOut]

    @classmethod
    def of(cls, view: DeliveryView) -> DeliveryOut:
        return cls(
            **{**view.__dict__, "history": [DeliveryAttemptOut(**h.__dict__) for h in view.history]}
        )


class DeliveryListOut(BaseModel):
    deliveries: list[DeliveryOut]


class TestEventOut(BaseModel):
    event_id: str
