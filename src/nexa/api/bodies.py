"""Requests no route should see, refused before any route runs: a pure ASGI middleware
around the whole application (the API, the public web form and the UI alike), answering 422
problem+json naming what is wrong —

- ``body``: a JSON body nested deeper than ``MAX_JSON_DEPTH``;
- ``path`` / ``query``: a NUL character in the address (``%00``): no id, slug or filter holds
  one, and PostgreSQL refuses it in any text it is sent.

Only bodies declared as JSON are read here (``application/json``, ``…+json``); the route
receives the same bytes afterwards. A body within the limit costs two ``bytes.count`` calls
(nexa.core.jsonbody.too_deep).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from nexa.core.jsonbody import MAX_JSON_DEPTH, too_deep

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class InputLimits:
    def __init__(self, app: ASGIApp, limit: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if "\x00" in scope.get("path", ""):
                await _refuse(scope, send, "path", "the address contains a NUL character")
                return
            if b"%00" in scope.get("query_string", b""):
                await _refuse(scope, send, "query", "the query contains a NUL character")
                return
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if too_deep(body, self.limit):
            reason = f"the JSON body is nested deeper than {self.limit} levels"
            await _refuse(scope, send, "body", reason)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send, field: str, message: str) -> None:
    payload = json.dumps(
        {
            "type": "https://nexa-crm.dev/problems/validation-failed",
            "title": "Validation failed",
            "status": 422,
            "detail": f"{field}: {message}",
            "instance": scope.get("path", "").replace("\x00", ""),
            "errors": [{"field": field, "message": message, "in": field}],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
