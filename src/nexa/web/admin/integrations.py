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

from nexa.auth.endpoints import ApiKeyCreate
from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
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
from nexa.models import WebForm
from nexa.user import service as users
from nexa.web.admin.common import (
    done,
    field_errors,
    flag,
    guard,
    integer,
    lines,
    page,
    status_of,
    text,
)
from nexa.web.choices import user_choices
from nexa.web.csrf import verify_csrf
from nexa.web.pages import WebSession
from nexa.web.references import resolve

router = APIRouter()
CSRF = [Depends(verify_csrf)]

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
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    forms = webform.list_forms(session, actor)
    return page(
        request,
        "admin/web_forms.html",
        actor,
        session,
        "web_forms",
        status_code=status_code,
        forms=forms,
        urls={f.id: public_url(request, f.slug) for f in forms},
        sources=leads.list_sources(session, actor),
        hosts=hosts if hosts is not None else webform.get_settings_for(session, actor),
        can_write=actor.can("settings:write"),
        source_values=source_values or {},
        errors=errors or {},
    )


@router.get("/web-forms", response_class=HTMLResponse)
def forms_page(request: Request, session: WebSession, actor: FormsActor) -> HTMLResponse:
    return _forms_page(request, session, actor)


@router.post("/web-forms/sources", dependencies=CSRF)
async def create_source(request: Request, session: WebSession, actor: FormsActor) -> Response:
    form = await request.form()
    values = {"source_key": text(form, "source_key"), "source_label": text(form, "source_label")}
    try:
        body = LeadSourceCreate.model_validate(
            {"key": values["source_key"], "label": values["source_label"]}
        )
        with session.begin_nested():
            source = leads.create_source(session, actor, body)
    except (ValidationError, DomainError) as exc:
        return _forms_page(
            request,
            session,
            actor,
            source_values=values,
            errors={f"source_{k}": v for k, v in field_errors(exc).items()},
            status_code=status_of(exc),
        )
    return done(request, f"Lead source {source.label} added.", "/admin/web-forms")


@router.post("/web-forms/settings", dependencies=CSRF)
async def set_hosts(request: Request, session: WebSession, actor: FormsActor) -> Response:
    form = await request.form()
    hosts = lines(text(form, "redirect_hosts"))
    try:
        body = WebFormSettings.model_validate({"redirect_hosts": hosts})
        with session.begin_nested():
            webform.put_settings(session, actor, body)
    except (ValidationError, DomainError) as exc:
        return _forms_page(
            request,
            session,
            actor,
            hosts=hosts,
            errors=field_errors(exc),
            status_code=status_of(exc),
        )
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
    columns = {c: form.getlist(c) for c in ("position", *ROW_COLUMNS)}
    required = set(form.getlist("required"))
    removed = set(form.getlist("remove"))
    count = max((len(v) for v in columns.values()), default=0)
    rows = []
    for i in range(min(count, 60)):
        row: dict[str, Any] = {"index": i}
        for name, posted in columns.items():
            value = posted[i] if i < len(posted) else ""
            row[name] = value.strip() if isinstance(value, str) else ""
        row["required"] = str(i) in required
        row["removed"] = str(i) in removed
        rows.append(row)
    return rows


