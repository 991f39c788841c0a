"""The generic pages every record type gets: list (columns, sort, filters, saved views,
cursor pages, bulk actions, export), detail (the 360° view: profile with inline edit,
timeline, related records, actions), and create/edit forms. Routes are thin: they parse,
call the record's service and render; the request's transaction makes a bulk action all
or nothing.

Each kind of page is a view class (``ObjectListView``, ``ObjectBulkEditView``,
``ObjectEditView``, ``ObjectView``, ``ObjectDeleteView``) with the template and hooks
(``get_extra_context``, ``get_extra_filters``, ``save_new`` …) as attributes and methods. A
domain customises its pages by subclassing one and registering it with
``@object_view("<object>")`` in ``nexa/web/<domain>/routes.py``; ``object_router`` adds the
routes of the views of one object."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.activity import service as activity
from nexa.core.actor import Actor
from nexa.core.errors import DomainError, PermissionDenied, ValidationFailed
from nexa.core.filtering import MAX_ANY, MEMBERSHIP, FieldSpec, ListQuery, any_of
from nexa.imports import export as exporting
from nexa.record import bulk
from nexa.segment import service as lists
from nexa.view import service as views
from nexa.web import references
from nexa.web.choices import field_choices
from nexa.web.csrf import verify_csrf
from nexa.web.filters import HIDDEN as HIDDEN_FIELDS
from nexa.web.filters import builder_row, filter_fields, filter_string, group_rows
from nexa.web.forms import (
    FormField,
    create_values,
    errors_of,
    form_fields,
    form_sections,
    parse_form,
)
from nexa.web.objects import OBJECTS, WebObject
from nexa.web.pages import TEMPLATES, PostedForm, WebActor, WebSession, is_htmx, parse_uuid, render
from nexa.web.zones import zone_named

TEMPLATES.env.globals["form_sections"] = form_sections
EXPORTABLE = {"lead", "contact", "account", "deal"}


@dataclass(frozen=True)
class InsightPanel:
    """A card on a record page filled after the page loads (``hx-trigger="load"``): the
    intelligence modules (score, SLA clock, win prediction, next best action) each register
    one, so the record page itself stays as cheap as before."""

    label: str
    url: str  # with ``{id}`` for the record's id
    permission: str  # shown only to actors who have it


# object name -> its insight panels, in the order they are shown (top of the side column)
INSIGHT_PANELS: dict[str, list[InsightPanel]] = {}


def add_insight_panel(object_name: str, panel: InsightPanel) -> None:
    panels = INSIGHT_PANELS.setdefault(object_name, [])
    if panel not in panels:
        panels.append(panel)


BULK_STATUS = {"lead": "status", "task": "status", "quote": "status", "order": "status"}
PAGE_SIZES = (25, 50, 100)
# Keys of the API's shape that the profile does not list (shown elsewhere, or internal).
# Kept under "Details" on a record's profile: bookkeeping people rarely read (issue 18).
IN_DETAILS = frozenset(
    {
        "amount_org",
        "org_currency",
        "stage_kind",
        "probability_overridden",
        "close_date_pushes",
        "stage_entered_at",
        "status_changed_at",
        "pipeline_id",
        "lead_id",
        "created_at",
        "updated_at",
        "created_by_id",
        "predicted_at",
        "win_model_version",
        "prediction_confidence",
        "converted_at",
        "email_status",
        "timezone",
        "origin",
        "completed_at",
        "reminder_sent_at",
    }
)
NOT_IN_PROFILE = frozenset(
    {
        "id",
        "custom_fields",
        "version",
        "deleted_at",
        "line_items",
        "attendees",
        # campaigns: their builder card shows these in words
        "steps",
        "list_ids",
        "optimize",
        "exit_on",
        "web_form_ids",
        "prices",
        "stage_id",
        "stage_name",
        "ics_uid",
        "ics_sequence",
        "recording_path",
        "recording_sha256",
        "effective_time_zone",  # shown as the time zone's value (components/macros.html)
        "time_zone_source",
        # intelligence: shown by the insight panels (score, SLA clock, win prediction)
        "score_factors",
        "score_probability",
        "score_model_version",
        "scored_at",
        "routing_rule",
        "routing_segment",
        "routed_at",
        "sla_priority",
        "sla_due_at",
        "sla_breached",
        "first_response_at",
        "matched_account_id",
        "win_factors",
        "win_model_version",
        "win_probability",  # the deal page's figures and the panel show it, as a percent
        "predicted_close_date",  # the win prediction panel shows it
        "predicted_at",
        "prediction_confidence",
        "risk_factors",
        "next_best_action",
    }
)


# ---- list ------------------------------------------------------------------------------


def _built(params: Any, prefix: str) -> list[str]:
    """The complete rows of a builder box (``<prefix>f`` / ``o`` / ``v`` parameters)."""
    built = []
    for name, op, value in zip(
        params.getlist(f"{prefix}f"),
        params.getlist(f"{prefix}o"),
        params.getlist(f"{prefix}v"),
        strict=False,
    ):
        one = filter_string(name, op, value.strip())
        if one is not None:
            built.append(one)
    return built


def _filters_from(request: Request) -> list[str]:
    """``f=field:op:value`` parameters, the rows of the filter builder (ff/fo/fv) and the
    rows of its "any of these" box (af/ao/av), which become one any(...) filter."""
    params = request.query_params
    filters = [f for f in params.getlist("f") if f.strip()]
    filters += _built(params, "f")
    either = _built(params, "a")[:MAX_ANY]
    if len(either) == 1:
        filters.append(either[0])
    elif either:
        filters.append(any_of(either))
    return filters[:20]


def _list_columns(
    obj: WebObject, chosen: list[str] | None, fields: dict[str, FieldSpec]
) -> list[str]:
    extra = set(obj.columns)
    columns = [
        c
        for c in (chosen or obj.columns)
        if (c in fields and fields[c].kind != MEMBERSHIP) or c in extra
    ]
    columns = columns or list(obj.columns)
    if obj.title_field in columns:  # the name, which links to the record, comes first
        columns.remove(obj.title_field)
        columns.insert(0, obj.title_field)
    return columns


def list_context(
    request: Request,
    session: Session,
    actor: Actor,
    obj: WebObject,
    *,
    extra_filters: list[str] | None = None,
) -> dict[str, Any]:
    svc = obj.service(session, actor)
    fields = svc.repo.fields()
    params = request.query_params
    view = None
    view_id = parse_uuid(params.get("view"))
    filters = _filters_from(request)
    sort = params.get("sort") or None
    chosen = views.columns_for(session, actor, obj.name)
    if view_id:
        view = views.get_view(session, actor, view_id)
        if view.object_name != obj.name:
            raise ValidationFailed("this view belongs to another list", field="view")
        if not filters and "sort" not in params:
            filters = list(view.filters or [])
            sort = view.sort
        chosen = list(view.columns or []) or chosen
    columns = _list_columns(obj, chosen, fields)
    try:
        limit = int(params.get("limit", "50"))
    except ValueError:
        limit = 50
    limit = limit if limit in PAGE_SIZES else 50
    deleted = params.get("deleted") == "1" and actor.can(f"{obj.name}:delete")
    query = ListQuery(
        filters=filters + list(extra_filters or []),
        sort=sort,
        cursor=params.get("cursor") or None,
        limit=limit,
        include_deleted=deleted,
    )
    error = None
    try:
        records, next_cursor = svc.list(query)
    except ValidationFailed as exc:
        error = exc
        records, next_cursor = [], None
    rows = obj.list_rows(session, records)
    names = references.resolve(session, actor, rows, columns)
    saved = views.list_views(session, actor, obj.name)
    parsed = [row for row in map(builder_row, filters) if row is not None]
    # the first any(...) group fills the "any of these" box; other groups ride along unseen
    groups = [(f, members) for f in filters if (members := group_rows(f)) is not None]
    any_rows = groups[0][1] if groups else []
    kept_groups = [f for f, _ in groups[1:]]
    shown = parsed + any_rows
    # the names of the records the filters point at (a look-up shows the name, not the id)
    filter_names = references.resolve(
        session, actor, [{name: value} for name, _, value in shown], {n for n, _, _ in shown}
    )
    return {
        "filter_names": filter_names,
        "obj": obj,
        "rows": rows,
        "columns": columns,
        # the chooser lists the shown columns first, in their order, so saving keeps it
        "all_fields": columns
        + sorted((set(fields) | set(obj.columns)) - set(columns) - HIDDEN_FIELDS - {"list"}),
        "sortable": {n for n, s in fields.items() if s.sortable},
        "filter_fields": filter_fields(session, actor, obj, fields, {n for n, _, _ in shown}),
        "filters": filters,
        "filter_rows": parsed,
        "any_rows": any_rows,
        "kept_groups": kept_groups,
        "sort": sort or "",
        "next_cursor": next_cursor,
        "cursor": params.get("cursor") or "",
        "limit": limit,
        "names": names,
        "views": saved,
        "view": view,
        "list_error": error,
        "can_create": obj.creatable and actor.can(f"{obj.name}:create"),
        "can_export": obj.name in EXPORTABLE and actor.can(f"{obj.name}:export"),
        "can_delete": actor.can(f"{obj.name}:delete"),
        "can_write": actor.can(f"{obj.name}:write"),
        "can_reassign": actor.can(f"{obj.name}:reassign"),
        "bulk_status": _status_choices(obj, fields),
        "static_lists": _static_lists(session, actor, obj),
        "users": field_choices(session, actor, obj, "owner_id"),
        "query_string": _query_string(filters, sort) + ("&deleted=1" if deleted else ""),
        "deleted": deleted,
    }


def _status_choices(obj: WebObject, fields: dict[str, FieldSpec]) -> tuple[str, ...]:
    name = BULK_STATUS.get(obj.name)
    if not name or name not in fields:
        return ()
    return tuple(c for c in fields[name].choices if c not in ("converted",))


def _static_lists(session: Session, actor: Actor, obj: WebObject) -> list[Any]:
    if obj.name not in ("lead", "contact", "account") or not actor.can("list:write"):
        return []
    svc = OBJECTS["lists"].service(session, actor)
    found, _ = svc.list(
        ListQuery(filters=["kind:eq:static", f"object_type:eq:{obj.name}"], sort="name", limit=100)
    )
    return [lst for lst in found if not lst.is_locked]


def _query_string(filters: list[str], sort: str | None) -> str:
    from urllib.parse import urlencode

    pairs = [("f", f) for f in filters]
    if sort:
        pairs.append(("sort", sort))
    return urlencode(pairs)


# An account's tasks, meetings, calls and notes include those of its deals and contacts (the
# onboarding tasks of a won deal show on its account): up to this many of each, newest first.
ROLLED_UP = 49


def _rolled_up_ids(
    session: Session, actor: Actor, obj: WebObject, record_id: uuid.UUID
) -> list[uuid.UUID]:
    """The ids of the records whose linked activities roll up to this one's page: an
    account's deals and contacts (those ``actor`` can see)."""
    if obj.name != "account":
        return []
    ids: list[uuid.UUID] = []
    for path in ("deals", "contacts"):
        target = OBJECTS[path]
        if actor.can(f"{target.name}:read"):
            query = ListQuery(filters=[f"account_id:eq:{record_id}"], limit=ROLLED_UP)
            ids += [r.id for r in target.service(session, actor).list(query)[0]]
    return ids


