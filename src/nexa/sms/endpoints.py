"""/api/v1/sms (send one, list, one message), /api/v1/sms/settings (the provider, admins) and
/api/v1/{leads,contacts}/{id}/sms-consent (a record's SMS opt-in or opt-out).
The inbound webhook is public: nexa.sms.public.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from nexa.api.crud import idempotent_create
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.sms import service
from nexa.sms.schemas import (
    Direction,
    RecordType,
    SmsConsent,
    SmsConsentIn,
    SmsList,
    SmsOut,
    SmsSend,
    SmsSettings,
    SmsSettingsIn,
    State,
)

router = APIRouter(tags=["sms"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}
# sending reads the record: its type's read scope too (the service checks the one named)
SEND_SCOPES = ("sms:create", "lead:read|contact:read")


@router.get(
    "/sms/settings",
    response_model=SmsSettings,
    summary="The organization's SMS provider (secrets are never returned)",
    responses=PROBLEMS,
    openapi_extra=needs("settings:read"),
)
def get_sms_settings(session: SessionDep, actor: ActorDep) -> SmsSettings:
    return service.get_sms_settings(session, actor)


@router.put(
    "/sms/settings",
    response_model=SmsSettings,
    summary="Replace the SMS settings (admins); secrets are write-only, provider URLs are "
    "refused when they point at a private address",
    responses=PROBLEMS,
    openapi_extra=needs("settings:write"),
)
def put_sms_settings(body: SmsSettingsIn, session: SessionDep, actor: ActorDep) -> SmsSettings:
    return service.put_sms_settings(session, actor, body)


@router.get(
    "/sms",
    response_model=SmsList,
    summary="Text messages you can read (both directions), newest first",
    responses=PROBLEMS,
    openapi_extra=needs("sms:read"),
)
def list_sms(
    session: SessionDep,
    actor: ActorDep,
    state: Annotated[State | None, Query()] = None,
    direction: Annotated[Direction | None, Query()] = None,
    record_type: Annotated[RecordType | None, Query()] = None,
    record_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SmsList:
    rows = service.list_sms(
        session,
        actor,
        state=state,
        direction=direction,
        record_type=record_type,
        record_id=record_id,
        limit=limit,
    )
    return SmsList(items=[service.to_out(m) for m in rows])


@router.post(
    "/sms",
    response_model=SmsOut,
    status_code=201,
    summary="Text a lead or contact: queued now, delivered after commit; an opted-out person "
    "gets a refused message (a dedupe_key or an Idempotency-Key makes a retry send once)",
    responses=PROBLEMS,
    openapi_extra=needs(*SEND_SCOPES),
)
def send_sms(
    request: Request,
    body: SmsSend,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    def create() -> tuple[SmsOut, int]:
        return service.to_out(service.send(session, actor, body)), 1

    return idempotent_create(
        request, session, actor, idempotency_key, body.model_dump(mode="json"), create
    )


@router.get(
    "/sms/{sms_id}",
    response_model=SmsOut,
    summary="One text message: its state, attempts and the last provider error",
    responses=PROBLEMS,
    openapi_extra=needs("sms:read"),
)
def get_sms(sms_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> SmsOut:
    return service.to_out(service.get_sms(session, actor, sms_id))


# ---- consent of a contact or lead ---------------------------------------------------------


@router.get(
    "/leads/{lead_id}/sms-consent",
    response_model=SmsConsent,
    summary="A lead's SMS consent (its own status, and whether its number opted out)",
    responses=PROBLEMS,
    openapi_extra=needs("lead:read"),
)
def get_lead_sms_consent(lead_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> SmsConsent:
    return service.get_consent(session, actor, "lead", lead_id)


@router.put(
    "/leads/{lead_id}/sms-consent",
    response_model=SmsConsent,
    summary="Record a lead's SMS opt-in or opt-out (an opt-out follows the number)",
    responses=PROBLEMS,
    openapi_extra=needs("lead:read", "lead:write"),
)
def put_lead_sms_consent(
    lead_id: uuid.UUID, body: SmsConsentIn, session: SessionDep, actor: ActorDep
) -> SmsConsent:
    return service.set_consent(session, actor, "lead", lead_id, body)


@router.get(
    "/contacts/{contact_id}/sms-consent",
    response_model=SmsConsent,
    summary="A contact's SMS consent (its own status, and whether its number opted out)",
    responses=PROBLEMS,
    openapi_extra=needs("contact:read"),
)
def get_contact_sms_consent(
    contact_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> SmsConsent:
    return service.get_consent(session, actor, "contact", contact_id)


@router.put(
    "/contacts/{contact_id}/sms-consent",
    response_model=SmsConsent,
    summary="Record a contact's SMS opt-in or opt-out (an opt-out follows the number)",
    responses=PROBLEMS,
    openapi_extra=needs("contact:read", "contact:write"),
)
def put_contact_sms_consent(
    contact_id: uuid.UUID, body: SmsConsentIn, session: SessionDep, actor: ActorDep
) -> SmsConsent:
    return service.set_consent(session, actor, "contact", contact_id, body)
