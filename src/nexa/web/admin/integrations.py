"""Admin pages that connect Nexa to the outside: web-to-lead forms (with lead sources and
the redirect allow-list) and API keys."""

from __future__ import annotations

import html
import re
import typing
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.auth.schemas import ApiKeyCreate
from nexa.core.actor import Actor
from nexa.core.errors import ValidationFailed
from nexa.lead import service as leads
from nexa.lead import webform
from nexa.lead.schemas import (
    FormFieldType,
    LeadSourceCreate,
    WebFormCreate,
    WebFormSettings,
    WebFormUpdate,
)
from nexa.metadata import service as metadata
from nexa.models import ApiKey, WebForm
from nexa.user import service as users
from nexa.web.admin.common import (
    CSRF,
    Failure,
    attempt,
    done,
    field_errors,
    guard,
    integer,
    kept_rows,
    lines,
    page,
    posted,
    posted_rows,
    text,
    validation_messages,
)
from nexa.web.choices import user_choices
from nexa.web.pages import PostedForm, WebSession
from nexa.web.references import resolve

router = APIRouter()

FormsActor = Annotated[Actor, Depends(guard("web_forms"))]
KeysActor = Annotated[Actor, Depends(guard("api_keys"))]

FORM_FIELD_TYPES: tuple[str, ...] = typing.get_args(FormFieldType)
ROW_COLUMNS = ("key", "label", "type", "options")
BLANK_FIELD_ROWS = 3
FORM_SETTINGS = (
    "name",
    "slug",
    "source",
    "form_type",
    "assign_to_id",
    "redirect_url",
    "success_message",
    "honeypot_field",
    "rate_limit_per_hour",
)


def public_url(request: Request, slug: str) -> str:
    """Where the public form lives (as the API's web form answer says)."""
    return str(request.base_url).rstrip("/") + f"/forms/{slug}"


# ---- web forms: list, sources, redirect hosts --------------------------------------------


def _forms_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    source_values: dict[str, Any] | None = None,
    hosts: list[str] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    forms = webform.list_forms(session, actor)
    return page(
        request,
        "admin/web_forms.html",
        actor,
        session,
        "web_forms",
        failure=failure,
        forms=forms,
        urls={f.id: public_url(request, f.slug) for f in forms},
        sources=leads.list_sources(session, actor),
        hosts=hosts if hosts is not None else webform.get_settings_for(session, actor),
        can_write=actor.can("settings:write"),
        source_values=source_values or {},
    )


@router.get("/web-forms", response_class=HTMLResponse)
def forms_page(request: Request, session: WebSession, actor: FormsActor) -> HTMLResponse:
    return _forms_page(request, session, actor)


@router.post("/web-forms/sources", dependencies=CSRF)
def create_source(
    request: Request, form: PostedForm, session: WebSession, actor: FormsActor
) -> Response:
    values = posted(form, "source_key", "source_label")
    source = attempt(
        session,
        lambda: LeadSourceCreate.model_validate(
            {"key": values["source_key"], "label": values["source_label"]}
        ),
        lambda body: leads.create_source(session, actor, body),
        errors=lambda exc: {f"source_{k}": v for k, v in field_errors(exc).items()},
    )
    if isinstance(source, Failure):
        return _forms_page(request, session, actor, source_values=values, failure=source)
    return done(request, f"Lead source {source.label} added.", "/admin/web-forms")


@router.post("/web-forms/settings", dependencies=CSRF)
def set_hosts(
    request: Request, form: PostedForm, session: WebSession, actor: FormsActor
) -> Response:
    hosts = lines(text(form, "redirect_hosts"))
    saved = attempt(
        session,
        lambda: WebFormSettings.model_validate({"redirect_hosts": hosts}),
        lambda body: webform.put_settings(session, actor, body),
    )
    if isinstance(saved, Failure):
        return _forms_page(request, session, actor, hosts=hosts, failure=saved)
    return done(request, "Redirect hosts saved.", "/admin/web-forms")


# ---- one web form ------------------------------------------------------------------------


