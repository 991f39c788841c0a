"""Imports and exports over HTTP.

POST /imports takes the file as multipart form data (file, object_type, mapping as JSON,
on_duplicate, create_fuzzy, dry_run, batch_size, new_fields, historical) or as JSON
(``ImportRequest``: the CSV text or base64 bytes). Dry runs answer with the report at once;
real imports of up to ``SYNC_ROWS`` rows run inside the request, larger ones as a background
job (poll GET /imports/{id}). GET /exports/{object_type} returns the filtered list as CSV or XLSX.
"""

import base64
import binascii
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

import nexa.imports.jobs  # noqa: F401  (registers the import job's dispatcher)
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS
from nexa.api.scopes import needs
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.core.jsonbody import too_deep
from nexa.imports import export as exporting
from nexa.imports import service
from nexa.imports.adapters import OBJECT_TYPES
from nexa.imports.schemas import (
    ImportCounts,
    ImportIssueOut,
    ImportIssuePage,
    ImportOut,
    ImportRequest,
    NewFieldOut,
)
from nexa.models import DataImport

router = APIRouter(tags=["imports"], responses=PROBLEMS)
# which object an import is of is in its body (or its row): the key needs the import scope
# of one object here, and the service checks the import's own against the key's grants
IMPORT_SCOPES = "|".join(f"{o}:import" for o in OBJECT_TYPES)

MAX_JSON_BYTES = 70 * 1024 * 1024
FORM_FIELDS = (
    "object_type",
    "mapping",
    "on_duplicate",
    "create_fuzzy",
    "dry_run",
    "batch_size",
    "new_fields",
    "historical",
)


@dataclass
class Upload:
    options: ImportRequest
    source: IO[bytes]


def _invalid(exc: ValidationError) -> ValidationFailed:
    errors = [
        {
            "field": ".".join(str(p) for p in e["loc"]) or "body",
            "message": e["msg"].removeprefix("Value error, "),
        }
        for e in exc.errors()
    ]
    return ValidationFailed(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)


