"""Webhook pages (/admin/webhooks): the endpoints, a new one with its secret shown once, the
allow-list of internal hosts, and per endpoint its delivery log (status, response code, time)
with redeliver, ping, rotate-secret, pause and delete. The rules live in the service."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nexa.core.actor import Actor
from nexa.web.admin.common import CSRF, Failure, attempt, done, guard, lines, page, posted
from nexa.web.pages import PostedForm, WebSession
from nexa.webhook import service
from nexa.webhook.schemas import WebhookCreate, WebhookSettings, WebhookUpdate

router = APIRouter()
HooksActor = Annotated[Actor, Depends(guard("webhooks"))]
STATUSES = ("pending", "failed", "succeeded", "dead")


def _events(value: str | None) -> list[str]:
    """Event names or patterns, one per line or separated by spaces or commas."""
    return [e for line in lines(value) for e in line.replace(",", " ").split() if e]


def _list_page(
    request: Request,
    session: Any,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    hosts: str | None = None,
    failure: Failure | None = None,
    created: Any = None,
    secret: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings = service.get_settings(session, actor)
    response = page(
        request,
        "admin/webhooks.html",
        actor,
        session,
        "webhooks",
        status_code=status_code,
        failure=failure,
        webhooks=service.list_endpoints(session, actor),
        event_types=service.event_types(),
        values=values or {"events": "*"},
        hosts={"allowed_hosts": hosts if hosts is not None else "\n".join(settings.allowed_hosts)},
        can_write=actor.can("webhook:write"),
        can_create=actor.can("webhook:create"),
        created=created,
        secret=secret,
    )
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, session: WebSession, actor: HooksActor) -> HTMLResponse:
    return _list_page(request, session, actor)


@router.post("/admin/webhooks/new", dependencies=CSRF)
def create_webhook(
    request: Request, form: PostedForm, session: WebSession, actor: HooksActor
) -> Response:
    values = posted(form, "url", "events", "description")

    def parse() -> WebhookCreate:
        return WebhookCreate.model_validate(
            {
                "url": values["url"] or "",
                "events": _events(values["events"]),
                "description": values["description"] or "",
            }
        )

    outcome = attempt(session, parse, lambda body: service.create_endpoint(session, actor, body))
    if isinstance(outcome, Failure):
        return _list_page(request, session, actor, values=values, failure=outcome)
    endpoint, secret = outcome
    # Shown in this answer only (never put in the session cookie or a redirect).
    return _list_page(request, session, actor, created=endpoint, secret=secret, status_code=201)


@router.post("/admin/webhooks/settings", dependencies=CSRF)
def save_allow_list(
    request: Request, form: PostedForm, session: WebSession, actor: HooksActor
) -> Response:
    text = str(form.get("allowed_hosts") or "")
    outcome = attempt(
        session,
        lambda: WebhookSettings(allowed_hosts=lines(text)),
        lambda body: service.put_settings(session, actor, body),
    )
    if isinstance(outcome, Failure):
        errors = {
            ("allowed_hosts" if k.startswith("allowed_hosts") else k): v
            for k, v in outcome.errors.items()
        }
        return _list_page(
            request, session, actor, hosts=text, failure=Failure(errors, outcome.status)
        )
    return done(request, "Allowed internal hosts saved.", "/admin/webhooks")


# ---- one endpoint --------------------------------------------------------------------------


def _detail_page(
    request: Request,
    session: Any,
    actor: Actor,
    webhook_id: uuid.UUID,
    *,
    status: str | None = None,
    secret: str | None = None,
) -> HTMLResponse:
    endpoint = service.get_endpoint(session, actor, webhook_id)
    deliveries = service.list_deliveries(
        session, actor, webhook_id, status=status if status in STATUSES else None, limit=100
    )
    response = page(
        request,
        "admin/webhook.html",
        actor,
        session,
        "webhooks",
        webhook=endpoint,
        deliveries=deliveries,
        statuses=STATUSES,
        status=status if status in STATUSES else "",
        can_write=actor.can("webhook:write"),
        can_delete=actor.can("webhook:delete"),
        secret=secret,
    )
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/webhooks/{webhook_id}", response_class=HTMLResponse)
def webhook_page(
    request: Request,
    webhook_id: uuid.UUID,
    session: WebSession,
    actor: HooksActor,
    status: str | None = None,
) -> HTMLResponse:
    return _detail_page(request, session, actor, webhook_id, status=status)


@router.post("/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", dependencies=CSRF)
def redeliver(
    request: Request,
    webhook_id: uuid.UUID,
    delivery_id: uuid.UUID,
    session: WebSession,
    actor: HooksActor,
) -> Response:
    service.redeliver(session, actor, webhook_id, delivery_id)
    return done(request, "Delivery queued again.", f"/admin/webhooks/{webhook_id}")


@router.post("/admin/webhooks/{webhook_id}/ping", dependencies=CSRF)
def ping(
    request: Request, webhook_id: uuid.UUID, session: WebSession, actor: HooksActor
) -> Response:
    service.ping(session, actor, webhook_id)
    return done(request, "Ping queued.", f"/admin/webhooks/{webhook_id}")


@router.post("/admin/webhooks/{webhook_id}/active", dependencies=CSRF)
def set_active(
    request: Request,
    form: PostedForm,
    webhook_id: uuid.UUID,
    session: WebSession,
    actor: HooksActor,
) -> Response:
    active = str(form.get("active") or "") == "true"
    service.update_endpoint(session, actor, webhook_id, WebhookUpdate(active=active))
    message = "Webhook active again." if active else "Webhook paused."
    return done(request, message, f"/admin/webhooks/{webhook_id}")


@router.post("/admin/webhooks/{webhook_id}/rotate-secret", dependencies=CSRF)
def rotate_secret(
    request: Request, webhook_id: uuid.UUID, session: WebSession, actor: HooksActor
) -> HTMLResponse:
    secret = service.rotate_secret(session, actor, webhook_id)
    return _detail_page(request, session, actor, webhook_id, secret=secret)


@router.post("/admin/webhooks/{webhook_id}/delete", dependencies=CSRF)
def delete(
    request: Request, webhook_id: uuid.UUID, session: WebSession, actor: HooksActor
) -> Response:
    service.delete_endpoint(session, actor, webhook_id)
    return done(request, "Webhook deleted.", "/admin/webhooks")
