"""The search API's request and answer shapes."""

from __future__ import annotations

import uuid

from nexa.core.schemas import OutputModel


class SearchHitOut(OutputModel):
    record_type: str
    id: uuid.UUID
    title: str
    subtitle: str | None = None
    score: float


class SearchResults(OutputModel):
    items: list[SearchHitOut]
