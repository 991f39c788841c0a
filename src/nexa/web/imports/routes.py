"""The import pages: upload a CSV or XLSX file, map its columns to fields, dry-run or import
it, follow its progress and read its issues.

1. ``/imports`` — the upload form and the recent imports.
2. ``POST /imports/upload`` keeps the file aside (under the var directory, named after the
   uploader and a random token) and reads its header with the import service's own readers.
3. ``/imports/map/{token}`` — a field for every column, pre-filled where the header names a
   field; options; "Dry run" or "Import" hand the file to ``service.submit_import`` exactly
   as POST /api/v1/imports does (dry runs and small files run in the request, larger files
   as the ``import.run`` background job).
4. ``/imports/{id}`` — status, counts, progress (polled every 2 s while the job runs) and the
   issues by row (``service.list_issues``); a dry run can be run for real from there.

Permissions are the service's: ``<object>:import`` (admins, managers; marketers for leads
and contacts), and an import is seen by whoever started it and by admins.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

import nexa.imports.jobs  # noqa: F401  (registers the import job, as the API does)
from nexa.core.actor import Actor
from nexa.core.errors import NotFound, PermissionDenied, ValidationFailed
from nexa.core.files import open_private, private_dir, write_private_text
from nexa.imports import readers, service
from nexa.imports.adapters import EXPLICIT_ONLY, OBJECT_TYPES, adapter_for
from nexa.imports.rows import normalise_header
from nexa.metadata import service as metadata
from nexa.models import DataImport
from nexa.web import references
from nexa.web.csrf import verify_csrf
from nexa.web.pages import WebActor, WebSession, humanise, is_htmx, render

router = APIRouter(prefix="/imports")
CSRF = [Depends(verify_csrf)]
TOKEN = re.compile(r"^[0-9a-f]{32}$")
PENDING_HOURS = service.PENDING_HOURS
RECENT = 20
SAMPLES = 3
ISSUE_PAGE = 200
ISSUE_KINDS = ("invalid", "duplicate", "fuzzy")
RUNNING = ("pending", "running")
LABELS = {"lead": "Leads", "contact": "Contacts", "account": "Accounts", "deal": "Deals"}
PATHS = {"lead": "leads", "contact": "contacts", "account": "accounts", "deal": "deals"}


# ---- who may import what --------------------------------------------------------------------


def importable(actor: Actor) -> list[str]:
    """The object types ``actor`` holds ``<object>:import`` for (the service's permission)."""
    return [t for t in OBJECT_TYPES if actor.can(f"{t}:import")]


def require_some(actor: Actor) -> list[str]:
    types = importable(actor)
    if not types:
        raise PermissionDenied("you may not import records")
    return types


# ---- the uploaded file, kept aside until it is mapped ------------------------------------------


@dataclass
class Pending:
    token: str
    object_type: str
    filename: str
    fmt: str
    path: Path
    meta: Path


def _pending_dir() -> Path:
    return service.imports_dir() / service.UPLOADS_DIR


def _pending(actor: Actor, token: str, fmt: str = "") -> tuple[Path, Path]:
    base = _pending_dir() / f"{actor.user_id}-{token}"
    return base.with_suffix(f".{fmt}") if fmt else base, base.with_suffix(".json")


def _sweep(folder: Path) -> None:
    """Forget uploads nobody mapped within a day."""
    limit = time.time() - PENDING_HOURS * 3600
    for old in folder.glob("*-*.*"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink(missing_ok=True)
        except OSError:
            continue


def store_upload(actor: Actor, object_type: str, filename: str, source: IO[bytes]) -> Pending:
    fmt = readers.format_of(filename)
    folder = private_dir(_pending_dir())
    _sweep(folder)
    token = secrets.token_hex(16)
    path, meta = _pending(actor, token, fmt)
    size = 0
    try:
        with open_private(path, exclusive=True) as out:
            while chunk := source.read(1024 * 1024):
                size += len(chunk)
                if size > service.MAX_BYTES:
                    raise ValidationFailed("the file is larger than 50 MB", field="file")
                out.write(chunk)
        if size == 0:
            raise ValidationFailed("the file is empty", field="file")
        readers.read_header(path, fmt)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    name = Path(filename).name[:300] or f"import.{fmt}"
    write_private_text(meta, json.dumps({"object_type": object_type, "filename": name, "fmt": fmt}))
    return Pending(token, object_type, name, fmt, path, meta)


def load_pending(actor: Actor, token: str) -> Pending:
    if not TOKEN.match(token):
        raise NotFound("no such upload")
    _, meta = _pending(actor, token)
    try:
        info = json.loads(meta.read_text())
    except (OSError, ValueError):
        raise NotFound(
            "this upload is gone (uploads are kept a day); upload the file again"
        ) from None
    path, _ = _pending(actor, token, str(info["fmt"]))
    if not path.exists():
        raise NotFound("this upload is gone (uploads are kept a day); upload the file again")
    return Pending(
        token, str(info["object_type"]), str(info["filename"]), str(info["fmt"]), path, meta
    )


def drop_pending(pending: Pending) -> None:
    pending.path.unlink(missing_ok=True)
    pending.meta.unlink(missing_ok=True)


# ---- mapping ---------------------------------------------------------------------------------


def _label(target: str) -> str:
    name, _, sub = target.partition(".")
    return f"{humanise(name)} · {sub.replace('_', ' ')}" if sub else humanise(name)


NAME_FIELDS = ("first_name", "last_name", "name", "email")


def target_choices(session: Session, object_type: str) -> list[tuple[str, str]]:
    """(field, label) of every importable field of the object, custom fields included:
    names and email first, then the schema's order; references are ids."""
    adapter = adapter_for(object_type)
    required = {n for n, f in adapter.create_model.model_fields.items() if f.is_required()}
    names = sorted(adapter.standard_fields(), key=lambda n: n not in NAME_FIELDS)
    choices = []
    for name in names:
        label = _label(name)
        notes = [
            n for n, on in (("id", name.endswith("_id")), ("required", name in required)) if on
        ]
        choices.append((name, label + (f" ({', '.join(notes)})" if notes else "")))
    for d in metadata.definitions(session, object_type):
        note = "custom, required" if d.required else "custom"
        choices.append((f"custom.{d.key}", f"{d.label} ({note})"))
    return choices


def _key(text: str) -> str:
    return normalise_header(text).replace("_", "")


def suggested(header: list[str], choices: list[tuple[str, str]]) -> list[str]:
    """A target per column where the header names a field (as the import reads headers
    without a mapping: case, spaces, dashes and underscores aside), or a custom field by key
    or label; each field once. Owner columns are never guessed (rows belong to the importer
    unless the owner is mapped on purpose)."""
    by_name: dict[str, str] = {}
    for target, _ in choices:
        by_name.setdefault(_key(target), target)
    for target, label in choices:
        if target.startswith("custom."):
            by_name.setdefault(_key(target.removeprefix("custom.")), target)
            by_name.setdefault(_key(label.rsplit(" (custom", 1)[0]), target)
    used: set[str] = set()
    out = []
    for name in header:
        found = by_name.get(_key(name)) if name else None
        if found is None or found in EXPLICIT_ONLY or found in used:
            out.append("")
            continue
        used.add(found)
        out.append(found)
    return out


def samples(pending: Pending) -> list[list[str]]:
    rows = readers.data_rows(pending.path, pending.fmt)
    return [cells for _, cells in islice(rows, SAMPLES)]


def mapping_context(
    session: Session,
    pending: Pending,
    *,
    chosen: list[str] | None = None,
    on_duplicate: str = "skip",
    create_fuzzy: bool = False,
    error: str | None = None,
) -> dict[str, Any]:
    header = readers.read_header(pending.path, pending.fmt)
    choices = target_choices(session, pending.object_type)
    guessed = suggested(header, choices)
    rows = samples(pending)
    columns: list[dict[str, Any]] = []
    for i, name in enumerate(header):
        if not name:
            continue
        target = chosen[len(columns)] if chosen is not None and len(columns) < len(chosen) else ""
        columns.append(
            {
                "index": i,
                "header": name,
                "target": target if chosen is not None else guessed[i],
                "samples": [r[i] for r in rows if i < len(r) and r[i].strip()],
            }
        )
    adapter = adapter_for(pending.object_type)
    return {
        "pending": pending,
        "label": LABELS[pending.object_type],
        "twin_field": adapter.twin_field,
        "has_fuzzy": adapter.fuzzy_key is not None,
        "columns": columns,
        "choices": choices,
        "on_duplicate": on_duplicate,
        "create_fuzzy": create_fuzzy,
        "error": error,
    }


# ---- reading imports ---------------------------------------------------------------------------


def recent_imports(session: Session, actor: Actor, types: list[str]) -> list[DataImport]:
    return service.recent_imports(session, actor, types, limit=RECENT)


def _int(value: str | None) -> int:
    try:
        return max(0, min(int(value or 0), 2**31 - 1))
    except ValueError:
        return 0


def import_context(
    request: Request, session: Session, actor: Actor, import_id: uuid.UUID
) -> dict[str, Any]:
    data_import = service.get_import(session, actor, import_id)
    params = request.query_params
    kind = params.get("kind") if params.get("kind") in ISSUE_KINDS else None
    after = _int(params.get("after"))
    issues, next_after = service.list_issues(
        session, actor, import_id, after=after, limit=ISSUE_PAGE, kind=kind
    )
    upload = params.get("upload") or ""
    can_remap = False
    if upload:
        try:
            load_pending(actor, upload)
            can_remap = True
        except NotFound:
            upload = ""
    keep = {"upload": upload} if can_remap else {}

    def issues_link(kind: str = "", after: int = 0) -> str:
        params = {"kind": kind, "after": str(after) if after else "", **keep}
        query = urlencode({k: v for k, v in params.items() if v})
        return f"/imports/{import_id}" + (f"?{query}" if query else "") + "#issues"

    return {
        "issues_link": issues_link,
        "imp": data_import,
        "label": LABELS.get(data_import.object_type, data_import.object_type),
        "path": PATHS.get(data_import.object_type, ""),
        "dry_run": service.is_dry_run(data_import),
        "counts": service.summary(data_import),
        "mapping": service.columns_of(data_import),
        "running": data_import.status in RUNNING,
        "issues": issues,
        "next_after": next_after,
        "after": after,
        "kind": kind or "",
        "upload": upload if can_remap else "",
        "file_kept": Path(data_import.stored_path).exists(),
    }


# ---- pages -------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def imports_page(
    request: Request,
    session: WebSession,
    actor: WebActor,
    object_type: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    types = require_some(actor)
    recent = recent_imports(session, actor, types)
    owners = references.resolve(
        session, actor, [{"owner_id": i.owner_id} for i in recent], ["owner_id"]
    )
    return render(
        request,
        "imports/index.html",
        actor,
        session,
        types=types,
        labels=LABELS,
        selected=object_type if object_type in types else types[0],
        recent=recent,
        owners=owners,
        error=None,
        dry_runs={i.id for i in recent if service.is_dry_run(i)},
    )


@router.post("/upload", dependencies=CSRF)
def upload(
    request: Request,
    session: WebSession,
    actor: WebActor,
    object_type: Annotated[str, Form(max_length=20)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if object_type not in OBJECT_TYPES:
        raise ValidationFailed("choose leads, contacts, accounts or deals", field="object_type")
    service.require_permission(actor, object_type, "import")
    try:
        if file is None:
            raise ValidationFailed("choose a CSV or XLSX file", field="file")
        pending = store_upload(actor, object_type, file.filename or "", file.file)
    except ValidationFailed as exc:
        types = require_some(actor)
        recent = recent_imports(session, actor, types)
        owners = references.resolve(
            session, actor, [{"owner_id": i.owner_id} for i in recent], ["owner_id"]
        )
        return render(
            request,
            "imports/index.html",
            actor,
            session,
            status_code=exc.status,
            types=types,
            labels=LABELS,
            selected=object_type,
            recent=recent,
            owners=owners,
            error=exc.detail,
            dry_runs={i.id for i in recent if service.is_dry_run(i)},
        )
    return RedirectResponse(f"/imports/map/{pending.token}", status_code=303)


@router.get("/map/{token}", response_class=HTMLResponse)
def mapping_page(
    request: Request,
    token: str,
    session: WebSession,
    actor: WebActor,
    from_import: Annotated[uuid.UUID | None, Query(alias="from")] = None,
) -> HTMLResponse:
    pending = load_pending(actor, token)
    service.require_permission(actor, pending.object_type, "import")
    ctx = mapping_context(session, pending)
    if from_import is not None:  # back from a dry run: its choices again
        earlier = service.get_import(session, actor, from_import)
        columns = service.columns_of(earlier)
        for column in ctx["columns"]:
            column["target"] = columns.get(column["header"], column["target"])
        ctx["on_duplicate"] = earlier.on_duplicate
        ctx["create_fuzzy"] = earlier.create_fuzzy
    return render(request, "imports/map.html", actor, session, **ctx)


@router.post("/map/{token}", dependencies=CSRF)
def start(
    request: Request,
    token: str,
    session: WebSession,
    actor: WebActor,
    target: Annotated[list[str], Form()] = [],  # noqa: B006
    on_duplicate: Annotated[str, Form(max_length=10)] = "skip",
    create_fuzzy: Annotated[str, Form(max_length=10)] = "false",
    action: Annotated[str, Form(max_length=20)] = "dry_run",
) -> Response:
    pending = load_pending(actor, token)
    header = [h for h in readers.read_header(pending.path, pending.fmt) if h]
    fuzzy = create_fuzzy in ("true", "on", "1", "yes")
    dry_run = action != "import"
    try:
        if len(target) != len(header):
            raise ValidationFailed(
                "the form does not match the file's columns; reload the page", field="mapping"
            )
        mapping = dict(zip(header, (t.strip() for t in target), strict=True))
        with pending.path.open("rb") as source, session.begin_nested():
            data_import, _queued = service.submit_import(
                session,
                actor,
                object_type=pending.object_type,
                filename=pending.filename,
                source=source,
                mapping=mapping,
                on_duplicate=on_duplicate,
                create_fuzzy=fuzzy,
                dry_run=dry_run,
            )
    except ValidationFailed as exc:
        ctx = mapping_context(
            session,
            pending,
            chosen=list(target),
            on_duplicate=on_duplicate,
            create_fuzzy=fuzzy,
            error=exc.detail,
        )
        return render(request, "imports/map.html", actor, session, status_code=exc.status, **ctx)
    if dry_run:
        return RedirectResponse(
            f"/imports/{data_import.id}?{urlencode({'upload': pending.token})}", status_code=303
        )
    drop_pending(pending)
    return RedirectResponse(f"/imports/{data_import.id}", status_code=303)


@router.get("/{import_id}", response_class=HTMLResponse)
def import_page(
    request: Request, import_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    ctx = import_context(request, session, actor, import_id)
    return render(request, "imports/detail.html", actor, session, **ctx)


@router.get("/{import_id}/progress", response_class=HTMLResponse)
def progress(
    request: Request, import_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """The progress box, polled while the import runs; once it has finished, htmx reloads
    the page (which then shows the issues and stops polling)."""
    data_import = service.get_import(session, actor, import_id)
    running = data_import.status in RUNNING
    if is_htmx(request) and not running:
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    if not is_htmx(request):
        return RedirectResponse(f"/imports/{import_id}", status_code=303)
    return render(
        request,
        "imports/_progress.html",
        actor,
        session,
        imp=data_import,
        running=running,
        dry_run=service.is_dry_run(data_import),
        counts=service.summary(data_import),
    )


@router.post("/{import_id}/run", dependencies=CSRF)
def run_for_real(
    request: Request, import_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """Import the file of a dry run with the same mapping and options."""
    dry = service.get_import(session, actor, import_id)
    if not service.is_dry_run(dry):
        raise ValidationFailed(
            "this import has already run; upload the file again", field="dry_run"
        )
    path = Path(dry.stored_path)
    if not path.exists():
        raise ValidationFailed(
            "the file of this dry run is no longer stored; upload it again", field="file"
        )
    with path.open("rb") as source:
        data_import, _queued = service.submit_import(
            session,
            actor,
            object_type=dry.object_type,
            filename=dry.filename,
            source=source,
            mapping=service.columns_of(dry),
            on_duplicate=dry.on_duplicate,
            create_fuzzy=dry.create_fuzzy,
            dry_run=False,
            batch_size=dry.batch_size,
        )
    upload = request.query_params.get("upload")
    if upload and TOKEN.match(upload):
        with contextlib.suppress(NotFound):
            drop_pending(load_pending(actor, upload))
    return RedirectResponse(f"/imports/{data_import.id}", status_code=303)
