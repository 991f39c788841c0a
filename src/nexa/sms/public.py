"""The inbound SMS webhook: ``POST /sms/inbound/{token}``, public (no API key, no
session: the secret token in the address, from the SMS settings, is the authority; a wrong
one is a 404). Twilio-style form fields ``From``, ``To``, ``Body`` or the JSON
``{"from", "to", "body"}``. A form request is answered with an empty TwiML document (the
provider sends no reply), a JSON one with the stored message's id.

Outside /api/v1 and not in the OpenAPI document: it is the provider's address, not part of
the API (every /api/v1 operation takes an API key).

No ``from __future__ import annotations``: FastAPI reads the parameter types.
"""

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from nexa.api.deps import SessionDep
from nexa.core.errors import ValidationFailed
from nexa.sms import inbound

router = APIRouter(tags=["sms (public)"])
MAX_REQUEST = 64 * 1024
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def inbound_fields(request: Request) -> dict[str, Any]:
    """From, To and Body of the request (form or JSON), and which it was."""
    raw = await request.body()
    if len(raw) > MAX_REQUEST:
        raise ValidationFailed(f"at most {MAX_REQUEST} bytes", field="body")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            raise ValidationFailed("not valid JSON", field="body") from None
        if not isinstance(data, dict):
            raise ValidationFailed("a JSON object is expected", field="body")
        values = {k: data.get(k) for k in ("from", "to", "body")}
        kind = "json"
    else:
        try:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
        except (UnicodeDecodeError, ValueError):
            raise ValidationFailed("not a valid form", field="body") from None
        values = {k.lower(): (form.get(k) or [""])[0] for k in ("From", "To", "Body")}
        kind = "form"
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ValidationFailed("text is expected", field=key)
    return {"kind": kind, **{k: v or "" for k, v in values.items()}}


@router.post("/sms/inbound/{token}", include_in_schema=False)
def receive_sms(
    token: str,
    session: SessionDep,
    fields: Annotated[dict[str, Any], Depends(inbound_fields)],
) -> Response:
    message = inbound.receive(session, token, fields["from"], fields["to"], fields["body"])
    if fields["kind"] == "form":
        return Response(TWIML, media_type="text/xml")
    return JSONResponse(
        {
            "id": str(message.id),
            "matched": message.related_id is not None,
            "keyword": message.keyword,
        }
    )
