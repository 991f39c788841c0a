"""/admin/organization: the organization's profile (the seller on its quotes: name, address,
contact details, tax number, logo) and its quote defaults (terms, days of validity). The
rules live in nexa.metadata.organization."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from nexa.core.actor import Actor
from nexa.core.errors import NotFound
from nexa.core.localtime import zone_choices
from nexa.metadata import organization as service
from nexa.metadata.organization import LOGO_MAX_BYTES, OrganizationProfileIn
from nexa.web.admin.common import CSRF, Failure, attempt, done, guard, integer, page
from nexa.web.pages import PostedForm, WebSession

router = APIRouter()
OrgActor = Annotated[Actor, Depends(guard("organization"))]
FIELDS = ("name", "address", "email", "phone", "website", "tax_id", "quote_terms", "time_zone")


def _page(
    request: Request,
    session: Any,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    profile = service.get_profile(session, actor)
    return page(
        request,
        "admin/organization.html",
        actor,
        session,
        "organization",
        failure=failure,
        profile=profile,
        values=values if values is not None else profile.model_dump(),
        can_write=actor.can("settings:write"),
        logo_kb=LOGO_MAX_BYTES // 1024,
        zones=[(z, z.replace("_", " ")) for z in zone_choices()],
    )


@router.get("/admin/organization", response_class=HTMLResponse)
def organization_page(request: Request, session: WebSession, actor: OrgActor) -> HTMLResponse:
    return _page(request, session, actor)


@router.post("/admin/organization", dependencies=CSRF)
def save_profile(
    request: Request, form: PostedForm, session: WebSession, actor: OrgActor
) -> Response:
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in FIELDS}
    values["quote_valid_days"] = str(form.get("quote_valid_days") or "")

    def parse() -> OrganizationProfileIn:
        days = integer(values["quote_valid_days"])
        body = {k: values[k] for k in FIELDS}
        return OrganizationProfileIn.model_validate(
            {**body, "quote_valid_days": days if days is not None else -1}
        )

    outcome = attempt(session, parse, lambda body: service.set_profile(session, actor, body))
    if isinstance(outcome, Failure):
        return _page(request, session, actor, values=values, failure=outcome)
    return done(request, "Organization profile saved.", "/admin/organization")


@router.post("/admin/organization/logo", dependencies=CSRF)
def upload_logo(
    request: Request,
    session: WebSession,
    actor: OrgActor,
    logo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    data = logo.file.read(LOGO_MAX_BYTES + 1) if logo is not None else b""
    outcome = attempt(session, lambda: data, lambda body: service.set_logo(session, actor, body))
    if isinstance(outcome, Failure):
        return _page(request, session, actor, failure=outcome)
    return done(request, "Logo saved: it prints on every quote.", "/admin/organization")


@router.post("/admin/organization/logo/delete", dependencies=CSRF)
def delete_logo(request: Request, session: WebSession, actor: OrgActor) -> Response:
    service.remove_logo(session, actor)
    return done(request, "Logo removed.", "/admin/organization")


@router.get("/admin/organization/logo")
def show_logo(session: WebSession, actor: OrgActor) -> Response:
    found = service.logo(session)
    if found is None:
        raise NotFound("the organization has no logo")
    data, content_type = found
    return Response(data, media_type=content_type, headers={"X-Content-Type-Options": "nosniff"})
