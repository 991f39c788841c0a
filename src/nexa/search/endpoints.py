"""/api/v1/search: global search over leads, contacts, accounts and deals.

No ``from __future__ import annotations``: FastAPI reads the parameter types from them.
"""

from typing import Annotated

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS
from nexa.api.scopes import needs
from nexa.search import service
from nexa.search.schemas import SearchHitOut, SearchResults

router = APIRouter(prefix="/search", tags=["search"], responses=PROBLEMS)


@router.get(
    "",
    response_model=SearchResults,
    summary="Search leads, contacts, accounts, deals",
    openapi_extra=needs("search:read"),
)
def search(
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[str, Query(max_length=200, description="words to look for")] = "",
    types: Annotated[
        str | None,
        Query(max_length=100, description="comma-separated: lead,contact,account,deal"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchResults:
    hits = service.search(session, actor, q, types=types, limit=limit)
    return SearchResults(items=[SearchHitOut.model_validate(h) for h in hits])
