"""/api/v1/leads, /api/v1/lead-sources and /api/v1/web-forms.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from nexa.account.shape import ACCOUNTS, account_out
from nexa.api.crud import parse_if_match, with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS, record_router
from nexa.api.scopes import needs
from nexa.contact.shape import CONTACTS
from nexa.core.schemas import Problem
from nexa.deal.shape import DEALS
from nexa.lead import service, webform
from nexa.lead.flows import ConversionOptions, convert_lead, plan_conversion
from nexa.lead.schemas import (
    ConversionOut,
    ConversionPreview,
    DuplicateCandidateOut,
    DuplicateList,
    LeadConvert,
    LeadCreate,
    LeadOut,
    LeadSourceCreate,
    LeadSourceOut,
    LeadUpdate,
    WebFormCreate,
    WebFormOut,
    WebFormSettings,
    WebFormSettingsOut,
    WebFormUpdate,
)
from nexa.lead.shape import LEADS
from nexa.models import WebForm

leads = record_router(
    prefix="/leads",
    noun="a lead",
    plural="leads",
    service=service.LeadService,
    create_model=LeadCreate,
    update_model=LeadUpdate,
    out_model=LeadOut,
    shaper=LEADS,
)

router = APIRouter(responses=PROBLEMS)
# converting writes the lead and creates a contact, an account and (by default) a deal,
# unless it finds the contact and account already there (which it must be able to read)
CONVERT_SCOPES = (
    "lead:read",
    "lead:write",
    "contact:read",
    "contact:create",
    "account:read",
    "account:create",
    "deal:create",
)


@router.get(
    "/leads/duplicates",
    response_model=DuplicateList,
    tags=["leads"],
    summary="Leads and contacts that look like this person",
    openapi_extra=needs("lead:read"),
)
def lead_duplicates(
    session: SessionDep,
    actor: ActorDep,
    email: Annotated[str | None, Query(max_length=254)] = None,
    first_name: Annotated[str | None, Query(max_length=100)] = None,
    last_name: Annotated[str | None, Query(max_length=100)] = None,
    company: Annotated[str | None, Query(max_length=200)] = None,
) -> DuplicateList:
    found = service.duplicate_candidates(
        session, actor, email=email, first_name=first_name, last_name=last_name, company=company
    )
    return DuplicateList(
        items=[DuplicateCandidateOut.model_validate(c, from_attributes=True) for c in found]
    )


router.include_router(leads)


# ---- lead sources ------------------------------------------------------------------------


@router.get(
    "/lead-sources",
    response_model=list[LeadSourceOut],
    tags=["leads"],
    summary="Lead sources",
    openapi_extra=needs("lead:read"),
)
def list_lead_sources(session: SessionDep, actor: ActorDep) -> list[LeadSourceOut]:
    return [LeadSourceOut.model_validate(s) for s in service.list_sources(session, actor)]


@router.post(
    "/lead-sources",
    response_model=LeadSourceOut,
    status_code=201,
    tags=["leads"],
    summary="Add a lead source (admins)",
    responses={409: {"model": Problem}},
    openapi_extra=needs("settings:write"),
)
def create_lead_source(
    body: LeadSourceCreate, session: SessionDep, actor: ActorDep
) -> LeadSourceOut:
    return LeadSourceOut.model_validate(service.create_source(session, actor, body))


# ---- web forms ---------------------------------------------------------------------------


def form_out(request: Request, form: WebForm) -> WebFormOut:
    data = {c.key: getattr(form, c.key) for c in WebForm.__mapper__.column_attrs}
    data["public_url"] = str(request.base_url).rstrip("/") + f"/forms/{form.slug}"
    return WebFormOut.model_validate(data)


@router.get(
    "/web-forms/settings",
    response_model=WebFormSettingsOut,
    tags=["web forms"],
    summary="Web form settings (hosts a form may redirect to)",
    openapi_extra=needs("settings:read"),
)
def get_web_form_settings(session: SessionDep, actor: ActorDep) -> WebFormSettingsOut:
    return WebFormSettingsOut(redirect_hosts=webform.get_settings_for(session, actor))


@router.put(
    "/web-forms/settings",
    response_model=WebFormSettingsOut,
    tags=["web forms"],
    summary="Set the hosts a web form may redirect to",
    openapi_extra=needs("settings:write"),
)
def put_web_form_settings(
    body: WebFormSettings, session: SessionDep, actor: ActorDep
) -> WebFormSettingsOut:
    return WebFormSettingsOut(redirect_hosts=webform.put_settings(session, actor, body))


@router.get(
    "/web-forms",
    response_model=list[WebFormOut],
    tags=["web forms"],
    summary="Web forms",
    openapi_extra=needs("settings:read"),
)
def list_web_forms(request: Request, session: SessionDep, actor: ActorDep) -> list[WebFormOut]:
    return [form_out(request, f) for f in webform.list_forms(session, actor)]


@router.post(
    "/web-forms",
    response_model=WebFormOut,
    status_code=201,
    tags=["web forms"],
    summary="Create a web form",
    responses={409: {"model": Problem}},
    openapi_extra=needs("settings:write"),
)
def create_web_form(
    request: Request, body: WebFormCreate, session: SessionDep, actor: ActorDep
) -> WebFormOut:
    return form_out(request, webform.create_form(session, actor, body))


@router.get(
    "/web-forms/{form_id}",
    response_model=WebFormOut,
    tags=["web forms"],
    summary="A web form",
    openapi_extra=needs("settings:read"),
)
def get_web_form(
    form_id: uuid.UUID, request: Request, session: SessionDep, actor: ActorDep, response: Response
) -> WebFormOut:
    form = webform.get_form(session, actor, form_id)
    with_etag(response, form.version)
    return form_out(request, form)


@router.patch(
    "/web-forms/{form_id}",
    response_model=WebFormOut,
    tags=["web forms"],
    summary="Update a web form",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
    openapi_extra=needs("settings:read", "settings:write"),
)
def update_web_form(
    form_id: uuid.UUID,
    body: WebFormUpdate,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> WebFormOut:
    form = webform.update_form(session, actor, form_id, body, if_match=parse_if_match(if_match))
    with_etag(response, form.version)
    return form_out(request, form)


@router.delete(
    "/web-forms/{form_id}",
    status_code=204,
    tags=["web forms"],
    summary="Delete a web form (its leads stay)",
    responses={412: {"model": Problem}},
    openapi_extra=needs("settings:read", "settings:write"),
)
def delete_web_form(
    form_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> Response:
    webform.delete_form(session, actor, form_id, if_match=parse_if_match(if_match))
    return Response(status_code=204)


def _options(body: LeadConvert) -> ConversionOptions:
    return ConversionOptions(**body.model_dump())


@router.post(
    "/leads/{lead_id}/convert/preview",
    response_model=ConversionPreview,
    summary="What converting the lead would create or link (nothing is written)",
    responses={409: {"model": Problem}},
    openapi_extra=needs(*CONVERT_SCOPES),
)
def preview_conversion(
    lead_id: uuid.UUID, body: LeadConvert, session: SessionDep, actor: ActorDep
) -> ConversionPreview:
    plan = plan_conversion(session, actor, lead_id, _options(body))
    return ConversionPreview(
        lead_id=plan.lead.id,
        contact_id=plan.contact.id if plan.contact else None,
        account_id=plan.account.id if plan.account else None,
        create_contact=plan.create_contact,
        create_account=plan.create_account,
        create_deal=plan.create_deal,
        account_name=plan.account_name,
        deal_name=plan.deal_name,
        reasons=plan.reasons,
    )


@router.post(
    "/leads/{lead_id}/convert",
    response_model=ConversionOut,
    summary="Convert a lead into a contact, an account and a deal (one transaction)",
    responses={409: {"model": Problem}},
    openapi_extra=needs(*CONVERT_SCOPES),
)
def convert(
    lead_id: uuid.UUID, body: LeadConvert, session: SessionDep, actor: ActorDep
) -> ConversionOut:
    result = convert_lead(session, actor, lead_id, _options(body))
    session.flush()
    return ConversionOut(
        lead=LEADS.one(session, result.lead),
        contact=CONTACTS.one(session, result.contact).model_dump(mode="json"),
        account=ACCOUNTS.apply(account_out(result.account)).model_dump(mode="json")
        if result.account
        else None,
        deal=DEALS.one(session, result.deal).model_dump(mode="json") if result.deal else None,
        created=result.created,
    )
