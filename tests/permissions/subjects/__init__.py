"""How the permission matrix makes a record of each object and a valid request for each
operation. One module per domain defines ``SUBJECTS`` (a list of ``Subject``); the matrix
loads them all. Expectations never come from here: they come from role_table.csv."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# (path, json body, query params) for one request
Request = tuple[str, dict[str, Any] | None, dict[str, Any] | None]


@dataclass
class Subject:
    object: str
    # make(db, owner_id) -> a committed-able record owned by owner_id (or unowned)
    make: Callable[[Any, Any], Any]
    update_body: dict[str, Any] = field(default_factory=dict)
    # create_body(db, cast) -> the JSON body of POST /<objects> (a valid one)
    create_body: Callable[[Any, Any], dict[str, Any]] | None = None
    # record_request(route, db, record, cast) -> Request, for record routes that need more
    # than the id in the path (a body, a query); None = the generic request
    record_request: Callable[[Any, Any, Any, Any], Request | None] | None = None
    # other_request(route, db, cast) -> Request, for non-record routes of this domain
    other_request: Callable[[Any, Any, Any], Request | None] | None = None
    # whether the list endpoint shows exactly the readable records (owned objects)
    list_path: str | None = None
    reassignable: bool = False
    # files(route, db, record, cast) -> multipart files for uploads; None = a JSON request
    files: Callable[[Any, Any, Any, Any], dict[str, Any] | None] | None = None


def load() -> dict[str, Subject]:
    subjects: dict[str, Subject] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for subject in getattr(module, "SUBJECTS", []):
            subjects[subject.object] = subject
    return subjects
