"""The web UI's error pages: 403, 404, 405, 422 and 500 answered with the UI's own page (the
sidebar and top bar for a signed-in user), the reason in words; an htmx request gets the
small fragment for ``#flash-area``; a path under /api/ keeps problem+json (the web sub-app
is mounted at "/", so an unknown /api/ URL reaches it).

An error can happen before any route ran (an unknown URL, a wrong method, a malformed id in
the path), so the page looks the signed-in user up itself, from the session cookie, on a
read-only session of its own (or on the session tests point ``web_session`` at)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from nexa.api.problems import problem
from nexa.auth import service as auth_service
from nexa.core.actor import Actor
from nexa.core.db.session import unit_of_work
from nexa.core.errors import DomainError, TooManyRequests
from nexa.notification import service as notifications
from nexa.web.pages import SESSION_KEY, TEMPLATES, humanise, is_htmx, web_session

log = logging.getLogger("nexa.web")

TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not available this way",
    409: "Conflict",
    412: "Changed by someone else",
    422: "Please check what was sent",
    429: "Too many requests",
    500: "Something went wrong",
}
DETAILS = {
    403: "You do not have permission to open this page.",
    404: "There is no page at this address: it may have been moved, deleted, or mistyped.",
    405: "This address cannot be used this way (a link to an action that needs a button).",
    500: "Something went wrong on our side. The error was logged; please try again.",
}

# pydantic's error types, said in words (the field's name comes first)
REASONS = {
    "missing": "is required",
    "string_too_long": "is too long (at most {max_length} characters)",
    "string_too_short": "is too short (at least {min_length} characters)",
    "too_long": "has too many values (at most {max_length})",
    "uuid_parsing": "is not a valid reference",
    "uuid_type": "is not a valid reference",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "decimal_parsing": "must be a number",
    "bool_parsing": "must be yes or no",
    "date_parsing": "must be a date",
    "date_from_datetime_parsing": "must be a date",
    "datetime_parsing": "must be a date and time",
    "datetime_from_date_parsing": "must be a date and time",
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "enum": "must be one of: {expected}",
    "literal_error": "must be one of: {expected}",
}


@dataclass
class PageError:
    status: int
    title: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)


def reason_in_words(error: dict[str, Any]) -> dict[str, str]:
    """One pydantic error as ``{"field": "Status", "message": "is too long (…)"}``."""
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    name = humanise(loc[-1]) if loc else "The request"
    template = REASONS.get(str(error.get("type", "")), "is not valid")
    try:
        message = template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        message = "is not valid"
    return {"field": name, "message": message}


def _signed_in(request: Request) -> tuple[Actor | None, int | None]:
    """The signed-in user (None when signed out) and their unread count. When the route had
    already found its user (``web_actor``), that one, and no count (the bell shows none):
    an error costs no query. Otherwise read on a session of its own."""
    known = getattr(request.state, "actor", None)
    if known is not None:
        return known, None
    token = request.session.get(SESSION_KEY) if "session" in request.scope else None
    if not token:
        return None, 0
    source = request.app.dependency_overrides.get(web_session)
    # a read-only unit of work even for a POST (no write lock for an error page)
    sessions = source() if source is not None else unit_of_work(write=False)
    session = next(sessions)
    try:
        live = auth_service.live_session(session, token)
        if live is None:
            return None, 0
        actor = auth_service.actor_for(session, live.user)
        return actor, notifications.unread_count(session, actor)
    finally:
        for _ in sessions:  # finish the unit of work (a read: nothing to commit)
            pass


async def error_response(
    request: Request, error: PageError, headers: dict[str, str] | None = None
) -> Response:
    if request.url.path.startswith("/api/"):
        response: Response = problem(error.status, error.title, error.detail, request)
    elif is_htmx(request):
        response = TEMPLATES.TemplateResponse(
            request,
            "_error.html",
            {"actor": None, "unread": 0, "error": error},
            status_code=error.status,
        )
        response.headers["HX-Retarget"] = "#flash-area"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        try:
            actor, unread = await run_in_threadpool(_signed_in, request)
        except Exception:  # the page must render even when the database is the problem
            log.exception("error page: the signed-in user could not be looked up")
            actor, unread = None, None
        response = TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"actor": actor, "unread": unread, "error": error},
            status_code=error.status,
        )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def install(web: FastAPI) -> None:
    @web.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
        title = TITLES.get(exc.status, exc.title)
        return await error_response(
            request, PageError(exc.status, title, exc.detail, exc.errors), headers
        )

    @web.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        detail = DETAILS.get(status) or str(exc.detail)
        page = PageError(status, TITLES.get(status, "Error"), detail)
        return await error_response(request, page, dict(exc.headers or {}))

    @web.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        raw = list(exc.errors())
        if any((e.get("loc") or ("",))[0] == "path" for e in raw):
            # a malformed id in the address (/leads/not-a-uuid): no such page
            page = PageError(404, TITLES[404], DETAILS[404])
            return await error_response(request, page)
        errors = [reason_in_words(e) for e in raw]
        detail = "; ".join(f"{e['field']} {e['message']}" for e in errors) or "invalid request"
        return await error_response(request, PageError(422, TITLES[422], detail + ".", errors))

    @web.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Starlette logs the exception (and re-raises it to the server) after this answer
        return await error_response(request, PageError(500, TITLES[500], DETAILS[500]))
