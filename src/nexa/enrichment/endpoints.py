"""/api/v1/enrichment/preview, /api/v1/leads/{id}/enrich(ment) and the next best actions of
leads, deals and contacts (with one-click tasks).

No ``from __future__ import annotations``: FastAPI reads the parameter annotations.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS
from nexa.api.scopes import needs
from nexa.enrichment import actions, service
from nexa.enrichment.schemas import (
    EnrichmentPreview,
    LeadEnrichment,
    NextAction,
    NextActionList,
    NextBestActionIn,
    NextBestActionOut,
)
from nexa.task.schemas import TaskOut

router = APIRouter(responses=PROBLEMS)

ActionKey = Annotated[str, Path(max_length=60, pattern=r"^[a-z_]+$")]


@router.get(
    "/enrichment/preview",
    response_model=EnrichmentPreview,
    tags=["enrichment"],
    summary="What enrichment derives from an email, phone number and job title",
    openapi_extra=needs("lead:read"),
)
def enrichment_preview(
    session: SessionDep,
    actor: ActorDep,
    email: Annotated[str | None, Query(max_length=254)] = None,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    title: Annotated[str | None, Query(max_length=150)] = None,
    country: Annotated[
        str | None, Query(max_length=2, description="Default region for the phone (ISO 2)")
    ] = None,
) -> EnrichmentPreview:
    return service.preview(session, actor, email=email, phone=phone, title=title, country=country)


@router.get(
    "/leads/{lead_id}/enrichment",
    response_model=LeadEnrichment,
    tags=["enrichment"],
    summary="What we know about a lead from its email, phone and title",
    openapi_extra=needs("lead:read"),
)
def lead_enrichment(lead_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> LeadEnrichment:
    return service.lead_enrichment(session, actor, lead_id)


@router.post(
    "/leads/{lead_id}/enrich",
    response_model=LeadEnrichment,
    tags=["enrichment"],
    summary="Run enrichment again (fills empty fields only)",
    openapi_extra=needs("lead:read", "lead:write"),
)
def enrich_lead(lead_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> LeadEnrichment:
    return service.reenrich_lead(session, actor, lead_id)


def _list(record_type: str, record_id: uuid.UUID, items: list[actions.Action]) -> NextActionList:
    return NextActionList(
        record_type=record_type,
        record_id=record_id,
        items=[NextAction.model_validate(a.as_dict()) for a in items],
    )


def _add_routes(record_type: str, plural: str) -> None:

    @router.get(
        f"/{plural}/{{record_id}}/next-actions",
        response_model=NextActionList,
        tags=[plural],
        summary=f"Next best actions for a {record_type}, ranked",
        name=f"{record_type}_next_actions",
        openapi_extra=needs(f"{record_type}:read"),
    )
    def list_actions(record_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> NextActionList:
        found = actions.next_actions(session, actor, record_type, record_id)
        return _list(record_type, record_id, found)

    @router.post(
        f"/{plural}/{{record_id}}/next-actions/{{action_key}}/task",
        response_model=TaskOut,
        status_code=201,
        tags=[plural],
        summary=f"Turn a next best action of a {record_type} into a task",
        name=f"{record_type}_next_action_task",
        openapi_extra=needs(f"{record_type}:read", "task:create"),
    )
    def act(
        record_id: uuid.UUID, action_key: ActionKey, session: SessionDep, actor: ActorDep
    ) -> TaskOut:
        task = actions.act_on(session, actor, record_type, record_id, action_key)
        return TaskOut.model_validate(task)


for _type, _plural in (("lead", "leads"), ("deal", "deals"), ("contact", "contacts")):
    _add_routes(_type, _plural)


def _add_response_route(record_type: str, plural: str) -> None:
    @router.post(
        f"/{plural}/{{record_id}}/next-best-action",
        response_model=NextBestActionOut,
        tags=[plural],
        summary=f"The next best action after a {record_type}'s response (Use Case 4)",
        name=f"{record_type}_next_best_action",
        openapi_extra=needs(f"{record_type}:read"),
    )
    def best(
        record_id: uuid.UUID, body: NextBestActionIn, session: SessionDep, actor: ActorDep
    ) -> NextBestActionOut:
        action, params, others = actions.next_best_action(
            session,
            actor,
            record_type,
            record_id,
            kind=body.response.kind,
            channel=body.response.channel,
            text=body.response.text,
            touches=body.previous_touches,
        )
        return NextBestActionOut(
            record_type=record_type,
            record_id=record_id,
            action=NextAction.model_validate(action.as_dict()) if action else None,
            params=params,
            alternatives=[NextAction.model_validate(a.as_dict()) for a in others],
        )


for _type, _plural in (("lead", "leads"), ("contact", "contacts")):
    _add_response_route(_type, _plural)