async def read_upload(request: Request) -> Upload:
    """The upload, parsed before the (sync) endpoint runs; no database work here."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=len(FORM_FIELDS) + 1)
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise ValidationFailed("send the file as the form field 'file'", field="file")
        raw: dict[str, Any] = {"filename": file.filename or "upload.csv", "content": ""}
        for name in FORM_FIELDS:
            value = form.get(name)
            if isinstance(value, str) and value != "":
                raw[name] = value
        if "mapping" in raw:
            if too_deep(raw["mapping"]):
                raise ValidationFailed("mapping is nested too deep", field="mapping")
            try:
                raw["mapping"] = json.loads(raw["mapping"])
            except ValueError:
                raise ValidationFailed(
                    'mapping must be JSON: {"Column header": "field"}', field="mapping"
                ) from None
        try:
            options = ImportRequest.model_validate(raw)
        except ValidationError as exc:
            raise _invalid(exc) from None
        return Upload(options, file.file)
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_JSON_BYTES:
        raise ValidationFailed("the file is larger than 50 MB", field="file")
    try:
        body = await request.json()
        options = ImportRequest.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("send multipart form data or a JSON body", field="body") from None
    if options.content_base64 is not None:
        try:
            data = base64.b64decode(options.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("content_base64 is not base64", field="content_base64") from None
    elif options.content is not None:
        data = options.content.encode("utf-8")
    else:
        raise ValidationFailed("send content (CSV text) or content_base64", field="content")
    return Upload(options, io.BytesIO(data))


UploadDep = Annotated[Upload, Depends(read_upload)]

_form_schema = {
    "type": "object",
    "required": ["file", "object_type"],
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "object_type": {"type": "string", "enum": ["lead", "contact", "account", "deal"]},
        "mapping": {"type": "string", "description": 'JSON: {"Column header": "field"}'},
        "on_duplicate": {"type": "string", "enum": ["skip", "update"]},
        "create_fuzzy": {"type": "boolean"},
        "dry_run": {"type": "boolean"},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 5000},
        "new_fields": {
            "type": "boolean",
            "description": "Unknown columns become typed custom fields (admins)",
        },
        "historical": {
            "type": "boolean",
            "description": "Admins. Leads: created_at, converted_at, status_changed_at, "
            "converted/lost statuses. Deals: created_at, stage_entered_at, closed_at, "
            "stage_history (stage@date;stage@date…)",
        },
    },
}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _form_schema},
            "application/json": {"schema": ImportRequest.model_json_schema()},
        },
    }
}


def to_out(session: Any, data_import: DataImport, *, issues: int = 0) -> ImportOut:
    listed = None
    if issues:
        rows, _ = service.list_issues_unchecked(session, data_import.id, limit=issues)
        listed = [ImportIssueOut.model_validate(r) for r in rows]
    return ImportOut(
        id=data_import.id,
        object_type=data_import.object_type,
        filename=data_import.filename,
        status=data_import.status,
        dry_run=service.is_dry_run(data_import),
        on_duplicate=data_import.on_duplicate,
        create_fuzzy=data_import.create_fuzzy,
        mapping=service.columns_of(data_import),
        batch_size=data_import.batch_size,
        rows_total=data_import.rows_total,
        rows_done=data_import.rows_done,
        counts=ImportCounts(**service.summary(data_import)),
        error=data_import.error,
        owner_id=data_import.owner_id,
        created_at=data_import.created_at,
        started_at=data_import.started_at,
        finished_at=data_import.finished_at,
        file_removed_at=data_import.file_removed_at,
        issues=listed,
        new_fields=service.has_new_fields(data_import),
        historical=service.is_historical(data_import),
        fields=(
            [NewFieldOut.model_validate(f) for f in service.fields_planned(data_import)]
            if service.has_new_fields(data_import)
            else None
        ),
    )


@router.post(
    "/imports",
    response_model=ImportOut,
    status_code=201,
    summary="Import a CSV or XLSX file (or dry-run it)",
    openapi_extra={**IMPORT_BODY, **needs(IMPORT_SCOPES)},
    responses={202: {"model": ImportOut, "description": "Queued as a background job"}},
)
def create_import(
    session: SessionDep,
    actor: ActorDep,
    upload: UploadDep,  # the key and its scopes first
) -> JSONResponse:
    o = upload.options
    data_import, queued = service.submit_import(
        session,
        actor,
        object_type=o.object_type,
        filename=o.filename,
        source=upload.source,
        mapping=o.mapping,
        on_duplicate=o.on_duplicate,
        create_fuzzy=o.create_fuzzy,
        dry_run=o.dry_run,
        batch_size=o.batch_size,
        new_fields=o.new_fields,
        historical=o.historical,
    )
    out = to_out(session, data_import, issues=100 if service.is_dry_run(data_import) else 0)
    return JSONResponse(out.model_dump(mode="json"), status_code=202 if queued else 201)


@router.get(
    "/imports/{import_id}",
    response_model=ImportOut,
    summary="An import's progress",
    openapi_extra=needs(IMPORT_SCOPES),
)
def get_import(import_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> ImportOut:
    return to_out(session, service.get_import(session, actor, import_id))


@router.get(
    "/imports/{import_id}/issues",
    response_model=ImportIssuePage,
    summary="An import's invalid, duplicate and fuzzy rows, by row number",
    openapi_extra=needs(IMPORT_SCOPES),
)
def list_import_issues(
    import_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1, description="Row number to start after")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    kind: Annotated[Literal["invalid", "duplicate", "fuzzy"] | None, Query()] = None,
) -> ImportIssuePage:
    rows, next_after = service.list_issues(
        session, actor, import_id, after=after, limit=limit, kind=kind
    )
    return ImportIssuePage(
        items=[ImportIssueOut.model_validate(r) for r in rows], next_after=next_after
    )


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _spooled_bytes(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(256 * 1024):
            yield chunk
    finally:
        spool.close()


@router.get(
    "/exports/{object_type}",
    summary="Export a filtered list as CSV or XLSX",
    response_class=StreamingResponse,
    responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}}},
    openapi_extra=needs("{object_type}:export"),
)
def export_records(
    object_type: Literal["lead", "contact", "account", "deal"],
    session: SessionDep,
    actor: ActorDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    filter: Annotated[
        list[str] | None,
        Query(description="field:operator:value, repeatable (the list language)", max_length=500),
    ] = None,
    sort: Annotated[str | None, Query(description="field or -field", max_length=80)] = None,
    fields: Annotated[
        str | None, Query(description="comma-separated columns to export", max_length=2000)
    ] = None,
) -> StreamingResponse:
    query = ListQuery(
        filters=filter or [],
        sort=sort,
        fields=[f.strip() for f in fields.split(",") if f.strip()] if fields else None,
    )
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    try:
        exporting.export_to(session, actor, object_type, query, format, spool)
    except BaseException:
        spool.close()
        raise
    filename = f"{object_type}s.{format}"
    return StreamingResponse(
        _spooled_bytes(spool),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
