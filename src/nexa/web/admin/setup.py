"""Admin pages for how the CRM is set up: pipelines and their stages, exchange rates,
custom fields."""

from __future__ import annotations

import typing
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import NotFound
from nexa.deal import currency as deal_currency
from nexa.deal import pipelines as deal_pipelines
from nexa.deal.schemas import (
    ExchangeRateIn,
    PipelineCreate,
    PipelineUpdate,
    StageKind,
    StagesReplace,
)
from nexa.metadata import service as metadata
from nexa.metadata.schemas import CustomFieldCreate, CustomFieldUpdate, FieldType, ObjectType
from nexa.models import Pipeline, PipelineStage
from nexa.web.admin.common import (
    CSRF,
    Failure,
    attempt,
    done,
    field_errors,
    flag,
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
from nexa.web.pages import PostedForm, WebSession

router = APIRouter()

PipelinesActor = Annotated[Actor, Depends(guard("pipelines"))]
FieldsActor = Annotated[Actor, Depends(guard("custom_fields"))]

STAGE_KINDS: tuple[str, ...] = typing.get_args(StageKind)
OBJECT_TYPES: tuple[str, ...] = typing.get_args(ObjectType)
FIELD_TYPES: tuple[str, ...] = typing.get_args(FieldType)
FIELD_TYPE_LABELS = {"multiselect": "multi-select", "url": "URL", "boolean": "yes/no"}
STAGE_COLUMNS = ("key", "name", "probability", "kind", "stall_after_days")
BLANK_STAGE_ROWS = 3


# ---- pipelines ---------------------------------------------------------------------------


def _pipelines_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    rate_values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    return page(
        request,
        "admin/pipelines.html",
        actor,
        session,
        "pipelines",
        failure=failure,
        pipelines=deal_pipelines.list_pipelines(session, actor),
        rates=deal_currency.list_exchange_rates(session, actor),
        org_currency=deal_currency.org_currency(),
        can_write=actor.can("settings:write"),
        values=values or {},
        rate_values=rate_values or {},
    )


@router.get("/pipelines", response_class=HTMLResponse)
def pipelines_page(request: Request, session: WebSession, actor: PipelinesActor) -> HTMLResponse:
    return _pipelines_page(request, session, actor)


@router.post("/pipelines/new", dependencies=CSRF)
def create_pipeline(
    request: Request, form: PostedForm, session: WebSession, actor: PipelinesActor
) -> Response:
    values = posted(form, "name", flags=("is_default",))
    pipeline = attempt(
        session,
        lambda: PipelineCreate.model_validate(values),
        lambda body: deal_pipelines.create_pipeline(session, actor, body)[0],
    )
    if isinstance(pipeline, Failure):
        return _pipelines_page(request, session, actor, values=values, failure=pipeline)
    return done(
        request,
        f"Pipeline {pipeline.name} created with the standard stages; adjust them here.",
        f"/admin/pipelines/{pipeline.id}",
    )


@router.post("/pipelines/rates", dependencies=CSRF)
def set_rate(
    request: Request, form: PostedForm, session: WebSession, actor: PipelinesActor
) -> Response:
    values = posted(form, "currency", "rate")
    rate = attempt(
        session,
        lambda: ExchangeRateIn.model_validate({"rate": values["rate"]}),
        lambda body: deal_currency.set_exchange_rate(
            session, actor, values["currency"] or "", body
        ),
    )
    if isinstance(rate, Failure):
        return _pipelines_page(request, session, actor, rate_values=values, failure=rate)
    return done(
        request, f"Exchange rate of {rate.currency} set; open deals revalued.", "/admin/pipelines"
    )


def _pipeline(
    session: Session, actor: Actor, pipeline_id: uuid.UUID
) -> tuple[Pipeline, list[PipelineStage]]:
    for pipeline, stages in deal_pipelines.list_pipelines(session, actor):
        if pipeline.id == pipeline_id:
            return pipeline, sorted(stages, key=lambda s: s.position)
    raise NotFound(f"pipeline {pipeline_id} not found")


def _stage_rows(stages: list[PipelineStage]) -> list[dict[str, Any]]:
    rows = [
        {
            "index": i,
            "position": i + 1,
            "existing": True,
            "removed": False,
            **{c: getattr(s, c) for c in STAGE_COLUMNS},
        }
        for i, s in enumerate(stages)
    ]
    return rows + _blank_rows(len(rows))


def _blank_rows(start: int) -> list[dict[str, Any]]:
    blank: dict[str, Any] = {c: None for c in STAGE_COLUMNS} | {"kind": "open"}
    return [
        {"index": start + i, "position": None, "existing": False, "removed": False, **blank}
        for i in range(BLANK_STAGE_ROWS)
    ]


def _pipeline_page(
    request: Request,
    session: Session,
    actor: Actor,
    pipeline_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    rows: list[dict[str, Any]] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    pipeline, stages = _pipeline(session, actor, pipeline_id)
    current = {"name": pipeline.name, "is_default": pipeline.is_default, "active": pipeline.active}
    return page(
        request,
        "admin/pipeline.html",
        actor,
        session,
        "pipelines",
        failure=failure,
        pipeline=pipeline,
        rows=rows if rows is not None else _stage_rows(stages),
        kinds=STAGE_KINDS,
        can_write=actor.can("settings:write"),
        values=current | (values or {}),
    )


@router.get("/pipelines/{pipeline_id}", response_class=HTMLResponse)
def pipeline_page(
    request: Request, pipeline_id: uuid.UUID, session: WebSession, actor: PipelinesActor
) -> HTMLResponse:
    return _pipeline_page(request, session, actor, pipeline_id)


@router.post("/pipelines/{pipeline_id}", dependencies=CSRF)
def update_pipeline(
    request: Request,
    form: PostedForm,
    pipeline_id: uuid.UUID,
    session: WebSession,
    actor: PipelinesActor,
) -> Response:
    values = posted(form, "name", flags=("is_default", "active"))
    pipeline = attempt(
        session,
        lambda: PipelineUpdate.model_validate(values),
        lambda body: deal_pipelines.update_pipeline(session, actor, pipeline_id, body)[0],
    )
    if isinstance(pipeline, Failure):
        return _pipeline_page(request, session, actor, pipeline_id, values=values, failure=pipeline)
    return done(request, f"Pipeline {pipeline.name} saved.", f"/admin/pipelines/{pipeline.id}")


def _posted_stage_rows(form: Any) -> list[dict[str, Any]]:
    """The rows as posted, with their index, position, and existing and removal marks."""
    marks = {"existing": "existing", "removed": "remove"}
    return posted_rows(form, ("position", *STAGE_COLUMNS), marks)


def _stages_from(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The stages to keep, ordered by position (then as posted), and the row index each
    came from; blank rows are skipped."""
    kept, origin = kept_rows(rows, ("key", "name"))
    stages = [{c: (row[c] if row[c] != "" else None) for c in STAGE_COLUMNS} for row in kept]
    return stages, origin


def _stage_errors(exc: Exception, origin: list[int]) -> dict[str, str]:
    """Errors of the stage list; a row's error is keyed ``stages.<row>.<column>``."""
    if isinstance(exc, ValidationError):
        out: dict[str, str] = {}
        for loc, message in validation_messages(exc):
            if len(loc) >= 3 and loc[0] == "stages" and isinstance(loc[1], int):
                row = origin[loc[1]] if loc[1] < len(origin) else loc[1]
                out.setdefault(f"stages.{row}.{loc[2]}", message)
            else:
                out.setdefault("stages", message)
        return out
    return {"stages": next(iter(field_errors(exc).values()), "invalid stages")}


@router.post("/pipelines/{pipeline_id}/stages", dependencies=CSRF)
def replace_stages(
    request: Request,
    form: PostedForm,
    pipeline_id: uuid.UUID,
    session: WebSession,
    actor: PipelinesActor,
) -> Response:
    rows = _posted_stage_rows(form)
    errors = {
        f"stages.{row['index']}.position": "a whole number"
        for row in rows
        if row["position"] and integer(row["position"]) is None
    }
    if errors:
        return _pipeline_page(
            request, session, actor, pipeline_id, rows=rows, failure=Failure(errors)
        )
    stages, origin = _stages_from(rows)
    pipeline = attempt(
        session,
        lambda: StagesReplace.model_validate({"stages": stages}),
        lambda body: deal_pipelines.replace_stages(session, actor, pipeline_id, body.stages)[0],
        errors=lambda exc: _stage_errors(exc, origin),
    )
    if isinstance(pipeline, Failure):
        return _pipeline_page(request, session, actor, pipeline_id, rows=rows, failure=pipeline)
    return done(request, f"Stages of {pipeline.name} saved.", f"/admin/pipelines/{pipeline.id}")


# ---- custom fields -----------------------------------------------------------------------


def _fields_page(
    request: Request,
    session: Session,
    actor: Actor,
    object_type: str,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    definitions = metadata.list_definitions(session, actor, object_type)
    return page(
        request,
        "admin/custom_fields.html",
        actor,
        session,
        "custom_fields",
        failure=failure,
        object_type=object_type,
        object_types=OBJECT_TYPES,
        object_type_options=[(t, t.capitalize()) for t in OBJECT_TYPES],
        field_type_options=[(t, FIELD_TYPE_LABELS.get(t, t)) for t in FIELD_TYPES],
        definitions=definitions,
        can_write=actor.can("custom_field:write"),
        can_create=actor.can("custom_field:create"),
        values=values or {"object_type": object_type, "field_type": "text", "position": 0},
    )


def _object_type(value: str | None) -> str:
    return value if value in OBJECT_TYPES else "lead"


@router.get("/custom-fields", response_class=HTMLResponse)
def fields_page(
    request: Request,
    session: WebSession,
    actor: FieldsActor,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _fields_page(request, session, actor, _object_type(object_type))


def _field_values(form: Any, *names: str) -> dict[str, Any]:
    """A definition's inputs: ``names``, then required, options (one a line), position."""
    values = posted(form, *names, flags=("required",))
    options = lines(text(form, "options"))
    return values | {"options": options, "position": text(form, "position") or 0}


@router.post("/custom-fields/new", dependencies=CSRF)
def create_field(
    request: Request, form: PostedForm, session: WebSession, actor: FieldsActor
) -> Response:
    values = _field_values(form, "object_type", "key", "label", "field_type")
    definition = attempt(
        session,
        lambda: CustomFieldCreate.model_validate(values),
        lambda body: metadata.create_definition(session, actor, body),
    )
    if isinstance(definition, Failure):
        object_type = _object_type(values["object_type"])
        return _fields_page(request, session, actor, object_type, values=values, failure=definition)
    return done(
        request,
        f"Field {definition.label} added to {definition.object_type}s.",
        f"/admin/custom-fields?object_type={definition.object_type}",
    )


def _field_page(
    request: Request,
    session: Session,
    actor: Actor,
    field_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    definition = metadata.get_definition(session, field_id)
    current = {
        "label": definition.label,
        "required": definition.required,
        "options": list(definition.options or []),
        "position": definition.position,
    }
    return page(
        request,
        "admin/custom_field.html",
        actor,
        session,
        "custom_fields",
        failure=failure,
        definition=definition,
        can_write=actor.can("custom_field:write"),
        values=current | (values or {}),
    )


@router.get("/custom-fields/{field_id}", response_class=HTMLResponse)
def field_page(
    request: Request, field_id: uuid.UUID, session: WebSession, actor: FieldsActor
) -> HTMLResponse:
    return _field_page(request, session, actor, field_id)


@router.post("/custom-fields/{field_id}", dependencies=CSRF)
def update_field(
    request: Request, form: PostedForm, field_id: uuid.UUID, session: WebSession, actor: FieldsActor
) -> Response:
    values = _field_values(form, "label")
    definition = attempt(
        session,
        # an empty label: "too short"
        lambda: CustomFieldUpdate.model_validate(values | {"label": values["label"] or ""}),
        lambda body: metadata.update_definition(session, actor, field_id, body),
    )
    if isinstance(definition, Failure):
        return _field_page(request, session, actor, field_id, values=values, failure=definition)
    return done(
        request,
        f"Field {definition.label} saved.",
        f"/admin/custom-fields?object_type={definition.object_type}",
    )


@router.post("/custom-fields/{field_id}/archive", dependencies=CSRF)
def archive_field(
    request: Request, form: PostedForm, field_id: uuid.UUID, session: WebSession, actor: FieldsActor
) -> Response:
    archived = flag(form, "archived")
    definition = metadata.update_definition(
        session, actor, field_id, CustomFieldUpdate(archived=archived)
    )
    word = "archived" if archived else "restored"
    return done(
        request,
        f"Field {definition.label} {word}.",
        f"/admin/custom-fields?object_type={definition.object_type}",
    )
