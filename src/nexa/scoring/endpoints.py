"""/api/v1/scoring (models, model cards, rollback, the scorecard) and /api/v1/leads/{id}/score.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS
from nexa.api.scopes import needs
from nexa.core.errors import PermissionDenied
from nexa.scoring import service
from nexa.scoring.schemas import (
    LeadScoreOut,
    ModelOut,
    RescoreOut,
    ScorecardOut,
    ScorecardUpdate,
    TrainingStatusOut,
)

router = APIRouter(responses=PROBLEMS, tags=["scoring"])
# a model version as a path parameter: a 40-digit one is a 422, not an overflow in SQL
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/leads/{lead_id}/score", response_model=LeadScoreOut, openapi_extra=needs("lead:read"))
def lead_score(lead_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> LeadScoreOut:
    """The lead's score with its model version, time and factors in words (explained now if
    the score moved since it was last explained), and its recent score changes."""
    return LeadScoreOut.model_validate(service.explanation(session, actor, lead_id))


@router.get(
    "/scoring/status", response_model=TrainingStatusOut, openapi_extra=needs("settings:read")
)
def training_status(session: SessionDep, actor: ActorDep) -> TrainingStatusOut:
    """How far the organization is from a learned model, and what scores leads now."""
    return TrainingStatusOut.model_validate(service.training_status(session, actor))


@router.get("/scoring/models", response_model=list[ModelOut], openapi_extra=needs("settings:read"))
def list_models(session: SessionDep, actor: ActorDep) -> list[ModelOut]:
    return [ModelOut.model_validate(m) for m in service.list_models(session, actor)]


@router.post(
    "/scoring/models",
    response_model=ModelOut,
    status_code=201,
    openapi_extra=needs("settings:write"),
)
def train_model(session: SessionDep, actor: ActorDep) -> ModelOut:
    """Train a new version on the closed leads (409 with how far you are when too few); it
    becomes the active one and every lead is rescored."""
    return ModelOut.model_validate(service.train_lead_model(session, actor))


@router.get(
    "/scoring/models/{version}", response_model=ModelOut, openapi_extra=needs("settings:read")
)
def get_model(version: Version, session: SessionDep, actor: ActorDep) -> ModelOut:
    """A model card: data used, held-out AUC, Brier score, reliability table, top features."""
    return ModelOut.model_validate(service.get_model(session, actor, version))


@router.post(
    "/scoring/models/{version}/activate",
    response_model=ModelOut,
    openapi_extra=needs("settings:read", "settings:write"),
)
def activate_model(version: Version, session: SessionDep, actor: ActorDep) -> ModelOut:
    """Make this version the one that scores (a rollback); every lead is rescored."""
    return ModelOut.model_validate(service.activate_model(session, actor, version))


@router.get("/scoring/scorecard", response_model=ScorecardOut, openapi_extra=needs("settings:read"))
def get_scorecard(session: SessionDep, actor: ActorDep) -> ScorecardOut:
    return ScorecardOut.model_validate(service.get_scorecard(session, actor))


@router.put(
    "/scoring/scorecard",
    response_model=ScorecardOut,
    openapi_extra=needs("settings:read", "settings:write"),
)
def update_scorecard(body: ScorecardUpdate, session: SessionDep, actor: ActorDep) -> ScorecardOut:
    """Change scorecard weights (merged over the current ones)."""
    return ScorecardOut.model_validate(service.update_scorecard(session, actor, body.weights))


@router.post(
    "/scoring/scorecard/activate",
    response_model=ScorecardOut,
    openapi_extra=needs("settings:read", "settings:write"),
)
def use_scorecard(session: SessionDep, actor: ActorDep) -> ScorecardOut:
    """Stop using learned models: the scorecard scores every lead again."""
    service.use_scorecard(session, actor)
    return ScorecardOut.model_validate(service.get_scorecard(session, actor))


@router.post("/scoring/rescore", response_model=RescoreOut, openapi_extra=needs("settings:write"))
def rescore(session: SessionDep, actor: ActorDep) -> RescoreOut:
    """Rescore every live lead now (the nightly job does the same)."""
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins can rescore every lead")
    return RescoreOut.model_validate(service.score_leads(session, None, reason="rescore"))
