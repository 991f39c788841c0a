"""Imports and exports: valid requests for the matrix (a lead dry run, an import of the
acting person's own, a lead export)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.permissions.subjects import Request, Subject


def _own_import(db: Any, owner_id: Any) -> Any:
    from nexa.models import DataImport

    data_import = DataImport(
        id=uuid.uuid4(),
        owner_id=owner_id,
        object_type="lead",
        filename="matrix.csv",
        stored_path="/nonexistent/matrix.csv",
        file_sha256="0" * 64,
        mapping={"columns": {}, "dry_run": True},
        on_duplicate="skip",
        create_fuzzy=False,
        batch_size=500,
        status="completed",
        rows_total=0,
        rows_done=0,
    )
    db.add(data_import)
    db.flush()
    return data_import


def _request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/imports" and route.method == "POST":
        tag = uuid.uuid4().hex[:8]
        body = {
            "object_type": "lead",
            "filename": "leads.csv",
            "content": f"first_name,last_name,email\nMat,Rix {tag},m.{tag}@example.com\n",
            "dry_run": True,
        }
        return route.path, body, None
    if route.path.startswith("/api/v1/imports/{}"):
        data_import = _own_import(db, cast.actor.id)
        return route.path.replace("{}", str(data_import.id)), None, None
    if route.path == "/api/v1/exports/{}":
        return "/api/v1/exports/lead", None, {"format": "csv"}
    return None


SUBJECTS = [Subject("data_import", _own_import, other_request=_request)]
