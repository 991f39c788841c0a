"""The lead page: status actions, duplicate warnings, links to what a converted lead became,
and the Convert dialog (an htmx fragment in a ``<dialog>``, or a page of its own without
htmx). Routes parse, call the lead services and render; the rules live in the services."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError
from nexa.core.names import person_name
from nexa.lead import service as lead_service
from nexa.lead.flows import ConversionOptions, ConversionPlan, convert_lead, plan_conversion
from nexa.lead.schemas import LeadConvert, LeadUpdate
from nexa.lead.service import TRANSITIONS, LeadService
from nexa.models import Lead
from nexa.web.choices import stage_choices
from nexa.web.csrf import verify_csrf
from nexa.web.forms import errors_of
from nexa.web.generic import ObjectView, detail_context, object_view
from nexa.web.objects import OBJECTS
from nexa.web.pages import PostedForm, WebActor, WebSession, is_htmx, render

router = APIRouter(prefix="/leads")
CSRF = [Depends(verify_csrf)]
LEADS = OBJECTS["leads"]
CONVERTIBLE = ("new", "contacted", "qualified")
TRUE = ("true", "on", "1")


# ---- the page ----------------------------------------------------------------------------


def status_actions(lead: Lead) -> list[tuple[str, str]]:
    """(target status, button label) for the moves the lead service allows from here."""
    return [(s, f"Mark {s}") for s in TRANSITIONS.get(lead.status, ()) if s != lead.status]


def can_convert(actor: Actor, lead: Lead) -> bool:
    return lead.status in CONVERTIBLE and all(
        actor.can(p) for p in ("lead:write", "contact:create", "account:create")
    )


def duplicates_of(session: Session, actor: Actor, lead: Lead) -> list[Any]:
    """Readable leads and contacts that look like this lead (never the lead itself)."""
    if lead.status == "converted":
        return []
    found = lead_service.duplicate_candidates(
        session,
        actor,
        email=lead.email,
        first_name=lead.first_name,
        last_name=lead.last_name,
        company=lead.company,
    )
    return [c for c in found if not (c.record_type == "lead" and c.id == lead.id)]


@object_view("lead")
class LeadView(ObjectView):
    template = "lead/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "status_actions": status_actions(record),
            "duplicates": duplicates_of(session, actor, record),
            "can_convert": can_convert(actor, record),
            "status_error": None,
        }


# ---- status actions ----------------------------------------------------------------------


@router.post("/{lead_id}/status", dependencies=CSRF)
def change_status(
    request: Request, form: PostedForm, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    status = str(form.get("status") or "")
    reason = str(form.get("lost_reason") or "").strip() or None
    values: dict[str, Any] = {"status": status}
    if status == "lost" or reason:
        values["lost_reason"] = reason
    try:
        body = LeadUpdate.model_validate(values)
        with session.begin_nested():
            LeadService(session, actor).update(lead_id, body)
    except (ValidationError, DomainError) as exc:
        errors = errors_of(exc)
        message = errors.get("lost_reason") or errors.get("status") or next(iter(errors.values()))
        code = exc.status if isinstance(exc, DomainError) else 422
        if is_htmx(request):
            lead = LeadService(session, actor).get(lead_id)
            return render(
                request,
                "lead/_status.html",
                actor,
                session,
                status_code=code,
                row={"id": lead.id, "status": lead.status, "lost_reason": lead.lost_reason},
                status_actions=status_actions(lead),
                can_write=actor.can("lead:write"),
                status_error=message,
                lost_reason=reason or "",
            )
        ctx = detail_context(request, session, actor, LEADS, lead_id)
        ctx.update(status_error=message, lost_reason=reason or "")
        return render(request, "lead/detail.html", actor, session, status_code=code, **ctx)
    request.session["flash"] = f"Lead marked {status}"
    return _redirect(request, f"/leads/{lead_id}")


def _redirect(request: Request, target: str) -> Response:
    """303 for a form post; for htmx, HX-Redirect (htmx would swap a followed redirect)."""
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# ---- conversion --------------------------------------------------------------------------


def _convert_context(
    session: Session,
    actor: Actor,
    lead: Lead,
    plan: ConversionPlan | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> dict[str, Any]:
    return {
        "lead": lead,
        "lead_name": person_name(lead.first_name, lead.last_name),
        "plan": plan,
        "values": values,
        "errors": errors,
        "stages": stage_choices(session, actor) if plan is not None else [],
    }


def _render_convert(
    request: Request,
    session: Session,
    actor: Actor,
    ctx: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    template = "lead/_convert.html" if is_htmx(request) else "lead/convert.html"
    return render(request, template, actor, session, status_code=status_code, **ctx)


@router.get("/{lead_id}/convert", response_class=HTMLResponse)
def convert_dialog(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    lead = LeadService(session, actor).get(lead_id)
    values = {"create_deal": actor.can("deal:create")}
    try:
        plan = plan_conversion(
            session, actor, lead_id, ConversionOptions(create_deal=values["create_deal"])
        )
    except DomainError as exc:
        ctx = _convert_context(session, actor, lead, None, values, {"__all__": exc.detail})
        return _render_convert(request, session, actor, ctx, exc.status)
    return _render_convert(
        request, session, actor, _convert_context(session, actor, lead, plan, values, {})
    )


def _conversion_values(form: Any) -> dict[str, Any]:
    """The LeadConvert body of the dialog's form (empty inputs left out)."""
    values: dict[str, Any] = {"create_deal": str(form.get("create_deal") or "") in TRUE}
    for name in ("deal_name", "deal_amount", "deal_stage", "deal_close_date"):
        text = str(form.get(name) or "").strip()
        if text and values["create_deal"]:
            values[name] = text
    return values


@router.post("/{lead_id}/convert", dependencies=CSRF)
def convert(
    request: Request, form: PostedForm, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    values = _conversion_values(form)
    lead = LeadService(session, actor).get(lead_id)
    try:
        body = LeadConvert.model_validate(values)
        with session.begin_nested():
            result = convert_lead(session, actor, lead_id, ConversionOptions(**body.model_dump()))
    except (ValidationError, DomainError) as exc:
        errors = _dialog_errors(errors_of(exc))
        code = exc.status if isinstance(exc, DomainError) else 422
        session.refresh(lead)
        plan = None
        try:
            plan = plan_conversion(
                session, actor, lead_id, ConversionOptions(create_deal=values["create_deal"])
            )
        except DomainError as again:
            errors.setdefault("__all__", again.detail)
        ctx = _convert_context(session, actor, lead, plan, values, errors)
        return _render_convert(request, session, actor, ctx, code)
    request.session["flash"] = "Lead converted"
    target = (
        f"/deals/{result.deal.id}" if result.deal is not None else f"/contacts/{result.contact.id}"
    )
    return _redirect(request, target)


def _dialog_errors(errors: dict[str, str]) -> dict[str, str]:
    """Errors of the dialog's inputs stay on them; any other one is shown on top."""
    shown = ("deal_name", "deal_amount", "deal_stage", "deal_close_date")
    out = {k: v for k, v in errors.items() if k in shown}
    rest = [v for k, v in errors.items() if k not in shown]
    if rest:
        out["__all__"] = rest[0]
    return out
