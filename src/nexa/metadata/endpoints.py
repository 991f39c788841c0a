"""/api/v1/custom-fields: admins define typed fields per object."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.metadata import service
from nexa.metadata.schemas import CustomFieldCreate, CustomFieldOut, CustomFieldUpdate, ObjectType

router = APIRouter(
    prefix="/custom-fields",
    tags=["custom fields"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)


@router.get(
    "",
    response_model=list[CustomFieldOut],
    summary="Custom field definitions",
    openapi_extra=needs("custom_field:read"),
)
def list_fields(
    session: SessionDep, actor: ActorDep, object_type: Annotated[ObjectType | None, Query()] = None
) -> list[CustomFieldOut]:
    return [
        CustomFieldOut.model_validate(d)
        for d in service.list_definitions(session, actor, object_type)
    ]


@router.post(
    "",
    response_model=CustomFieldOut,
    status_code=201,
    summary="Define a custom field",
    responses={409: {"model": Problem}},
    openapi_extra=needs("custom_field:create"),
)
def create_field(body: CustomFieldCreate, session: SessionDep, actor: ActorDep) -> CustomFieldOut:
    return CustomFieldOut.model_validate(service.create_definition(session, actor, body))


@router.patch(
    "/{field_id}",
    response_model=CustomFieldOut,
    summary="Change a custom field's label, options, order",
    openapi_extra=needs("custom_field:write"),
)
def update_field(
    field_id: uuid.UUID, body: CustomFieldUpdate, session: SessionDep, actor: ActorDep
) -> CustomFieldOut:
    return CustomFieldOut.model_validate(service.update_definition(session, actor, field_id, body))
