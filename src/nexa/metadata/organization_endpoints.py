"""/api/v1/settings/organization: the organization's profile (the seller on its quotes) and
its logo. Parse, call one service, shape the answer."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.schemas import Problem
from nexa.metadata import organization as service
from nexa.metadata.organization import LOGO_MAX_BYTES, OrganizationProfile, OrganizationProfileIn

router = APIRouter(
    prefix="/settings/organization",
    tags=["settings"],
    responses={401: {"model": Problem}, 403: {"model": Problem}, 422: {"model": Problem}},
)


@router.get(
    "",
    response_model=OrganizationProfile,
    summary="The organization's profile: name, address, contact details, quote defaults",
    openapi_extra=needs("settings:read"),
)
def get_profile(session: SessionDep, actor: ActorDep) -> OrganizationProfile:
    return service.get_profile(session, actor)


@router.put(
    "",
    response_model=OrganizationProfile,
    summary="Set the organization's profile",
    openapi_extra=needs("settings:write"),
)
def put_profile(
    body: OrganizationProfileIn, session: SessionDep, actor: ActorDep
) -> OrganizationProfile:
    return service.set_profile(session, actor, body)


@router.get(
    "/logo",
    summary="The organization's logo (PNG or JPEG)",
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}, 404: {"model": Problem}},
    openapi_extra=needs("settings:read"),
)
def get_logo(session: SessionDep, actor: ActorDep) -> Response:
    service.get_profile(session, actor)  # the permission
    found = service.logo(session)
    if found is None:
        raise NotFound("the organization has no logo")
    data, content_type = found
    return Response(data, media_type=content_type, headers={"X-Content-Type-Options": "nosniff"})


class LogoIn(BaseModel):
    content_base64: str = Field(
        max_length=LOGO_MAX_BYTES * 2,  # past this the image is refused unread
        description=f"The image (PNG or JPEG, at most {LOGO_MAX_BYTES // 1024} KB), base64",
    )


@router.put(
    "/logo",
    response_model=OrganizationProfile,
    summary="Upload the logo (PNG or JPEG, base64 in JSON)",
    openapi_extra=needs("settings:write"),
)
def put_logo(body: LogoIn, session: SessionDep, actor: ActorDep) -> OrganizationProfile:
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("is not base64", field="content_base64") from None
    return service.set_logo(session, actor, data)


@router.delete(
    "/logo",
    response_model=OrganizationProfile,
    summary="Remove the logo",
    openapi_extra=needs("settings:write"),
)
def delete_logo(session: SessionDep, actor: ActorDep) -> OrganizationProfile:
    return service.remove_logo(session, actor)
