"""Pipelines and their ordered stages (admins change them)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, NotFound, ValidationFailed
from nexa.core.records import apply_changes
from nexa.core.text import text_key
from nexa.deal.currency import require_settings_writer
from nexa.deal.repository import DealRepository
from nexa.deal.schemas import PipelineCreate, PipelineUpdate, StageIn
from nexa.models import Pipeline, PipelineStage
from nexa.models.deal import DEFAULT_STAGES


def list_pipelines(session: Session, actor: Actor) -> list[tuple[Pipeline, list[PipelineStage]]]:
    repo = DealRepository(session)
    pipelines = repo.pipelines()
    stages = repo.stages_of([p.id for p in pipelines])
    return [(p, stages[p.id]) for p in pipelines]


def _check_stages(stages: list[StageIn]) -> None:
    keys = [s.key for s in stages]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("stage keys must be unique", field="stages")
    kinds = [s.kind for s in stages]
    if kinds.count("won") != 1 or kinds.count("lost") != 1:
        raise ValidationFailed("a pipeline has exactly one won and one lost stage", field="stages")
    if "open" not in kinds:
        raise ValidationFailed("a pipeline needs at least one open stage", field="stages")


def _default_stages() -> list[StageIn]:
    return [
        StageIn(key=key, name=name, probability=prob, kind=kind)
        for key, name, prob, kind in DEFAULT_STAGES
    ]


def _get_pipeline(session: Session, pipeline_id: uuid.UUID) -> Pipeline:
    pipeline = session.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise NotFound(f"pipeline {pipeline_id} not found")
    return pipeline


def _name_taken(session: Session, name: str, exclude: uuid.UUID | None) -> bool:
    key = text_key(name)
    return any(
        text_key(p.name) == key and p.id != exclude for p in DealRepository(session).pipelines()
    )


def create_pipeline(
    session: Session, actor: Actor, data: PipelineCreate
) -> tuple[Pipeline, list[PipelineStage]]:
    require_settings_writer(actor, "pipelines")
    repo = DealRepository(session)
    if _name_taken(session, data.name, None):
        raise Conflict(f"a pipeline named '{data.name}' already exists", field="name")
    stages = data.stages or _default_stages()
    _check_stages(stages)
    position = max((p.position for p in repo.pipelines()), default=-1) + 1
    pipeline = Pipeline(
        id=uuid.uuid4(), name=data.name, is_default=data.is_default, position=position
    )
    session.add(pipeline)
    session.flush()
    rows = [
        PipelineStage(
            id=uuid.uuid4(),
            pipeline_id=pipeline.id,
            position=i,
            **s.model_dump(),
        )
        for i, s in enumerate(stages)
    ]
    session.add_all(rows)
    session.flush()
    if data.is_default:
        repo.clear_other_defaults(pipeline.id)
    return pipeline, rows


def update_pipeline(
    session: Session, actor: Actor, pipeline_id: uuid.UUID, data: PipelineUpdate
) -> tuple[Pipeline, list[PipelineStage]]:
    require_settings_writer(actor, "pipelines")
    repo = DealRepository(session)
    pipeline = _get_pipeline(session, pipeline_id)
    values = data.model_dump(exclude_unset=True)
    for key in ("name", "is_default", "active"):
        if key in values and values[key] is None:
            raise ValidationFailed(f"{key} cannot be empty", field=key)
    if "name" in values and _name_taken(session, values["name"], pipeline.id):
        raise Conflict(f"a pipeline named '{values['name']}' already exists", field="name")
    is_default = values.get("is_default", pipeline.is_default)
    active = values.get("active", pipeline.active)
    if is_default and not active:
        raise ValidationFailed("the default pipeline cannot be inactive", field="active")
    if pipeline.is_default and values.get("is_default") is False:
        raise ValidationFailed("make another pipeline the default instead", field="is_default")
    apply_changes(pipeline, values)
    session.flush()
    if pipeline.is_default:
        repo.clear_other_defaults(pipeline.id)
    return pipeline, repo.stages_of([pipeline.id])[pipeline.id]


def replace_stages(
    session: Session, actor: Actor, pipeline_id: uuid.UUID, stages: list[StageIn]
) -> tuple[Pipeline, list[PipelineStage]]:
    """Replace the ordered stage list. Stages are matched by key (their ids, and so the deals
    in them, are kept); removing a stage that deals sit in answers 409."""
    require_settings_writer(actor, "pipelines")
    repo = DealRepository(session)
    pipeline = _get_pipeline(session, pipeline_id)
    _check_stages(stages)
    current = {s.key: s for s in repo.stages_of([pipeline.id])[pipeline.id]}
    wanted = {s.key for s in stages}
    removed = [s for key, s in current.items() if key not in wanted]
    in_use = repo.stages_in_use([s.id for s in removed])
    if in_use:
        names = ", ".join(s.key for s in removed if s.id in in_use)
        raise Conflict(f"deals are in stage(s) {names}; move them first", field="stages")
    for stage in stages:
        existing = current.get(stage.key)
        if (
            existing is not None
            and existing.kind != stage.kind
            and repo.stages_in_use([existing.id])
        ):
            raise Conflict(
                f"deals are in stage {stage.key}; its kind cannot change", field="stages"
            )
    for old in removed:
        session.delete(old)
    session.flush()
    # positions are not unique in the schema; set them in order
    result = []
    for i, stage in enumerate(stages):
        existing = current.get(stage.key)
        if existing is None:
            existing = PipelineStage(id=uuid.uuid4(), pipeline_id=pipeline.id, key=stage.key)
            session.add(existing)
        existing.name = stage.name
        existing.position = i
        existing.probability = stage.probability
        existing.kind = stage.kind
        existing.stall_after_days = stage.stall_after_days
        result.append(existing)
    pipeline.updated_at = utcnow()
    session.flush()
    return pipeline, result
