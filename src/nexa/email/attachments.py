"""Files sent with a message: uploaded ones (the API's base64 ``attachments``, the compose
form's file input) and quote PDFs (``quote_ids``: drawn when the message is written, so a retry
sends the same bytes). Each is checked like a received one (nexa.core.filestore.refusal: the
size limit ``NEXA_EMAIL_MAX_ATTACHMENT_BYTES``, 25 MB by default, and types that run when
opened), kept in the file store and listed in ``email_attachments``; the MIME message reads
them back at delivery."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.filestore import FileNotStored, FileStore, default_store, refusal, safe_filename
from nexa.models import EmailAttachment
from nexa.quote.service import quote_pdf

MAX_ATTACHMENTS = 10
File = tuple[str, str, bytes]  # file name, content type, bytes


def decode(items: list[Any]) -> list[File]:
    """The API's attachments (``filename``, ``content_type``, ``content_base64``)."""
    files: list[File] = []
    for i, item in enumerate(items):
        try:
            data = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("not base64", field=f"attachments.{i}.content_base64") from None
        files.append((item.filename, item.content_type, data))
    return files


def quote_files(session: Session, actor: Actor, quote_ids: list[uuid.UUID]) -> list[File]:
    """Each quote's PDF (the quotes the actor can read; 422 naming the one they cannot)."""
    files: list[File] = []
    for i, quote_id in enumerate(quote_ids):
        try:
            quote, data = quote_pdf(session, actor, quote_id)
        except NotFound:
            raise ValidationFailed("no such quote", field=f"quote_ids.{i}") from None
        files.append((f"{quote.number}.pdf", "application/pdf", data))
    return files


def attach(
    session: Session, message_id: uuid.UUID, files: list[File], *, store: FileStore | None = None
) -> list[EmailAttachment]:
    """Keep ``files`` for the message; a file over the limit or of a type that runs when
    opened is a 422 naming it (nothing is sent without it)."""
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationFailed(f"at most {MAX_ATTACHMENTS} attachments", field="attachments")
    limit = get_settings().email_max_attachment_bytes
    target = store or default_store()
    rows = []
    now = utcnow()
    for i, (name, content_type, data) in enumerate(files):
        safe = safe_filename(name)
        why = refusal(safe, content_type, len(data), limit)
        if why is not None:
            raise ValidationFailed(f"{safe}: {why}", field=f"attachments.{i}")
        stored = target.put(data)
        row = EmailAttachment(
            id=uuid.uuid4(),
            email_id=message_id,
            filename=safe,
            content_type=(content_type or "application/octet-stream")[:255],
            size=len(data),
            file_key=stored.key,
            refused=None,
            created_at=now + timedelta(microseconds=i),  # listed in the order given
        )
        session.add(row)
        rows.append(row)
    return rows


def read(key: str, store: FileStore | None = None) -> bytes | None:
    """A stored attachment's bytes, or None when the store has lost it."""
    try:
        return (store or default_store()).read(key)
    except (FileNotStored, OSError):
        return None