def _fields_and_extra(
    obj: WebObject, session: Session, actor: Actor
) -> tuple[dict[str, FieldSpec], set[str]]:
    return obj.fields(session, actor), set(obj.columns)


# ---- the page views --------------------------------------------------------------------
#
# One class per kind of page, with the object, templates and hooks as attributes and methods
# a domain overrides in a subclass (registered with ``object_view``), instead of editing the
# routes of a generated router. ``object_router`` puts the views of one object on a router, in
# the order below: fixed paths (/new, /export.csv) come before /{record_id}.


class ObjectPage:
    """The base of every page view: the object it serves and the routes it adds."""

    kind: ClassVar[str] = ""
    csrf: ClassVar[list[Any]] = [Depends(verify_csrf)]

    def __init__(self, obj: WebObject) -> None:
        self.obj = obj

    def add_routes(self, router: APIRouter) -> None:
        raise NotImplementedError


class ObjectListView(ObjectPage):
    """The list: columns, sort, filters, saved views, cursor pages; the export of it."""

    kind = "list"
    template = "generic/list.html"
    partial_template = "generic/_table.html"  # the table alone, for htmx (``?partial=1``)

    def add_routes(self, router: APIRouter) -> None:
        router.add_api_route("", self.list_page, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route(
            "/columns", self.save_columns, methods=["POST"], dependencies=self.csrf
        )
        router.add_api_route("/views", self.save_view, methods=["POST"], dependencies=self.csrf)
        router.add_api_route(
            "/views/{view_id}/delete", self.delete_view, methods=["POST"], dependencies=self.csrf
        )
        router.add_api_route(
            "/filter-row", self.filter_row, methods=["GET"], response_class=HTMLResponse
        )
        if self.exportable():
            router.add_api_route("/export.{fmt}", self.export, methods=["GET"])

    def filter_row(self, request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
        """One row of the filter builder for the field chosen (htmx swaps it in): its
        operators in words and the value input that fits it."""
        fields = self.obj.service(session, actor).repo.fields()
        prefix = "a" if request.query_params.get("p") == "a" else "f"  # the any-of box: a
        name = request.query_params.get(f"{prefix}f", "")
        offered = filter_fields(session, actor, self.obj, fields, {name})
        try:
            index = max(1, min(99, int(request.query_params.get("i", "1"))))
        except ValueError:
            index = 1
        op = offered[name].operators[0][0] if name in offered else ""
        return render(
            request,
            "generic/_filter_row.html",
            actor,
            session,
            obj=self.obj,
            filter_fields=offered,
            row=(name if name in offered else "", op, ""),
            index=index,
            prefix=prefix,
        )

    def exportable(self) -> bool:
        return self.obj.name in EXPORTABLE

    def get_extra_filters(self, request: Request, session: Session, actor: Actor) -> list[str]:
        """Filters added to the ones the user chose (none by default)."""
        return []

    def get_context(self, request: Request, session: Session, actor: Actor) -> dict[str, Any]:
        extra = self.get_extra_filters(request, session, actor)
        return list_context(request, session, actor, self.obj, extra_filters=extra)

    def list_page(self, request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
        ctx = self.get_context(request, session, actor)
        status = 422 if ctx["list_error"] else 200
        partial = is_htmx(request) and request.query_params.get("partial")
        template = self.partial_template if partial else self.template
        return render(request, template, actor, session, status_code=status, **ctx)

    def save_columns(
        self, request: Request, form: PostedForm, session: WebSession, actor: WebActor
    ) -> Response:
        obj = self.obj
        fields, extra = _fields_and_extra(obj, session, actor)
        if form.get("reset"):
            views.reset_columns(session, actor, obj.name)
        else:
            views.set_columns(
                session, actor, obj.name, [str(c) for c in form.getlist("columns")], fields, extra
            )
        return RedirectResponse(f"/{obj.path}?{form.get('back') or ''}", status_code=303)

    def save_view(
        self, request: Request, form: PostedForm, session: WebSession, actor: WebActor
    ) -> Response:
        obj = self.obj
        fields, extra = _fields_and_extra(obj, session, actor)
        view = views.save_view(
            session,
            actor,
            obj.name,
            name=str(form.get("name") or ""),
            shared=form.get("shared") in ("on", "true"),
            columns=[str(c) for c in form.getlist("columns")] or list(obj.columns),
            filters=[str(f) for f in form.getlist("f") if str(f).strip()],
            sort=str(form.get("sort") or "") or None,
            fields=fields,
            extra_columns=extra,
        )
        return RedirectResponse(f"/{obj.path}?view={view.id}", status_code=303)

    def delete_view(self, view_id: uuid.UUID, session: WebSession, actor: WebActor) -> Response:
        views.delete_view(session, actor, view_id)
        return RedirectResponse(f"/{self.obj.path}", status_code=303)

    def export(self, request: Request, fmt: str, session: WebSession, actor: WebActor) -> Response:
        obj = self.obj
        if fmt not in ("csv", "xlsx"):
            raise ValidationFailed("format must be csv or xlsx", field="format")
        query = ListQuery(
            filters=_filters_from(request), sort=request.query_params.get("sort") or None, limit=500
        )
        buffer = io.BytesIO()
        exporting.export_to(session, actor, obj.name, query, fmt, buffer)
        media = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        buffer.seek(0)
        return StreamingResponse(
            buffer,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{obj.path}.{fmt}"'},
        )


class ObjectBulkEditView(ObjectPage):
    """The list's bulk actions (assign, status, add to a list, delete): all or nothing, as
    the request owns the transaction."""

    kind = "bulk"

    def add_routes(self, router: APIRouter) -> None:
        router.add_api_route("/bulk", self.bulk_action, methods=["POST"], dependencies=self.csrf)

    def bulk_action(
        self, request: Request, form: PostedForm, session: WebSession, actor: WebActor
    ) -> Response:
        obj = self.obj
        ids = [i for i in (parse_uuid(str(v)) for v in form.getlist("ids")) if i]
        action = str(form.get("action") or "")
        svc = obj.service(session, actor)
        if not ids:
            raise ValidationFailed("select at least one record", field="ids")
        if action == "assign":
            owner = parse_uuid(str(form.get("owner_id") or ""))
            if owner is None:
                raise ValidationFailed("choose the new owner", field="owner_id")
            count = bulk.update_each(svc, obj.update_model, ids, {"owner_id": owner})
        elif action == "status":
            name = BULK_STATUS.get(obj.name, "status")
            value = str(form.get("status") or "")
            data: dict[str, Any] = {name: value}
            if value == "lost":
                data["lost_reason"] = str(form.get("lost_reason") or "") or None
            count = bulk.update_each(svc, obj.update_model, ids, data)
        elif action == "add_to_list":
            list_id = parse_uuid(str(form.get("list_id") or ""))
            if list_id is None:
                raise ValidationFailed("choose a list", field="list_id")
            count, _already = lists.add_members(session, actor, list_id, ids)
        elif action == "delete":
            count = bulk.delete_each(svc, ids)
        else:
            raise ValidationFailed("choose an action", field="action")
        request.session["flash"] = (
            f"{count} {obj.plural.lower()} updated"
            if action != "delete"
            else f"{count} {obj.plural.lower()} moved to the bin"
        )
        return RedirectResponse(f"/{obj.path}?{form.get('back') or ''}", status_code=303)


class ObjectEditView(ObjectPage):
    """The create and edit forms; ``save_new``/``save_changes`` call the service (inside a
    savepoint, so a refused save leaves nothing behind and the form is shown with errors)."""

    kind = "edit"

    def add_routes(self, router: APIRouter) -> None:
        # records only a flow makes (orders come from an accepted quote or a won deal) get
        # no create form
        if self.obj.creatable:
            router.add_api_route(
                "/new", self.new_form, methods=["GET"], response_class=HTMLResponse
            )
            router.add_api_route("/new", self.create, methods=["POST"], dependencies=self.csrf)
        router.add_api_route(
            "/{record_id}/edit", self.edit_form, methods=["GET"], response_class=HTMLResponse
        )
        router.add_api_route(
            "/{record_id}/edit", self.update, methods=["POST"], dependencies=self.csrf
        )

    def get_initial(self, request: Request) -> dict[str, Any]:
        """The new form's values: fields of the create schema given in the query string."""
        model = self.obj.create_model
        return {k: v for k, v in request.query_params.items() if k in model.model_fields}

    def save_new(self, session: Session, actor: Actor, body: Any) -> Any:
        return self.obj.service(session, actor).create(body)

    def save_changes(
        self, session: Session, actor: Actor, record_id: uuid.UUID, body: Any, version: int | None
    ) -> Any:
        return self.obj.service(session, actor).update(record_id, body, if_match=version)

    def get_return_url(self, form: Any, record: Any) -> str:
        """Where a create goes next: a same-site ``back`` of the form, else the record."""
        back = str(form.get("back") or "")
        if back.startswith("/") and not back.startswith("//"):
            return back
        return f"/{self.obj.path}/{record.id}"

    def new_form(self, request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
        obj = self.obj
        if not actor.can(f"{obj.name}:create"):  # no form for what could not be saved
            raise PermissionDenied(f"you may not create {obj.plural.lower()}")
        prefill = self.get_initial(request)
        return _form_page(
            request, session, actor, obj, obj.create_model, prefill, record=None, action="new"
        )

    def create(
        self, request: Request, form: PostedForm, session: WebSession, actor: WebActor
    ) -> Response:
        obj = self.obj
        fields = _form(session, actor, obj, obj.create_model, {}, {})
        data = parse_form(form, fields, zone=zone_named(getattr(request.state, "timezone", None)))
        try:
            body = obj.create_model.model_validate(create_values(data) | _flags(form))
            with session.begin_nested():
                record = self.save_new(session, actor, body)
        except (ValidationError, DomainError) as exc:
            errors = errors_of(exc)
            return _form_page(
                request,
                session,
                actor,
                obj,
                obj.create_model,
                data,
                errors=errors,
                status_code=_status(exc),
                record=None,
                action="new",
                conflict=getattr(exc, "extra", {}),
            )
        return RedirectResponse(self.get_return_url(form, record), status_code=303)

    def edit_form(
        self, request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
    ) -> HTMLResponse:
        obj = self.obj
        record = obj.service(session, actor).get(record_id)
        row = obj.shape(session, record).model_dump()
        return _form_page(
            request,
            session,
            actor,
            obj,
            obj.update_model,
            row,
            record=row,
            action=f"{record_id}/edit",
            version=record.version,
        )

    def update(
        self,
        request: Request,
        form: PostedForm,
        record_id: uuid.UUID,
        session: WebSession,
        actor: WebActor,
    ) -> Response:
        obj = self.obj
        fields = _form(session, actor, obj, obj.update_model, {}, {})
        data = parse_form(form, fields, zone=zone_named(getattr(request.state, "timezone", None)))
        version = _int(form.get("version"))
        try:
            body = obj.update_model.model_validate(data)
            with session.begin_nested():
                self.save_changes(session, actor, record_id, body, version)
        except (ValidationError, DomainError) as exc:
            errors = errors_of(exc)
            return _form_page(
                request,
                session,
                actor,
                obj,
                obj.update_model,
                data,
                errors=errors,
                status_code=_status(exc),
                record={"id": record_id, **data},
                action=f"{record_id}/edit",
                version=version,
            )
        return RedirectResponse(f"/{obj.path}/{record_id}", status_code=303)


class ObjectView(ObjectPage):
    """One record's page (the 360° view): profile with inline edit, timeline, related lists,
    insight panels. A domain sets ``template`` (extending generic/detail.html) and adds its
    own context in ``get_extra_context``."""

    kind = "detail"
    template = "generic/detail.html"

    def add_routes(self, router: APIRouter) -> None:
        router.add_api_route(
            "/{record_id}", self.detail, methods=["GET"], response_class=HTMLResponse
        )
        router.add_api_route(
            "/{record_id}/timeline",
            self.timeline_page,
            methods=["GET"],
            response_class=HTMLResponse,
        )
        router.add_api_route(
            "/{record_id}/field/{name}",
            self.field_view,
            methods=["GET"],
            response_class=HTMLResponse,
        )
        router.add_api_route(
            "/{record_id}/field/{name}", self.field_save, methods=["POST"], dependencies=self.csrf
        )

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        """What this object's page adds to the generic context (read before it, so the
        generic keys win on a clash)."""
        return {}

    def get_context(
        self, request: Request, session: Session, actor: Actor, record_id: uuid.UUID
    ) -> dict[str, Any]:
        return _detail_context(request, session, actor, self, record_id)

    def detail(
        self, request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
    ) -> HTMLResponse:
        ctx = self.get_context(request, session, actor, record_id)
        return render(request, self.template, actor, session, **ctx)

    def timeline_page(
        self,
        request: Request,
        record_id: uuid.UUID,
        session: WebSession,
        actor: WebActor,
        cursor: str | None = Query(None, max_length=200),
    ) -> HTMLResponse:
        obj = self.obj
        entries, next_cursor = activity.timeline(
            session, actor, record_type=obj.name, record_id=record_id, cursor=cursor, limit=30
        )
        return render(
            request,
            "components/_timeline.html",
            actor,
            session,
            obj=obj,
            record_id=record_id,
            entries=entries,
            next_cursor=next_cursor,
        )

    def field_view(
        self,
        request: Request,
        record_id: uuid.UUID,
        name: str,
        session: WebSession,
        actor: WebActor,
        edit: bool = False,
    ) -> HTMLResponse:
        obj = self.obj
        record = obj.service(session, actor).get(record_id)
        row = obj.shape(session, record).model_dump()
        return _field_partial(request, session, actor, obj, row, name, edit=edit, error=None)

    def field_save(
        self,
        request: Request,
        form: PostedForm,
        record_id: uuid.UUID,
        name: str,
        session: WebSession,
        actor: WebActor,
    ) -> Response:
        obj = self.obj
        fields = [f for f in _form(session, actor, obj, obj.update_model, {}, {}) if f.name == name]
        if not fields:
            raise ValidationFailed(f"'{name[:60]}' cannot be edited here", field=name)
        data = parse_form(form, fields, zone=zone_named(getattr(request.state, "timezone", None)))
        try:
            body = obj.update_model.model_validate(data)
            with session.begin_nested():
                record = obj.service(session, actor).update(
                    record_id, body, if_match=_int(form.get("version"))
                )
        except (ValidationError, DomainError) as exc:
            errors = errors_of(exc)
            record = obj.service(session, actor).get(record_id)
            row = obj.shape(session, record).model_dump()
            message = errors.get(name) or next(iter(errors.values()), "invalid value")
            return _field_partial(
                request,
                session,
                actor,
                obj,
                row,
                name,
                edit=True,
                error=message,
                posted=data,
                status=_status(exc),
            )
        row = obj.shape(session, record).model_dump()
        return _field_partial(request, session, actor, obj, row, name, edit=False, error=None)


class ObjectDeleteView(ObjectPage):
    """Moving a record to the bin, and back."""

    kind = "delete"

    def add_routes(self, router: APIRouter) -> None:
        router.add_api_route(
            "/{record_id}/restore", self.restore, methods=["POST"], dependencies=self.csrf
        )
        router.add_api_route(
            "/{record_id}/delete", self.delete, methods=["POST"], dependencies=self.csrf
        )

    def restore(
        self, request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
    ) -> Response:
        self.obj.service(session, actor).restore(record_id)
        request.session["flash"] = f"{self.obj.label} restored from the bin"
        return RedirectResponse(f"/{self.obj.path}/{record_id}", status_code=303)

    def delete(
        self, request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
    ) -> Response:
        self.obj.service(session, actor).delete(record_id)
        request.session["flash"] = f"{self.obj.label} moved to the bin"
        return RedirectResponse(f"/{self.obj.path}", status_code=303)


# The kinds of page every object gets, in the order their routes are added.
DEFAULT_VIEWS: tuple[type[ObjectPage], ...] = (
    ObjectListView,
    ObjectBulkEditView,
    ObjectEditView,
    ObjectView,
    ObjectDeleteView,
)
# object name -> kind -> the domain's subclass (see ``object_view``)
OBJECT_VIEWS: dict[str, dict[str, type[ObjectPage]]] = {}

P = TypeVar("P", bound=type[ObjectPage])
V = TypeVar("V", bound=ObjectPage)


def object_view(object_name: str) -> Callable[[P], P]:
    """Class decorator: use this subclass for its kind of page of ``object_name``."""

    def register(view: P) -> P:
        OBJECT_VIEWS.setdefault(object_name, {})[view.kind] = view
        return view

    return register


def view_of(obj: WebObject, base: type[V]) -> V:
    """The view of ``base``'s kind for ``obj``: the domain's subclass if it registered one."""
    chosen = OBJECT_VIEWS.get(obj.name, {}).get(base.kind, base)
    view = chosen(obj)
    assert isinstance(view, base)
    return view


def object_router(obj: WebObject) -> APIRouter:
    """The generic pages of ``obj``: each kind of view adds its routes."""
    router = APIRouter(prefix=f"/{obj.path}")
    for base in DEFAULT_VIEWS:
        view_of(obj, base).add_routes(router)
    return router


def _form_page(
    request: Request,
    session: Session,
    actor: Actor,
    obj: WebObject,
    model: Any,
    values: dict[str, Any],
    *,
    record: dict[str, Any] | None,
    action: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The create or edit form of ``obj`` (``action`` below its path), with errors on fields."""
    errors = errors or {}
    return render(
        request,
        "generic/form.html",
        actor,
        session,
        status_code=status_code,
        obj=obj,
        fields=_form(session, actor, obj, model, values, errors),
        record=record,
        errors=errors,
        action=f"/{obj.path}/{action}",
        **extra,
    )


def _status(exc: Exception) -> int:
    return exc.status if isinstance(exc, DomainError) else 422


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _flags(form: Any) -> dict[str, Any]:
    return {"allow_duplicates": True} if form.get("allow_duplicates") in ("on", "true", "1") else {}


def _form(
    session: Session,
    actor: Actor,
    obj: WebObject,
    model: Any,
    values: dict[str, Any],
    errors: dict[str, str],
) -> list[FormField]:
    choices = {
        name: found
        for name in model.model_fields
        if (found := field_choices(session, actor, obj, name, values=values)) is not None
    }
    fields = form_fields(
        session,
        model,
        obj.name,
        values=values,
        errors=errors,
        exclude=obj.form_exclude,
        custom_fields=obj.custom_fields,
        choices={k: tuple(c[0] for c in v) for k, v in choices.items()},
    )
    refs = [f.name for f in fields if f.kind == "ref" and f.value]
    names = references.resolve(session, actor, [values], refs) if refs else None
    for f in fields:
        if f.name in choices:
            f.extra["labels"] = dict(choices[f.name])
        if names is not None and f.name in refs:
            ref_name = names.get(f.name, f.value, values)
            if ref_name:
                f.extra["display"] = ref_name[0]
    return fields


def _field_partial(
    request: Request,
    session: Session,
    actor: Actor,
    obj: WebObject,
    row: dict[str, Any],
    name: str,
    *,
    edit: bool,
    error: str | None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    values = dict(row)
    if posted:
        values.update(posted)
    fields = {
        f.name: f
        for f in _form(
            session, actor, obj, obj.update_model, values, {name: error} if error else {}
        )
    }
    names = references.resolve(session, actor, [row], [name])
    return render(
        request,
        "components/_field.html",
        actor,
        session,
        status_code=status,
        obj=obj,
        row=row,
        name=name,
        field=fields.get(name),
        edit=edit and name in fields,
        error=error,
        names=names,
        editable=set(fields),
        can_write=actor.can(f"{obj.name}:write"),
    )


def detail_context(
    request: Request, session: Session, actor: Actor, obj: WebObject, record_id: uuid.UUID
) -> dict[str, Any]:
    """The context of ``obj``'s record page (its domain's view included), for a domain page
    that shows the record page again, e.g. with an error on one of its forms."""
    return view_of(obj, ObjectView).get_context(request, session, actor, record_id)


def _detail_context(
    request: Request, session: Session, actor: Actor, view: ObjectView, record_id: uuid.UUID
) -> dict[str, Any]:
    obj = view.obj
    svc = obj.service(session, actor)
    record = svc.get(record_id)
    row = obj.shape(session, record).model_dump()
    fields = _form(session, actor, obj, obj.update_model, row, {})
    editable = {f.name for f in fields}
    every = [k for k in row if k not in NOT_IN_PROFILE]
    shown = [k for k in every if k not in IN_DETAILS]
    details = [k for k in every if k in IN_DETAILS]
    names = references.resolve(session, actor, [row], every)
    entries: list[Any] = []
    next_cursor: str | None = None
    if obj.timeline:
        entries, next_cursor = activity.timeline(
            session, actor, record_type=obj.name, record_id=record_id, limit=30
        )
    related: list[dict[str, Any]] = []
    rolled_up = _rolled_up_ids(session, actor, obj, record_id)
    for rel in obj.related:
        target = OBJECTS[rel.path]
        if not actor.can(f"{target.name}:read"):
            continue
        filters = [f"{rel.field}:eq:{record_id}"]
        if rel.linked and rolled_up:
            filters = [f"related_id:in:{','.join(str(i) for i in [record_id, *rolled_up])}"]
        elif rel.linked:
            filters.insert(0, f"related_type:eq:{obj.name}")
        items, more = target.service(session, actor).list(ListQuery(filters=filters, limit=10))
        rows = target.list_rows(session, items)
        related.append(
            {
                "rel": rel,
                "target": target,
                "rows": rows,
                "more": more is not None,
                "filters": filters,
            }
        )
    # names in the related lists: one query per referenced type for all of them together
    related_names = references.resolve(
        session,
        actor,
        [r for group in related for r in group["rows"]],
        {c for group in related for c in group["target"].columns[1:3]},
    )
    memberships = []
    if obj.name in ("lead", "contact", "account") and actor.can("list:read"):
        memberships = lists.memberships(session, actor, obj.name, record_id)
    custom = {f.name: f for f in fields if f.custom}
    frozen = obj.frozen is not None and obj.frozen(record)
    added = view.get_extra_context(request, session, actor, record, row)
    return added | {
        "obj": obj,
        "record": record,
        "row": row,
        "title": obj.title(row),
        "shown": shown,
        "details": details,
        "editable": editable,
        "custom": custom,
        "names": names,
        "entries": entries,
        "next_cursor": next_cursor,
        "related": related,
        "related_names": related_names,
        "memberships": memberships,
        "can_write": actor.can(f"{obj.name}:write") and not frozen,
        "can_delete": actor.can(f"{obj.name}:delete") and not frozen,
        "linkable": obj.name in ("lead", "contact", "account", "deal", "quote", "order"),
        "insight_panels": [
            (p.label, p.url.format(id=record_id))
            for p in INSIGHT_PANELS.get(obj.name, [])
            if actor.can(p.permission)
        ],
    }
