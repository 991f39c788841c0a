"""Imports: the business rules. Every function takes the session and the acting user.

An import reads its stored file in batches. Each batch — its created/updated records, its
issues and the checkpoint (``rows_done`` and the counts) — is committed together by the
caller's ``commit``, so an import killed at any moment resumes from the last checkpoint and
never creates a record twice. Rows go through the object's own service, each inside a
savepoint, so one bad row does not spoil its batch. Row numbers are 1-based data rows: row
1 is the first row under the header.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import enqueue_after_commit
from nexa.core.files import open_private, private_dir
from nexa.core.ownership import check_owner
from nexa.imports import new_fields as fields_of_file
from nexa.imports import readers
from nexa.imports.adapters import EXPLICIT_ONLY, Adapter, adapter_for
from nexa.imports.repository import ImportRepository
from nexa.imports.rows import Column, RowError, normalise_header, parse_row, resolve_mapping
from nexa.models import DataImport, DataImportIssue, User
from nexa.models.data_import import DUPLICATE_MODES

MAX_BYTES = 50 * 1024 * 1024
DEFAULT_BATCH = 2000  # a batch is one transaction; bigger ones spread its fixed costs
MAX_BATCH = 5000
JOB_NAME = "import.run"
SWEEP_JOB = "import.sweep_files"
IMPORTS_DIR = "imports"
UPLOADS_DIR = "uploads"  # the web's uploads waiting to be mapped (nexa.web.imports)
PENDING_HOURS = 24  # how long such an upload waits
ORPHAN_SECONDS = 3600  # a file no import row names is deleted after this long
FINISHED = ("completed", "failed", "cancelled")
SYNC_ROWS = 1000
PLANNED_KEY = "fields"  # in DataImport.mapping: the new_fields report
Progress = Callable[[int, int], None]


def _no_commit() -> None:
    return None


# ---- permissions ------------------------------------------------------------------------


def require_permission(actor: Actor, object_type: str, action: str) -> None:
    if not actor.can(f"{object_type}:{action}"):
        raise PermissionDenied(f"you may not {action} {object_type} records")


def require_new_fields(actor: Actor) -> None:
    """``new_fields`` defines custom fields: the custom field settings (admins)."""
    if not actor.can("custom_field:create"):
        raise PermissionDenied(
            "new_fields: only admins may add custom fields (custom field settings)",
            field="new_fields",
        )


HISTORICAL_OBJECTS = ("lead", "deal")


def require_historical(actor: Actor, object_type: str) -> None:
    """Migrating history (past dates, converted, won and lost outcomes) is an admin act."""
    if object_type not in HISTORICAL_OBJECTS:
        raise ValidationFailed(
            "historical imports are for leads and deals only", field="historical"
        )
    if not actor.can("settings:write"):
        raise PermissionDenied(
            f"historical: only admins may import {object_type} history (settings)",
            field="historical",
        )


def adapter_of(object_type: str, *, historical: bool = False) -> Adapter:
    if historical:
        from nexa.imports.historical import historical_deal_adapter, historical_lead_adapter

        return historical_deal_adapter() if object_type == "deal" else historical_lead_adapter()
    return adapter_for(object_type)


def import_actor(actor: Actor, object_type: str) -> Actor:
    """The actor rows are written as: ``<object>:import`` lets one create the object's
    records (with the import's scope) even without ``<object>:create`` — the role table gives
    marketers contact imports. Updating an existing record still needs ``<object>:write``."""
    scope = actor.scope_for(f"{object_type}:import")
    if scope is None or actor.is_system or actor.can(f"{object_type}:create"):
        return actor
    return dataclasses.replace(actor, grants={**actor.grants, f"{object_type}:create": scope})


# ---- starting an import ------------------------------------------------------------------


def imports_dir() -> Path:
    return get_settings().var_dir / IMPORTS_DIR


def _store(source: IO[bytes], target: Path) -> tuple[str, int]:
    """Stream the upload to a temporary 0600 file beside ``target`` (a ``.part`` name the
    sweep deletes when a killed request leaves it), renamed to ``target`` once complete."""
    folder = private_dir(target.parent)
    temp = folder / f".{target.name}.{uuid.uuid4().hex}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with open_private(temp, exclusive=True) as out:
            while chunk := source.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise ValidationFailed("the file is larger than 50 MB", field="file")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed("the file is empty", field="file")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return digest.hexdigest(), size


def start_import(
    session: Session,
    actor: Actor,
    *,
    object_type: str,
    filename: str,
    source: IO[bytes],
    mapping: dict[str, str] | None = None,
    on_duplicate: str = "skip",
    create_fuzzy: bool = False,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH,
    resume: bool = False,
    new_fields: bool = False,
    historical: bool = False,
) -> tuple[DataImport, bool]:
    """Store the file and record the import; (import, resumed). With ``resume`` an unfinished
    import of the same file and settings by the same person is returned instead.

    ``new_fields``: every column naming no field of the object becomes a custom field typed
    from the file's values (number / boolean / text), defined here, in the caller's
    transaction; a dry run only lists them (``fields_planned``). Needs custom field rights.
    ``historical`` (leads and deals, admins): lead rows may carry created_at, converted_at,
    status_changed_at and a converted or lost status; deal rows created_at,
    stage_entered_at, closed_at and their stage history (see ``nexa.imports.historical``)."""
    require_permission(actor, object_type, "import")
    if historical:
        require_historical(actor, object_type)
    if new_fields:
        require_new_fields(actor)
    adapter = adapter_of(object_type, historical=historical)
    if on_duplicate not in DUPLICATE_MODES:
        raise ValidationFailed("on_duplicate must be skip or update", field="on_duplicate")
    if historical and on_duplicate != "skip":
        raise ValidationFailed(
            f"a historical import creates {object_type}s; on_duplicate must be skip",
            field="on_duplicate",
        )
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValidationFailed(f"batch_size must be 1 to {MAX_BATCH}", field="batch_size")
    mapping = dict(mapping or {})
    for key, value in mapping.items():
        if not isinstance(key, str) or not isinstance(value, str) or len(key) > 300:
            raise ValidationFailed("mapping must map column names to field names", field="mapping")
    fmt = readers.format_of(filename)
    import_id = uuid.uuid4()
    path = imports_dir() / f"{import_id}.{fmt}"
    sha256, _ = _store(source, path)
    try:
        header = readers.read_header(path, fmt)
        resolve_mapping(session, adapter, header, mapping)
        columns = dict(mapping)
        planned: list[fields_of_file.NewField] = []
        if new_fields:
            reserved = {c.key for c in adapter.model.__table__.columns}
            extra, planned = fields_of_file.plan(
                session, actor, adapter, header, mapping, reserved=reserved
            )
            columns.update(extra)
            if not dry_run:
                columns.update({f.column: f"custom.{f.key}" for f in planned})
        stored_mapping: dict[str, Any] = {"columns": columns, "dry_run": dry_run}
        if new_fields:
            stored_mapping["new_fields"] = True
        if historical:
            stored_mapping["historical"] = True
        if resume and not dry_run:
            twin = ImportRepository(session).unfinished_twin(
                actor,
                object_type=object_type,
                sha256=sha256,
                mapping=stored_mapping,
                on_duplicate=on_duplicate,
                create_fuzzy=create_fuzzy,
            )
            if twin is not None:
                path.unlink(missing_ok=True)
                return twin, True
        if planned:
            total = fields_of_file.scan(path, fmt, header, planned)
            if not dry_run:
                fields_of_file.create(session, actor, object_type, planned)
        else:
            total = readers.count_rows(path, fmt)
        if new_fields:
            stored_mapping[PLANNED_KEY] = [f.as_dict() for f in planned]
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    data_import = DataImport(
        id=import_id,
        owner_id=actor.user_id,
        object_type=object_type,
        filename=Path(filename).name[:300] or f"import.{fmt}",
        stored_path=str(path),
        file_sha256=sha256,
        mapping=stored_mapping,
        on_duplicate=on_duplicate,
        create_fuzzy=create_fuzzy,
        batch_size=batch_size,
        status="pending",
        rows_total=total,
        rows_done=0,
    )
    session.add(data_import)
    session.flush()
    return data_import, False


def submit_import(session: Session, actor: Actor, **options: Any) -> tuple[DataImport, bool]:
    """Start an import from an upload; (import, queued). Dry runs and files of up to
    ``SYNC_ROWS`` rows run now, inside the caller's transaction; larger files are handed to
    the ``import.run`` job after commit, which commits batch by batch."""
    data_import, _ = start_import(session, actor, **options)
    if is_dry_run(data_import) or (data_import.rows_total or 0) <= SYNC_ROWS:
        run_import(session, actor, data_import.id)
        return data_import, False
    enqueue_after_commit(session, JOB_NAME, str(data_import.id))
    return data_import, True


def start_import_from_path(
    session: Session, actor: Actor, path: Path, **options: Any
) -> tuple[DataImport, bool]:
    with path.open("rb") as source:
        return start_import(session, actor, filename=path.name, source=source, **options)


def is_dry_run(data_import: DataImport) -> bool:
    return bool((data_import.mapping or {}).get("dry_run"))


def is_historical(data_import: DataImport) -> bool:
    return bool((data_import.mapping or {}).get("historical"))


def has_new_fields(data_import: DataImport) -> bool:
    return bool((data_import.mapping or {}).get("new_fields"))


def fields_planned(data_import: DataImport) -> list[dict[str, Any]]:
    """``new_fields``: the custom fields the import created (or, dry, would create):
    column, key, label, field_type, created."""
    return list((data_import.mapping or {}).get(PLANNED_KEY) or [])


def columns_of(data_import: DataImport) -> dict[str, str]:
    return dict((data_import.mapping or {}).get("columns") or {})


# ---- reading imports ----------------------------------------------------------------------


def recent_imports(
    session: Session, actor: Actor, object_types: list[str], *, limit: int = 20
) -> list[DataImport]:
    """The newest imports of ``object_types`` that ``actor`` may open: their own, or
    everyone's for admins (``ImportRepository.visible_to``)."""
    return ImportRepository(session).recent(
        object_types, limit, actor.user_id, everyone=actor.is_admin
    )


def get_import(session: Session, actor: Actor, import_id: uuid.UUID) -> DataImport:
    data_import = ImportRepository(session).get(import_id)
    if data_import is None or not ImportRepository.visible_to(actor, data_import):
        raise NotFound(f"import {import_id} not found")
    require_permission(actor, data_import.object_type, "import")
    return data_import


def list_issues(
    session: Session,
    actor: Actor,
    import_id: uuid.UUID,
    *,
    after: int = 0,
    limit: int = 100,
    kind: str | None = None,
) -> tuple[list[DataImportIssue], int | None]:
    get_import(session, actor, import_id)
    rows = ImportRepository(session).issues(import_id, after=after, limit=limit + 1, kind=kind)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].row_number if more and rows else None)


