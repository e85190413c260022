"""Webhook endpoints over the API: add, list, remove, send a test event, read the delivery
log and redeliver. Each route is one call of ``WebhookService`` as the token's actor, in
the token's organization; another organization's endpoint is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from accountlink_ui.api.deps import AppServices, Caller
from accountlink_ui.api.responses import errors
from accountlink_ui.api.webhook_schemas import (
    DeliveryListOut,
    DeliveryOut,
    NewWebhookEndpointOut,
    TestEventOut,
    WebhookEndpointIn,
    WebhookEndpointListOut,
    WebhookEndpointOut,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

MAX_ID = 2**31 - 1
EndpointId = Annotated[int, Path(ge=1, le=MAX_ID, description="The endpoint's id.")]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID, description="The delivery's id.")]


@router.get("", responses=errors(403))
def list_webhook_endpoints(caller: Caller, services: AppServices) -> WebhookEndpointListOut:
    """The organization's webhook endpoints; never their secrets."""
    views = services.webhooks.list(caller, caller.organization_id)
    return WebhookEndpointListOut(endpoints=[WebhookEndpointOut.of(view) for view in views])


@router.post("", status_code=201, responses=errors(403, 409, 413))
def add_webhook_endpoint(
    body: WebhookEndpointIn, caller: Caller, services: AppServices
) -> NewWebhookEndpointOut:
    """Add an endpoint. The answer holds its signing secret, shown this once."""
    added = services.webhooks.add(
        caller, caller.organization_id, body.url, list(body.events), body.description
    )
    return NewWebhookEndpointOut.of(added)


@router.get("/{endpoint_id}", responses=errors(403, 404))
def get_webhook_endpoint(
    endpoint_id: EndpointId, caller: Caller, services: AppServices
) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(services.webhooks.get(caller, caller.organization_id, endpoint_id))


@router.delete("/{endpoint_id}", status_code=204, responses=errors(403, 404))
def remove_webhook_endpoint(
    endpoint_id: EndpointId, caller: Caller, services: AppServices
) -> Response:
    """Stop sending to the endpoint; deliveries still pending are given up."""
    services.webhooks.remove(caller, caller.organization_id, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/test", status_code=202, responses=errors(403, 404, 409))
def send_test_event(endpoint_id: EndpointId, caller: Caller, services: AppServices) -> TestEventOut:
    """Queue a signed ``webhook.test`` event to this endpoint; see it in its deliveries."""
    event_id = services.webhooks.send_test(caller, caller.organization_id, endpoint_id)
    return TestEventOut(event_id=event_id)


@router.get("/{endpoint_id}/deliveries", responses=errors(403, 404))
def list_deliveries(
    endpoint_id: EndpointId,
    caller: Caller,
    services: AppServices,
    limit: Annotated[int, Query(ge=1, le=200, description="How many, newest first.")] = 50,
) -> DeliveryListOut:
    """The endpoint's deliveries, newest first, each with every attempt's status code."""
    views = services.webhooks.deliveries(caller, caller.organization_id, endpoint_id, limit=limit)
    return DeliveryListOut(deliveries=[DeliveryOut.of(view) for view in views])


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses=errors(403, 404, 409),
)
def redeliver(
    endpoint_id: EndpointId, delivery_id: DeliveryId, caller: Caller, services: AppServices
) -> DeliveryOut:
    """Send the delivery again now, with the same webhook-id."""
    view = services.webhooks.redeliver(caller, caller.organization_id, endpoint_id, delivery_id)
    return DeliveryOut.of(view)
