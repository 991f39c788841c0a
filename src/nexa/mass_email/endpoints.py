"""/api/v1/mass-emails: CRUD (the standard record router), schedule, cancel, preview, a test
send to oneself and the numbers.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid

from fastapi import APIRouter, Response

from nexa.api.crud import with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS, record_router
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.mass_email.schemas import (
    MassEmailCreate,
    MassEmailOut,
    MassEmailUpdate,
    Preview,
    ScheduleIn,
    Stats,
    TestSendIn,
    TestSent,
)
from nexa.mass_email.service import MassEmailService
from nexa.mass_email.shape import MASS_EMAILS

PREFIX = "/mass-emails"
crud = record_router(
    prefix=PREFIX,
    noun="a mass email",
    plural="mass emails",
    service=MassEmailService,
    create_model=MassEmailCreate,
    update_model=MassEmailUpdate,
    out_model=MassEmailOut,
    shaper=MASS_EMAILS,
    tags=["mass email"],
    id_param="mass_email_id",
    names={"get": "get_mass_email", "update": "update_mass_email"},
    more_scopes={"create": ("list:read",), "update": ("list:read",)},
)
extra = APIRouter(prefix=PREFIX, tags=["mass email"], responses=PROBLEMS)
CONFLICT = {409: {"model": Problem}}


@extra.post(
    "/{mass_email_id}/schedule",
    response_model=MassEmailOut,
    summary="Schedule a mass email (now, or at send_at)",
    responses=CONFLICT,
    openapi_extra=needs("mass_email:read", "mass_email:write", "list:read"),
)
def schedule(
    mass_email_id: uuid.UUID,
    body: ScheduleIn,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
) -> MassEmailOut:
    record = MassEmailService(session, actor).schedule(mass_email_id, body.send_at)
    with_etag(response, record.version)
    return MASS_EMAILS.one(session, record)


@extra.post(
    "/{mass_email_id}/cancel",
    response_model=MassEmailOut,
    summary="Cancel a mass email (messages already written are still delivered)",
    responses=CONFLICT,
    openapi_extra=needs("mass_email:read", "mass_email:write"),
)
def cancel(
    mass_email_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> MassEmailOut:
    record = MassEmailService(session, actor).cancel(mass_email_id)
    with_etag(response, record.version)
    return MASS_EMAILS.one(session, record)


@extra.get(
    "/{mass_email_id}/preview",
    response_model=Preview,
    summary="Each variant rendered for a member of the list",
    openapi_extra=needs("mass_email:read", "list:read"),
)
def preview(
    mass_email_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    record_id: uuid.UUID | None = None,
) -> Preview:
    return MassEmailService(session, actor).preview(mass_email_id, record_id)


@extra.post(
    "/{mass_email_id}/test-send",
    response_model=TestSent,
    summary="Send the variants to your own address, marked as a test",
    openapi_extra=needs("mass_email:read", "mass_email:write", "list:read", "email:create"),
)
def test_send(
    mass_email_id: uuid.UUID, body: TestSendIn, session: SessionDep, actor: ActorDep
) -> TestSent:
    return MassEmailService(session, actor).test_send(mass_email_id, body)


@extra.get(
    "/{mass_email_id}/stats",
    response_model=Stats,
    summary="Recipients, sent, delivered, opened, clicked, replied … per variant",
    openapi_extra=needs("mass_email:read"),
)
def stats(mass_email_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Stats:
    return MassEmailService(session, actor).stats(mass_email_id)


router = APIRouter()
router.include_router(crud)
router.include_router(extra)