def list_issues_unchecked(
    session: Session, import_id: uuid.UUID, *, limit: int
) -> tuple[list[DataImportIssue], None]:
    """The first issues of an import the caller has already checked access to."""
    return ImportRepository(session).issues(import_id, after=0, limit=limit), None


# ---- running an import -----------------------------------------------------------------


@dataclasses.dataclass
class _Run:
    session: Session
    actor: Actor
    adapter: Adapter
    data_import: DataImport
    columns: list[Column]
    dry_run: bool
    # dry runs: keys of earlier rows that would be created, with their row numbers
    seen: dict[str, int] = dataclasses.field(default_factory=dict)
    # rows of this run that were (or in a dry run would be) created, by fuzzy key:
    # (first name, last name, record id or None, row number)
    fuzzy_rows: dict[str, list[tuple[Any, Any, uuid.UUID | None, int]]] = dataclasses.field(
        default_factory=dict
    )

    def issue(
        self,
        row: int,
        kind: str,
        message: str,
        field: str | None = None,
        record_id: uuid.UUID | None = None,
    ) -> None:
        self.session.add(
            DataImportIssue(
                import_id=self.data_import.id,
                row_number=row,
                kind=kind,
                field=(field or None) and field[:100],
                message=message[:1000],
                record_id=record_id,
            )
        )


