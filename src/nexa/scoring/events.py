"""The lead model events scoring publishes."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class LeadModelTrained(EventPayload):
    version: int
    auc: float | None
    brier: float | None


@dataclass(frozen=True, kw_only=True)
class LeadModelActivated(EventPayload):
    version: int


declare(
    "lead.model_trained",
    payload=LeadModelTrained,
    permission="settings:read",
    description="A lead model was trained",
)
declare(
    "lead.model_activated",
    payload=LeadModelActivated,
    permission="settings:read",
    description="A lead model version became the active one (a rollback or a new model)",
)