def _fields_from(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The form's fields in position order (blank and removed rows left out) and, for each,
    the row it came from."""
    kept = []
    for row in rows:
        if row["removed"] or not (row["key"] or row["label"]):
            continue
        position = integer(row["position"])
        kept.append((position if position is not None else 10_000, row["index"], row))
    kept.sort(key=lambda k: (k[0], k[1]))
    fields = []
    for _, _, row in kept:
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
    return fields, [index for _, index, _ in kept]


_ROW_FIELD = re.compile(r"^fields\.(\d+)(\..+)?$")


def _form_errors(exc: Exception, origin: list[int]) -> dict[str, str]:
    """Errors keyed by input; a field row's error by ``fields.<row>.<column>`` (or
    ``fields.<row>``), whatever order the rows were posted in."""

    def row_key(index: int, rest: str) -> str:
        row = origin[index] if index < len(origin) else index
        return f"fields.{row}{rest}"

    out: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
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
    errors: dict[str, str] | None = None,
    status_code: int = 200,
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
        status_code=status_code,
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
        errors=errors or {},
    )


def _embed(url: str, name: str) -> str:
    """The snippet an admin pastes into their site (shown as text, never rendered here)."""
    return (
        f'<iframe src="{html.escape(url)}" title="{html.escape(name)}" width="100%" '
        'height="720" style="border:0" loading="lazy"></iframe>'
    )


def _posted_form(form: Any) -> tuple[dict[str, Any], list[dict[str, Any]], list[int]]:
    values: dict[str, Any] = {name: text(form, name) for name in FORM_SETTINGS}
    values["active"] = flag(form, "active")
    rows = _posted_field_rows(form)
    fields, origin = _fields_from(rows)
    values["fields"] = fields
    return values, rows, origin


@router.get("/web-forms/new", response_class=HTMLResponse)
def new_form_page(request: Request, session: WebSession, actor: FormsActor) -> HTMLResponse:
    return _form_page(request, session, actor, None)


@router.post("/web-forms/new", dependencies=CSRF)
async def create_form(request: Request, session: WebSession, actor: FormsActor) -> Response:
    posted = await request.form()
    values, rows, origin = _posted_form(posted)
    try:
        body = WebFormCreate.model_validate({k: v for k, v in values.items() if v is not None})
        with session.begin_nested():
            created = webform.create_form(session, actor, body)
    except (ValidationError, DomainError) as exc:
        return _form_page(
            request,
            session,
            actor,
            None,
            values=values,
            rows=rows,
            errors=_form_errors(exc, origin),
            status_code=status_of(exc),
        )
    return done(request, f"Web form {created.name} created.", f"/admin/web-forms/{created.id}")


@router.get("/web-forms/{form_id}", response_class=HTMLResponse)
def form_page(
    request: Request, form_id: uuid.UUID, session: WebSession, actor: FormsActor
) -> HTMLResponse:
    return _form_page(request, session, actor, webform.get_form(session, actor, form_id))


@router.post("/web-forms/{form_id}", dependencies=CSRF)
async def update_form(
    request: Request, form_id: uuid.UUID, session: WebSession, actor: FormsActor
) -> Response:
    posted = await request.form()
    values, rows, origin = _posted_form(posted)
    try:
        body = WebFormUpdate.model_validate(values)
        with session.begin_nested():
            updated = webform.update_form(
                session, actor, form_id, body, if_match=integer(posted.get("version"))
            )
    except (ValidationError, DomainError) as exc:
        return _form_page(
            request,
            session,
            actor,
            webform.get_form(session, actor, form_id),
            values=values,
            rows=rows,
            errors=_form_errors(exc, origin),
            status_code=status_of(exc),
        )
    return done(request, f"Web form {updated.name} saved.", f"/admin/web-forms/{updated.id}")


@router.post("/web-forms/{form_id}/delete", dependencies=CSRF)
async def delete_form(
    request: Request, form_id: uuid.UUID, session: WebSession, actor: FormsActor
) -> Response:
    posted = await request.form()
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
    errors: dict[str, str] | None = None,
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
        keys=keys,
        owners=owners,
        user_options=user_choices(session, actor),
        can_create=actor.can("api_key:create"),
        can_revoke=actor.can("api_key:delete"),
        values=values or {"user_id": str(actor.user_id), "scopes": "*"},
        errors=errors or {},
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
async def create_key(request: Request, session: WebSession, actor: KeysActor) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "user_id": text(form, "user_id"),
        "scopes": text(form, "scopes"),
        "expires_at": text(form, "expires_at"),
    }
    try:
        body = ApiKeyCreate.model_validate(values | {"scopes": _scopes(values["scopes"])})
        user_id = body.user_id or actor.user_id
        if user_id is None:
            raise ValidationFailed("say whose key this is", field="user_id")
        with session.begin_nested():
            key, token = users.create_api_key(
                session,
                actor,
                user_id=user_id,
                name=body.name,
                scopes=body.scopes,
                expires_at=body.expires_at,
            )
    except (ValidationError, DomainError) as exc:
        return _keys_page(
            request,
            session,
            actor,
            values=values,
            errors=field_errors(exc),
            status_code=status_of(exc),
        )
    # Shown in this answer only (never put in the session cookie or a redirect).
    return _keys_page(request, session, actor, created=key, token=token, status_code=201)


@router.post("/api-keys/{key_id}/revoke", dependencies=CSRF)
def revoke_key(
    request: Request, key_id: uuid.UUID, session: WebSession, actor: KeysActor
) -> Response:
    key = users.revoke_api_key(session, actor, key_id)
    return done(request, f"API key {key.name} revoked.", "/admin/api-keys")