def _errors_text(errors: list[RowError]) -> str:
    return "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors)


def _check(run: _Run, data: BaseModel) -> list[RowError]:
    """The service-level checks a dry run can make without writing."""
    return _service_check(run.session, run.actor, run.adapter, data)


def _service_check(
    session: Session, actor: Actor, adapter: Adapter, data: BaseModel
) -> list[RowError]:
    try:
        adapter.check_references(session, actor, data)
        owner_id = getattr(data, "owner_id", None)
        if owner_id is not None:
            check_owner(
                actor,
                adapter.object_type,
                owner_id,
                current=None,
                load_user=lambda uid: session.get(User, uid),
            )
    except DomainError as exc:
        return [RowError(exc.field, exc.detail)]
    return []


class _Savepoint:
    """A savepoint per row; on failure the row's events and jobs are forgotten too."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> _Savepoint:
        info = self.session.info
        self.outbox = len(info.get("outbox_ids", []))
        self.jobs = len(info.get("after_commit_jobs", []))
        self.nested = self.session.begin_nested()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.nested.commit()
            return
        self.nested.rollback()
        info = self.session.info
        if "outbox_ids" in info:
            del info["outbox_ids"][self.outbox :]
        if "after_commit_jobs" in info:
            del info["after_commit_jobs"][self.jobs :]


WRITE_ERRORS = (DomainError, ValidationError, IntegrityError)


def _error_of(exc: BaseException) -> RowError:
    if isinstance(exc, DomainError):
        return RowError(exc.field, exc.detail)
    if isinstance(exc, ValidationError):
        return RowError(None, _errors_text(rows_errors(exc)))
    return RowError(None, "the database refused the row (a duplicate or a broken reference)")


def rows_errors(exc: ValidationError) -> list[RowError]:
    return [
        RowError(".".join(str(p) for p in e["loc"]) or None, e["msg"].removeprefix("Value error, "))
        for e in exc.errors()
    ]


COUNTERS = ("created_count", "updated_count", "skipped_count", "failed_count", "fuzzy_count")


def _process_batch(run: _Run, batch: list[tuple[int, list[str]]], *, per_row: bool) -> None:
    """Decide and write one batch. Creates go through the adapter's bulk path when it has
    one (a few statements for the batch, same result as row by row); should the bulk write
    fail (a twin slipped in, refused by a unique index), the batch is rolled back and done
    again row by row, each row in its savepoint, so the outcome is the row-by-row one."""
    session, imp = run.session, run.data_import
    if per_row or run.dry_run or run.adapter.bulk is None:
        _decide_batch(run, batch, None)
        return
    counts = {name: getattr(imp, name) for name in COUNTERS}
    info = session.info
    outbox, jobs = len(info.get("outbox_ids", [])), len(info.get("after_commit_jobs", []))
    savepoint = session.begin_nested()
    try:
        _decide_batch(run, batch, run.adapter.bulk(session, run.actor))
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        for name, value in counts.items():
            setattr(imp, name, value)
        if "outbox_ids" in info:
            del info["outbox_ids"][outbox:]
        if "after_commit_jobs" in info:
            del info["after_commit_jobs"][jobs:]
        _decide_batch(run, batch, None)


def _decide_batch(run: _Run, batch: list[tuple[int, list[str]]], bulk: Any) -> None:
    session, adapter, imp = run.session, run.adapter, run.data_import
    pending: list[Any] = []  # prepared creates not written yet (bulk path)

    def write_pending() -> None:
        if pending:
            bulk.write(pending)
            pending.clear()

    parsed: list[tuple[int, BaseModel | None, list[RowError]]] = []
    for number, cells in batch:
        data, errors = parse_row(session, adapter, run.columns, cells)
        if data is not None and run.dry_run:
            # a real import leaves these checks to the service's create (same messages)
            errors = _check(run, data)
            if errors:
                data = None
        parsed.append((number, data, errors))
    valid = [d for _, d, _ in parsed if d is not None]
    keys = [adapter.twin_key(d) for d in valid]
    existing = adapter.twins(session, [k for k in keys if k])
    hidden = adapter.hidden(session, run.actor, existing.values())
    pool: dict[str, list[tuple[Any, Any, uuid.UUID]]] = {}
    if adapter.fuzzy_lookup is not None and valid:
        for fkey, first, last, rid in adapter.fuzzy_lookup(session, run.actor, valid):
            pool.setdefault(fkey, []).append((first, last, rid))
    if not run.dry_run:
        run.fuzzy_rows = {}  # earlier batches are in the database now

    def fuzzy_of(data: BaseModel) -> tuple[list[str], uuid.UUID | None]:
        if adapter.fuzzy_key is None or adapter.fuzzy_same is None:
            return [], None
        fkey = adapter.fuzzy_key(data)
        if not fkey:
            return [], None
        labels: list[str] = []
        first_id: uuid.UUID | None = None
        for first, last, rid in pool.get(fkey, []):
            if adapter.fuzzy_same(data, first, last) and f"record {rid}" not in labels:
                labels.append(f"record {rid}")
                first_id = first_id or rid
        for first, last, maybe_id, row in run.fuzzy_rows.get(fkey, []):
            label = f"record {maybe_id}" if maybe_id else f"row {row}"
            if adapter.fuzzy_same(data, first, last) and label not in labels:
                labels.append(label)
                first_id = first_id or maybe_id
        return labels, first_id

    def remember(data: BaseModel, record_id: uuid.UUID | None, row: int) -> None:
        if adapter.fuzzy_key is None:
            return
        fkey = adapter.fuzzy_key(data)
        if fkey:
            run.fuzzy_rows.setdefault(fkey, []).append(
                (
                    getattr(data, "first_name", None),
                    getattr(data, "last_name", None),
                    record_id,
                    row,
                )
            )

    in_batch: dict[str, uuid.UUID] = {}
    twin_label = adapter.twin_field or ""
    for number, data, errors in parsed:
        if data is None:
            imp.failed_count += 1
            run.issue(number, "invalid", _errors_text(errors), errors[0].field if errors else None)
            continue
        key = adapter.twin_key(data)
        twin_id = (existing.get(key) or in_batch.get(key)) if key else None
        earlier_row = run.seen.get(key) if key and run.dry_run else None
        if twin_id is not None and twin_id in hidden:
            # uniqueness tells that the record exists, nothing more: no id, no update
            imp.skipped_count += 1
            run.issue(
                number,
                "duplicate",
                f"a record with this {twin_label} exists that you cannot see; skipped",
                twin_label,
            )
            continue
        if twin_id is not None or earlier_row is not None:
            where = f"record {twin_id}" if twin_id else f"row {earlier_row}"
            if imp.on_duplicate == "skip":
                imp.skipped_count += 1
                run.issue(
                    number,
                    "duplicate",
                    f"same {twin_label} as {where}; skipped",
                    twin_label,
                    twin_id,
                )
                continue
            write_pending()  # the twin may be a row of this batch
            _update(run, number, data, twin_id, where)
            continue
        candidates, candidate_id = fuzzy_of(data)
        similar = ", ".join(candidates[:5])
        if candidates and not imp.create_fuzzy:
            imp.fuzzy_count += 1
            run.issue(
                number,
                "fuzzy",
                f"possible duplicate of {similar}; not created (allow with create_fuzzy)",
                None,
                candidate_id,
            )
            continue
        if run.dry_run:
            imp.created_count += 1
            if key:
                run.seen[key] = number
            remember(data, None, number)
            if candidates:
                imp.fuzzy_count += 1
                run.issue(number, "fuzzy", f"possible duplicate of {similar}; would be created")
            continue
        try:
            if bulk is not None and bulk.in_bulk(data):
                record = bulk.prepare(data)
                pending.append(record)
            else:
                write_pending()  # rows are written in file order
                with _Savepoint(session):
                    record = adapter.create(session, run.actor, data)
        except WRITE_ERRORS as exc:
            error = _error_of(exc)
            imp.failed_count += 1
            run.issue(number, "invalid", _errors_text([error]), error.field)
            continue
        imp.created_count += 1
        if key:
            in_batch[key] = record.id
        remember(data, record.id, number)
        if candidates:
            imp.fuzzy_count += 1
            run.issue(
                number, "fuzzy", f"created although it may duplicate {similar}", None, record.id
            )
    write_pending()


def _update(run: _Run, number: int, data: BaseModel, twin_id: uuid.UUID | None, where: str) -> None:
    imp, adapter = run.data_import, run.adapter
    try:
        changes = adapter.update_model.model_validate(data.model_dump(exclude_unset=True))
        if run.dry_run:
            if twin_id is not None:
                adapter.repository(run.session).get_for(run.actor, twin_id, "write")
        else:
            assert twin_id is not None
            with _Savepoint(run.session):
                adapter.update(run.session, run.actor, twin_id, changes)
    except WRITE_ERRORS as exc:
        error = _error_of(exc)
        imp.failed_count += 1
        run.issue(number, "invalid", f"updating {where}: {_errors_text([error])}", error.field)
        return
    imp.updated_count += 1
    run.issue(
        number,
        "duplicate",
        f"same {adapter.twin_field} as {where}; updated",
        adapter.twin_field,
        twin_id,
    )


def _batches(
    rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_import(
    session: Session,
    actor: Actor,
    import_id: uuid.UUID,
    *,
    commit: Callable[[], None] = _no_commit,
    progress: Progress | None = None,
    per_row: bool = False,
) -> DataImport:
    """Run (or resume) an import. ``commit`` is called after every batch (the caller owns
    the transaction: a job or the CLI commits; a request passes nothing and commits once).
    ``per_row`` writes every row through the object's service one by one (the reference the
    batch path is tested against)."""
    data_import = get_import(session, actor, import_id)
    if data_import.status == "completed":
        return data_import
    historical = is_historical(data_import)
    if historical:
        require_historical(actor, data_import.object_type)
    adapter = adapter_of(data_import.object_type, historical=historical)
    path = Path(data_import.stored_path)
    if data_import.file_removed_at is not None or not path.exists():
        raise ValidationFailed("the import's file is no longer stored", field="file")
    fmt = readers.format_of(path.name)
    header = readers.read_header(path, fmt)
    columns = resolve_mapping(session, adapter, header, columns_of(data_import))
    dry_run = is_dry_run(data_import)
    if dry_run or data_import.rows_done == 0:
        if data_import.rows_done:
            ImportRepository(session).clear_issues(data_import.id)
        for name in ("rows_done", "created_count", "updated_count", "skipped_count"):
            setattr(data_import, name, 0)
        data_import.failed_count = data_import.fuzzy_count = 0
    if data_import.rows_total is None:
        data_import.rows_total = readers.count_rows(path, fmt)
    data_import.status = "running"
    data_import.error = None
    data_import.started_at = data_import.started_at or utcnow()
    session.flush()
    commit()
    run = _Run(
        session, import_actor(actor, adapter.object_type), adapter, data_import, columns, dry_run
    )
    total = data_import.rows_total or 0
    if progress:
        progress(data_import.rows_done, total)
    rows = readers.data_rows(path, fmt, start=data_import.rows_done)
    for batch in _batches(rows, data_import.batch_size):
        _process_batch(run, batch, per_row=per_row)
        data_import.rows_done = batch[-1][0]
        session.flush()
        commit()
        if progress:
            progress(data_import.rows_done, total)
    data_import.rows_done = max(data_import.rows_done, total)
    data_import.status = "completed"
    data_import.finished_at = utcnow()
    session.flush()
    commit()
    if progress:
        progress(total, total)
    return data_import


def mark_failed(session: Session, import_id: uuid.UUID, error: str) -> None:
    data_import = ImportRepository(session).get(import_id)
    if data_import is not None and data_import.status != "completed":
        data_import.status = "failed"
        data_import.error = error[:1000]
        session.flush()


def owner_actor(session: Session, data_import: DataImport) -> Actor:
    """The person who started the import (jobs act as them)."""
    from nexa.auth.service import actor_for

    user = session.get(User, data_import.owner_id) if data_import.owner_id else None
    if user is None:
        raise NotFound("the person who started this import no longer exists")
    return actor_for(session, user)


def run_import_job(session: Session, import_id: uuid.UUID) -> dict[str, Any]:
    """The background job's body: run as the import's owner, committing per batch."""
    data_import = ImportRepository(session).get(import_id)
    if data_import is None:
        return {"status": "missing"}
    actor = owner_actor(session, data_import)
    try:
        done = run_import(session, actor, import_id, commit=session.commit)
    except Exception as exc:
        session.rollback()
        mark_failed(session, import_id, f"{type(exc).__name__}: {exc}")
        session.commit()
        raise
    return {"status": done.status, "created": done.created_count}


_TWIN = r"(?:record [0-9a-f-]{36}|row \d+)"
_TWIN_REFERENCE = re.compile(rf"\b{_TWIN}(?:, {_TWIN})*")


def _twins_in_words(found: re.Match[str]) -> str:
    text = found.group(0)
    if "record" not in text:
        return "an earlier row"
    return "an existing record" if "row" not in text else "existing records or rows"


def refusal_reasons(
    session: Session, actor: Actor, import_id: uuid.UUID, *, top: int = 5
) -> list[tuple[str, int]]:
    """Why rows were not written, the most frequent reasons first, each with its number of
    rows: invalid rows by their field and reason, skipped duplicates and fuzzy twins left out
    (the twin a message names is left out of the reason, so one reason counts all its rows)."""
    get_import(session, actor, import_id)
    counts: dict[str, int] = {}
    for _kind, _field, message, rows in ImportRepository(session).not_written_counts(import_id):
        reason = _TWIN_REFERENCE.sub(_twins_in_words, message)
        counts[reason] = counts.get(reason, 0) + rows
    return sorted(counts.items(), key=lambda item: -item[1])[:top]


def rows_not_written(session: Session, actor: Actor, import_id: uuid.UUID) -> set[int]:
    """The numbers (1 = the first row under the header) of the rows the import did not write."""
    get_import(session, actor, import_id)
    return set(ImportRepository(session).not_written_rows(import_id))


def import_targets(object_type: str, *, historical: bool = False) -> tuple[list[str], set[str]]:
    """(the standard fields a column named like one is read into, the object's other columns,
    which an import never writes: ``new_fields`` leaves a column so named out)."""
    adapter = adapter_of(object_type, historical=historical)
    standard = [t for t in adapter.standard_fields() if t not in EXPLICIT_ONLY]
    others = {c.key for c in adapter.model.__table__.columns} - set(standard)
    return standard, others


def field_check(
    session: Session, actor: Actor, object_type: str, *, historical: bool = False
) -> Callable[[str, str], str | None]:
    """``check(field, text)``: why ``text`` does not fit the standard ``field`` of
    ``object_type`` ("country: use a two-letter ISO 3166 country code …"), or None. The checks
    a dry run makes — the schema's and the service's (lead sources, …) — on a row holding only
    that value (required text fields filled in); answers are kept per (field, text)."""
    adapter = adapter_of(object_type, historical=historical)
    targets = {normalise_header(t): t for t in adapter.standard_fields()}
    filler = {
        name: "x"
        for name, info in adapter.create_model.model_fields.items()
        if info.is_required() and info.annotation is str
    }
    writer = import_actor(actor, object_type)
    known: dict[tuple[str, str], str | None] = {}

    def check(field: str, text: str) -> str | None:
        key = (field, text)
        if key in known:
            return known[key]
        target = targets[normalise_header(field)]
        cells = [text, *filler.values()]
        columns = [Column(0, target, target)]
        columns += [Column(i + 1, name, name) for i, name in enumerate(filler) if name != target]
        data, errors = parse_row(session, adapter, columns, cells)
        if data is not None:
            errors = _service_check(session, writer, adapter, data)
        reason = _errors_text(errors) if errors else None
        known[key] = reason
        return reason

    return check


def summary(data_import: DataImport) -> dict[str, int]:
    return {
        "created": data_import.created_count,
        "updated": data_import.updated_count,
        "skipped": data_import.skipped_count,
        "failed": data_import.failed_count,
        "fuzzy": data_import.fuzzy_count,
    }


def actor_by_email(session: Session, email: str | None) -> Actor:
    """The acting user for the command line: the active user with ``email``, or the first
    admin. A system view: whoever runs the CLI already holds the database."""
    from nexa.auth.service import actor_for

    user = ImportRepository(session).active_user(email)
    if user is None:
        raise NotFound(f"no active user {email}" if email else "no active admin to act as")
    return actor_for(session, user)


# ---- the stored files: retention and orphans --------------------------------------------------

_STORED_NAME = re.compile(
    r"^\.?(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[a-z]+"
    r"(?P<part>\.[0-9a-f]{32}\.part)?$"
)


def _older_than(path: Path, limit: float) -> bool:
    try:
        return path.stat().st_mtime < limit
    except FileNotFoundError:
        return False


def sweep_files(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Delete the files imports no longer need; the counts of each kind deleted.

    - ``finished``: the file of an import that finished (completed, failed or cancelled)
      more than ``NEXA_IMPORT_FILE_RETENTION_DAYS`` ago; its row records ``file_removed_at``;
    - ``orphans``: a file of the imports folder older than an hour that no import row names
      (a request killed after storing it, a transaction rolled back) and unfinished ``.part``
      uploads;
    - ``uploads``: web uploads nobody mapped within ``PENDING_HOURS``.

    Safe to run twice; system work (no actor: it sees every import)."""
    now = now or utcnow()
    repository = ImportRepository(session)
    cutoff = now - timedelta(days=get_settings().import_file_retention_days)
    finished = 0
    for data_import in repository.finished_with_files(FINISHED, before=cutoff):
        Path(data_import.stored_path).unlink(missing_ok=True)
        data_import.file_removed_at = now
        finished += 1
    session.flush()

    folder = imports_dir()
    orphans = uploads = 0
    if not folder.is_dir():
        return {"finished": finished, "orphans": 0, "uploads": 0}
    limit = time.time() - ORPHAN_SECONDS
    named: dict[uuid.UUID, list[Path]] = {}
    for path in folder.iterdir():
        match = _STORED_NAME.match(path.name)
        if match is None or not path.is_file() or not _older_than(path, limit):
            continue
        if match.group("part"):  # an upload still streaming an hour later is dead
            path.unlink(missing_ok=True)
            orphans += 1
        else:
            named.setdefault(uuid.UUID(match.group("id")), []).append(path)
    kept = repository.with_file(list(named))
    for import_id, paths in named.items():
        if import_id not in kept:
            for path in paths:
                path.unlink(missing_ok=True)
                orphans += 1
    pending_limit = time.time() - PENDING_HOURS * 3600
    if (folder / UPLOADS_DIR).is_dir():
        for path in (folder / UPLOADS_DIR).iterdir():
            if path.is_file() and _older_than(path, pending_limit):
                path.unlink(missing_ok=True)
                uploads += 1
    return {"finished": finished, "orphans": orphans, "uploads": uploads}
