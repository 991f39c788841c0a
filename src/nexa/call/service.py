"""Calls: logged phone calls on any record, with an optional recording file.

Recordings live under ``<var_dir>/recordings/<call id>.<ext>``. A file is written to a
temporary name in that directory (0600, the folder 0700: see ``nexa.core.files``), hashed
and size-checked while it streams in, and only then renamed into place, so the row never
points at a half-written or missing file. Files a change leaves behind are removed after the
transaction commits (never before).
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from nexa.call.events import CALL_EVENTS
from nexa.call.repository import CallRepository
from nexa.config import get_settings
from nexa.contact.repository import ContactRepository
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.errors import DomainError, NotFound, ValidationFailed
from nexa.core.files import open_private, private_dir
from nexa.models import Call
from nexa.record.registry import require_readable_link
from nexa.record.service import RecordService, check_reference

MAX_RECORDING_BYTES = 100 * 1024 * 1024
# what an upload's multipart framing may add around the file part (API and web alike)
MULTIPART_SLACK = 64 * 1024
CHUNK = 1024 * 1024
# accepted content types -> file extension
RECORDING_TYPES = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/ogg": "ogg",
    "audio/webm": "webm",
    "audio/mp4": "mp4",
    "audio/m4a": "m4a",
    "audio/x-m4a": "m4a",
}
RECORDINGS_DIR = "recordings"
SWEEP_JOB = "call.sweep_recordings"
ORPHAN_SECONDS = 3600  # a recording file no call points at is deleted after this long
_UNLINK = "nexa_unlink_after_commit"


class PayloadTooLarge(DomainError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(DomainError):
    status, title, type_slug = 415, "Unsupported media type", "unsupported-media-type"


def recording_type(content_type: str | None) -> tuple[str, str]:
    """The normalised content type and its file extension; 415 for anything else."""
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base not in RECORDING_TYPES:
        raise UnsupportedMediaType(
            "a recording must be audio: " + ", ".join(sorted(RECORDING_TYPES)), field="file"
        )
    return base, RECORDING_TYPES[base]


def _var_dir() -> Path:
    return Path(get_settings().var_dir)


def _unlink_after_commit(session: Session, relative: str) -> None:
    session.info.setdefault(_UNLINK, []).append(relative)


@event.listens_for(Session, "after_commit")
def _unlink_left_behind(session: Session) -> None:
    for relative in session.info.pop(_UNLINK, []):
        (_var_dir() / relative).unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _keep_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    session.info.pop(_UNLINK, None)  # the rows still point at those files


class CallService(RecordService[Call]):
    events = CALL_EVENTS
    model = Call
    repository = CallRepository
    label = "call"
    default_sort = "-started_at"
    not_empty = ("subject", "direction", "started_at")
    computed = (
        "recording_path",
        "recording_content_type",
        "recording_size",
        "recording_sha256",
    )

    def payload(self, record: Call) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": record.subject,
            "direction": record.direction,
            "outcome": record.outcome,
            "related_type": record.related_type,
            "related_id": str(record.related_id) if record.related_id else None,
        }
        if record.contact_id is not None:
            data["also_on"] = [["contact", str(record.contact_id)]]
        return data

    def prepare(self, values: dict[str, Any], record: Call | None) -> dict[str, Any]:
        def current(name: str) -> Any:
            if name in values:
                return values[name]
            return getattr(record, name) if record is not None else None

        if record is None or {"related_type", "related_id"} & values.keys():
            require_readable_link(
                self.session, self.actor, current("related_type"), current("related_id")
            )
        if values.get("contact_id") is not None and (
            record is None or values["contact_id"] != record.contact_id
        ):
            check_reference(
                self.session, self.actor, ContactRepository, values["contact_id"], "contact_id"
            )
        if record is None and values.get("started_at") is None:
            values["started_at"] = utcnow()
        return values

    # -- the recording -----------------------------------------------------------------------
    def upload_recording(
        self,
        call_id: uuid.UUID,
        stream: BinaryIO,
        content_type: str | None,
        *,
        max_bytes: int = MAX_RECORDING_BYTES,
    ) -> Call:
        """Store (or replace) the call's recording; needs write access to the call."""
        call = self.get_for(call_id, "write")
        content_type, ext = recording_type(content_type)
        directory = private_dir(_var_dir() / RECORDINGS_DIR)
        relative = f"{RECORDINGS_DIR}/{call.id}.{ext}"
        temp = directory / f".{call.id}.{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            with open_private(temp, exclusive=True) as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge(
                            f"a recording is at most {max_bytes // (1024 * 1024)} MB",
                            field="file",
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise ValidationFailed("the file is empty", field="file")
            os.replace(temp, _var_dir() / relative)
        finally:
            temp.unlink(missing_ok=True)
        old = call.recording_path
        call.recording_path = relative
        call.recording_content_type = content_type
        call.recording_size = size
        call.recording_sha256 = digest.hexdigest()
        self.session.flush()
        if old and old != relative:
            _unlink_after_commit(self.session, old)
        self.publish(
            "recording_uploaded",
            call,
            {"recording_sha256": (None, call.recording_sha256)},
        )
        return call

    def recording_file(self, call_id: uuid.UUID) -> tuple[Path, str, str]:
        """(path, content type, download name) of the recording; needs read access."""
        call = self.get(call_id)
        if not call.recording_path:
            raise NotFound("this call has no recording")
        path = _var_dir() / call.recording_path
        if not path.is_file():
            raise NotFound("the recording file is missing")
        name = f"call-{call.id}{path.suffix}"
        return path, call.recording_content_type or "application/octet-stream", name

    def delete_recording(self, call_id: uuid.UUID) -> Call:
        """Remove the recording (the file goes once the change is committed)."""
        call = self.get_for(call_id, "write")
        old = call.recording_path
        if old is None:
            raise NotFound("this call has no recording")
        call.recording_path = None
        call.recording_content_type = None
        call.recording_size = None
        call.recording_sha256 = None
        self.session.flush()
        _unlink_after_commit(self.session, old)
        self.publish("recording_deleted", call)
        return call


def sweep_recordings(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Delete recordings past ``NEXA_RECORDING_RETENTION_DAYS`` (0: none), counted from the
    call's start, as a deletion through the service (its event and timeline entry; a binned
    call's recording is simply cleared); and files of the recordings folder older than an
    hour that no call points at (a request that failed after storing one, an unfinished
    upload). Files go once the job's transaction commits. The counts of each."""
    now = now or utcnow()
    repository = CallRepository(session)
    expired = 0
    days = get_settings().recording_retention_days
    if days:
        service = CallService(session, SYSTEM)
        for call in repository.with_recording_before(now - timedelta(days=days)):
            if call.deleted_at is None:
                service.delete_recording(call.id)
            else:
                _unlink_after_commit(session, call.recording_path or "")
                call.recording_path = call.recording_content_type = None
                call.recording_size = None
                call.recording_sha256 = None
            expired += 1
        session.flush()
    folder = _var_dir() / RECORDINGS_DIR
    orphans = 0
    if folder.is_dir():
        limit = time.time() - ORPHAN_SECONDS
        old: list[Path] = []
        for path in folder.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    old.append(path)
            except FileNotFoundError:
                continue
        in_use = repository.recordings_in_use([f"{RECORDINGS_DIR}/{p.name}" for p in old])
        for path in old:
            if f"{RECORDINGS_DIR}/{path.name}" not in in_use:
                path.unlink(missing_ok=True)
                orphans += 1
    return {"expired": expired, "orphans": orphans}
