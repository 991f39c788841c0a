"""The call page: the recording — upload (multipart, streamed to the call service, which
checks the type and the 100 MB limit), an audio player, download and delete. Routes parse,
call ``nexa.call.service.CallService`` (the same methods as the API) and render."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from nexa.call.service import (
    MAX_RECORDING_BYTES,
    MULTIPART_SLACK,
    RECORDING_TYPES,
    CallService,
    PayloadTooLarge,
)
from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.web.csrf import verify_csrf
from nexa.web.generic import ObjectView, detail_context, object_view
from nexa.web.objects import OBJECTS
from nexa.web.pages import WebActor, WebSession, render

router = APIRouter(prefix="/calls")
CALLS = OBJECTS["calls"]
ACCEPT = ",".join(sorted(RECORDING_TYPES))


def limit_body(request: Request) -> None:
    """Refuse an announced body over the limit before anything reads it (the service still
    counts the bytes while it streams, for bodies that do not announce their length)."""
    try:
        length = int(request.headers.get("content-length") or 0)
    except ValueError:
        length = 0
    if length > MAX_RECORDING_BYTES + MULTIPART_SLACK:
        raise PayloadTooLarge("a recording is at most 100 MB", field="file")


async def posted_file(request: Request) -> AsyncIterator[UploadFile | None]:
    """The form's ``file`` part (the CSRF check has parsed the form already; this reads the
    same parsed form), closed once the response is sent."""
    form = await request.form()
    part = form.get("file")
    try:
        yield part if isinstance(part, UploadFile) and part.filename else None
    finally:
        await form.close()


UPLOAD_GUARDS = [Depends(limit_body), Depends(verify_csrf)]
CSRF = [Depends(verify_csrf)]


@object_view("call")
class CallView(ObjectView):
    template = "call/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "recording_error": None,
            "accept_types": ACCEPT,
            "max_mb": MAX_RECORDING_BYTES // (1024 * 1024),
        }


def _error_page(
    request: Request, session: Session, actor: Actor, call_id: uuid.UUID, exc: DomainError
) -> Response:
    ctx = detail_context(request, session, actor, CALLS, call_id)
    ctx.update(recording_error=exc.detail)
    return render(request, "call/detail.html", actor, session, status_code=exc.status, **ctx)


@router.post("/{call_id}/recording", dependencies=UPLOAD_GUARDS)
def upload_recording(
    request: Request,
    call_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    file: Annotated[UploadFile | None, Depends(posted_file)],
) -> Response:
    try:
        if file is None:
            raise ValidationFailed("choose an audio file to upload", field="file")
        with session.begin_nested():
            CallService(session, actor).upload_recording(call_id, file.file, file.content_type)
    except DomainError as exc:
        return _error_page(request, session, actor, call_id, exc)
    request.session["flash"] = "Recording uploaded"
    return RedirectResponse(f"/calls/{call_id}#recording", status_code=303)


@router.get("/{call_id}/recording")
def recording(
    call_id: uuid.UUID, session: WebSession, actor: WebActor, download: bool = False
) -> FileResponse:
    path, content_type, name = CallService(session, actor).recording_file(call_id)
    return FileResponse(
        path,
        media_type=content_type,
        filename=name,
        content_disposition_type="attachment" if download else "inline",
    )


@router.post("/{call_id}/recording/delete", dependencies=CSRF)
def delete_recording(
    request: Request, call_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    try:
        with session.begin_nested():
            CallService(session, actor).delete_recording(call_id)
    except DomainError as exc:
        return _error_page(request, session, actor, call_id, exc)
    request.session["flash"] = "Recording deleted"
    return RedirectResponse(f"/calls/{call_id}#recording", status_code=303)
