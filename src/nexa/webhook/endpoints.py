"""/api/v1/webhooks: endpoints (admins), their delivery log, redelivery, ping, the allow-list.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from nexa.api.crud import idempotent_create
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.webhook import service
from nexa.webhook.schemas import (
    DeliveryStatus,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookEventTypes,
    WebhookList,
    WebhookSecret,
    WebhookSettings,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}


# ---- fixed routes first (before /{webhook_id}) ------------------------------------------


@router.get(
    "/events",
    response_model=WebhookEventTypes,
    summary="The events a webhook can subscribe to",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read"),
)
def list_events(actor: ActorDep) -> WebhookEventTypes:
    return WebhookEventTypes(items=service.list_event_types(actor))


@router.get(
    "/settings",
    response_model=WebhookSettings,
    summary="Hosts webhooks may call although they are internal (the allow-list)",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read"),
)
def get_webhook_settings(session: SessionDep, actor: ActorDep) -> WebhookSettings:
    return service.get_settings(session, actor)


@router.put(
    "/settings",
    response_model=WebhookSettings,
    summary="Replace the allow-list of internal hosts (admins)",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:write"),
)
def put_webhook_settings(
    body: WebhookSettings, session: SessionDep, actor: ActorDep
) -> WebhookSettings:
    return service.put_settings(session, actor, body)


@router.get(
    "",
    response_model=WebhookList,
    summary="List webhooks",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read"),
)
def list_webhooks(session: SessionDep, actor: ActorDep) -> WebhookList:
    return WebhookList(
        items=[service.to_webhook(e) for e in service.list_endpoints(session, actor)]
    )


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    summary="Register a webhook; its signing secret is in this answer only",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:create"),
)
def create_webhook(
    request: Request,
    body: WebhookCreate,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    def create() -> tuple[WebhookCreated, int]:
        endpoint, secret = service.create_endpoint(session, actor, body)
        out = service.to_webhook(endpoint)
        return WebhookCreated(**out.model_dump(), secret=secret), 1

    return idempotent_create(
        request, session, actor, idempotency_key, body.model_dump(mode="json"), create
    )


# ---- one webhook ----------------------------------------------------------------------------


@router.get(
    "/{webhook_id}",
    response_model=Webhook,
    summary="Get a webhook",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read"),
)
def get_webhook(webhook_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Webhook:
    return service.to_webhook(service.get_endpoint(session, actor, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=Webhook,
    summary="Change a webhook (the fields given)",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read", "webhook:write"),
)
def update_webhook(
    webhook_id: uuid.UUID, body: WebhookUpdate, session: SessionDep, actor: ActorDep
) -> Webhook:
    return service.to_webhook(service.update_endpoint(session, actor, webhook_id, body))


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook and its delivery log",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read", "webhook:delete"),
)
def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    service.delete_endpoint(session, actor, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookSecret,
    summary="Give a webhook a new signing secret (in this answer only)",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read", "webhook:write"),
)
def rotate_webhook_secret(
    webhook_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> WebhookSecret:
    return WebhookSecret(secret=service.rotate_secret(session, actor, webhook_id))


@router.get(
    "/{webhook_id}/deliveries",
    response_model=WebhookDeliveryList,
    summary="A webhook's delivery log, newest first",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read"),
)
def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> WebhookDeliveryList:
    rows = service.list_deliveries(session, actor, webhook_id, status=status, limit=limit)
    return WebhookDeliveryList(items=[service.to_delivery(d) for d in rows])


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response_model=WebhookDelivery,
    status_code=202,
    summary="Send a delivery again (same webhook-id)",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read", "webhook:write"),
)
def redeliver_webhook_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> WebhookDelivery:
    return service.to_delivery(service.redeliver(session, actor, webhook_id, delivery_id))


@router.post(
    "/{webhook_id}/ping",
    response_model=WebhookDelivery,
    status_code=202,
    summary="Send a webhook.ping message to this webhook",
    responses=PROBLEMS,
    openapi_extra=needs("webhook:read", "webhook:write"),
)
def ping_webhook(webhook_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> WebhookDelivery:
    return service.to_delivery(service.ping(session, actor, webhook_id))
