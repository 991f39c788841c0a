"""/api/v1/calls: the standard record routes plus the recording (upload, download, delete).

No ``from __future__ import annotations``: FastAPI reads the parameter annotations.
"""

import uuid
from typing import Annotated

from fastapi import File, Header, Response, UploadFile
from fastapi.responses import FileResponse

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import record_router
from nexa.api.scopes import needs
from nexa.call.schemas import CallCreate, CallOut, CallUpdate
from nexa.call.service import (
    MAX_RECORDING_BYTES,
    MULTIPART_SLACK,
    CallService,
    PayloadTooLarge,
)
from nexa.call.shape import CALLS
from nexa.core.schemas import Problem

router = record_router(
    prefix="/calls",
    noun="a call",
    plural="calls",
    service=CallService,
    create_model=CallCreate,
    update_model=CallUpdate,
    out_model=CallOut,
    shaper=CALLS,
)


@router.put(
    "/{call_id}/recording",
    response_model=CallOut,
    summary="Upload (or replace) the call's recording",
    responses={413: {"model": Problem}, 415: {"model": Problem}},
    openapi_extra=needs("call:read", "call:write"),
)
def upload_recording(
    call_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="An audio file, at most 100 MB")],
    session: SessionDep,
    actor: ActorDep,
    content_length: Annotated[int | None, Header()] = None,
) -> CallOut:
    if content_length is not None and content_length > MAX_RECORDING_BYTES + MULTIPART_SLACK:
        raise PayloadTooLarge("a recording is at most 100 MB", field="file")
    call = CallService(session, actor).upload_recording(call_id, file.file, file.content_type)
    return CALLS.one(session, call)


@router.get(
    "/{call_id}/recording",
    summary="Download the call's recording",
    response_class=FileResponse,
    responses={200: {"content": {"audio/*": {}}}},
    openapi_extra=needs("call:read"),
)
def download_recording(call_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> FileResponse:
    path, content_type, name = CallService(session, actor).recording_file(call_id)
    return FileResponse(path, media_type=content_type, filename=name)


@router.delete(
    "/{call_id}/recording",
    status_code=204,
    summary="Delete the call's recording",
    openapi_extra=needs("call:read", "call:write"),
)
def delete_recording(call_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    CallService(session, actor).delete_recording(call_id)
    return Response(status_code=204)