def _field_rows(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [
        {
            "index": i,
            "position": i + 1,
            "key": f.get("key"),
            "label": f.get("label"),
            "type": f.get("type", "text"),
            "required": bool(f.get("required")),
            "options": ", ".join(str(o) for o in f.get("options") or []),
            "removed": False,
        }
        for i, f in enumerate(fields)
    ]
    return rows + [
        {
            "index": len(rows) + i,
            "position": None,
            "key": None,
            "label": None,
            "type": "text",
            "required": False,
            "options": None,
            "removed": False,
        }
        for i in range(BLANK_FIELD_ROWS)
    ]


def _posted_field_rows(form: Any) -> list[dict[str, Any]]:
    marks = {"required": "required", "removed": "remove"}
    return posted_rows(form, ("position", *ROW_COLUMNS), marks)


def _fields_from(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The form's fields in position order (blank and removed rows left out) and, for each,
    the row it came from."""
    kept, origin = kept_rows(rows, ("key", "label"))
    fields = []
    for row in kept:
        field: dict[str, Any] = {
            "key": row["key"] or None,
            "label": row["label"] or None,
            "type": row["type"] or "text",
            "required": row["required"],
        }
        options = [o.strip() for o in (row["options"] or "").split(",") if o.strip()]
        if options:
            field["options"] = options
        fields.append(field)
    return fields, origin


_ROW_FIELD = re.compile(r"^fields\.(\d+)(\..+)?$")


def _form_errors(exc: Exception, origin: list[int]) -> dict[str, str]:
    """Errors keyed by input; a field row's error by ``fields.<row>.<column>`` (or
    ``fields.<row>``), whatever order the rows were posted in."""

    def row_key(index: int, rest: str) -> str:
        row = origin[index] if index < len(origin) else index
        return f"fields.{row}{rest}"

    out: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for loc, message in validation_messages(exc):
            if len(loc) >= 2 and loc[0] == "fields" and isinstance(loc[1], int):
                rest = "".join(f".{p}" for p in loc[2:] if not isinstance(p, int))
                out.setdefault(row_key(loc[1], rest), message)
            else:
                out.setdefault(str(loc[0]) if loc else "__all__", message)
        return out
    for name, message in field_errors(exc).items():
        match = _ROW_FIELD.match(name)
        out[row_key(int(match.group(1)), match.group(2) or "") if match else name] = message
    return out


def _form_page(
    request: Request,
    session: Session,
    actor: Actor,
    form: WebForm | None,
    *,
    values: dict[str, Any] | None = None,
    rows: list[dict[str, Any]] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    if form is not None:
        current: dict[str, Any] = {name: getattr(form, name) for name in FORM_SETTINGS}
        current["active"] = form.active
        current["assign_to_id"] = str(form.assign_to_id) if form.assign_to_id else None
        fields = list(form.fields or [])
    else:
        current = {"source": "website", "active": True, "honeypot_field": "website_url"}
        current["rate_limit_per_hour"] = 20
        fields = [
            {"key": "first_name", "label": "First name"},
            {"key": "last_name", "label": "Last name", "required": True},
            {"key": "email", "label": "Email", "type": "email", "required": True},
            {"key": "company", "label": "Company"},
        ]
    keys = list(webform.LEAD_FORM_FIELDS) + [
        f"custom.{d.key}" for d in metadata.definitions(session, "lead")
    ]
    url = public_url(request, form.slug) if form is not None else None
    return page(
        request,
        "admin/web_form.html",
        actor,
        session,
        "web_forms",
        failure=failure,
        form=form,
        url=url,
        embed=_embed(url, form.name) if form is not None and url else None,
        rows=rows if rows is not None else _field_rows(fields),
        field_keys=keys,
        field_types=FORM_FIELD_TYPES,
        source_options=[(s.key, s.label) for s in leads.list_sources(session, actor) if s.active],
        user_options=user_choices(session, actor),
        hosts=webform.get_settings_for(session, actor),
        can_write=actor.can("settings:write"),
        values=current | (values or {}),
    )


def _embed(url: str, name: str) -> str:
    """The snippet an admin pastes into their site (shown as text, never rendered here)."""
    return (
        f'<iframe src="{html.escape(url)}" title="{html.escape(name)}" width="100%" '
        'height="720" style="border:0" loading="lazy"></iframe>'
    )


def _posted_form(form: Any) -> tuple[dict[str, Any], list[dict[str, Any]], list[int]]:
    values = posted(form, *FORM_SETTINGS, flags=("active",))
    rows = _posted_field_rows(form)
    fields, origin = _fields_from(rows)
    values["fields"] = fields
    return values, rows, origin


@router.get("/web-forms/new", response_class=HTMLResponse)
def new_form_page(request: Request, session: WebSession, actor: FormsActor) -> HTMLResponse:
    return _form_page(request, session, actor, None)


@router.post("/web-forms/new", dependencies=CSRF)
def create_form(
    request: Request, posted: PostedForm, session: WebSession, actor: FormsActor
) -> Response:
    values, rows, origin = _posted_form(posted)
    created = attempt(
        session,
        lambda: WebFormCreate.model_validate({k: v for k, v in values.items() if v is not None}),
        lambda body: webform.create_form(session, actor, body),
        errors=lambda exc: _form_errors(exc, origin),
    )
    if isinstance(created, Failure):
        return _form_page(request, session, actor, None, values=values, rows=rows, failure=created)
    return done(request, f"Web form {created.name} created.", f"/admin/web-forms/{created.id}")


@router.get("/web-forms/{form_id}", response_class=HTMLResponse)
def form_page(
    request: Request, form_id: uuid.UUID, session: WebSession, actor: FormsActor
) -> HTMLResponse:
    return _form_page(request, session, actor, webform.get_form(session, actor, form_id))


@router.post("/web-forms/{form_id}", dependencies=CSRF)
def update_form(
    request: Request,
    posted: PostedForm,
    form_id: uuid.UUID,
    session: WebSession,
    actor: FormsActor,
) -> Response:
    values, rows, origin = _posted_form(posted)
    updated = attempt(
        session,
        lambda: WebFormUpdate.model_validate(values),
        lambda body: webform.update_form(
            session, actor, form_id, body, if_match=integer(posted.get("version"))
        ),
        errors=lambda exc: _form_errors(exc, origin),
    )
    if isinstance(updated, Failure):
        form = webform.get_form(session, actor, form_id)
        return _form_page(request, session, actor, form, values=values, rows=rows, failure=updated)
    return done(request, f"Web form {updated.name} saved.", f"/admin/web-forms/{updated.id}")


@router.post("/web-forms/{form_id}/delete", dependencies=CSRF)
def delete_form(
    request: Request,
    posted: PostedForm,
    form_id: uuid.UUID,
    session: WebSession,
    actor: FormsActor,
) -> Response:
    form = webform.get_form(session, actor, form_id)
    name = form.name
    webform.delete_form(session, actor, form_id, if_match=integer(posted.get("version")))
    return done(request, f"Web form {name} deleted; its leads stay.", "/admin/web-forms")


# ---- API keys ----------------------------------------------------------------------------


def _scopes(value: str | None) -> list[str]:
    return [s for s in re.split(r"[\s,]+", value or "") if s]


def _keys_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
    created: Any = None,
    token: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    keys = users.list_api_keys(session, actor)
    owners = resolve(session, actor, [{"user_id": k.user_id} for k in keys], ["user_id"])
    response = page(
        request,
        "admin/api_keys.html",
        actor,
        session,
        "api_keys",
        status_code=status_code,
        failure=failure,
        keys=keys,
        owners=owners,
        user_options=user_choices(session, actor),
        can_create=actor.can("api_key:create"),
        can_revoke=actor.can("api_key:delete"),
        values=values or {"user_id": str(actor.user_id), "scopes": "*"},
        created=created,
        token=token,
    )
    if token:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/api-keys", response_class=HTMLResponse)
def keys_page(request: Request, session: WebSession, actor: KeysActor) -> HTMLResponse:
    return _keys_page(request, session, actor)


@router.post("/api-keys/new", dependencies=CSRF)
def create_key(
    request: Request, form: PostedForm, session: WebSession, actor: KeysActor
) -> Response:
    values = posted(form, "name", "user_id", "scopes", "expires_at")

    def parse() -> tuple[ApiKeyCreate, uuid.UUID]:
        body = ApiKeyCreate.model_validate(values | {"scopes": _scopes(values["scopes"])})
        user_id = body.user_id or actor.user_id
        if user_id is None:
            raise ValidationFailed("say whose key this is", field="user_id")
        return body, user_id

    def write(parsed: tuple[ApiKeyCreate, uuid.UUID]) -> tuple[ApiKey, str]:
        body, user_id = parsed
        return users.create_api_key(
            session,
            actor,
            user_id=user_id,
            name=body.name,
            scopes=body.scopes,
            expires_at=body.expires_at,
        )

    outcome = attempt(session, parse, write)
    if isinstance(outcome, Failure):
        return _keys_page(request, session, actor, values=values, failure=outcome)
    key, token = outcome
    # Shown in this answer only (never put in the session cookie or a redirect).
    return _keys_page(request, session, actor, created=key, token=token, status_code=201)


@router.post("/api-keys/{key_id}/revoke", dependencies=CSRF)
def revoke_key(
    request: Request, key_id: uuid.UUID, session: WebSession, actor: KeysActor
) -> Response:
    key = users.revoke_api_key(session, actor, key_id)
    return done(request, f"API key {key.name} revoked.", "/admin/api-keys")
