"""The web sub-application: server-rendered pages with htmx."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nexa import modules
from nexa.api.proxies import client_address
from nexa.auth import service as auth_service
from nexa.core.errors import DomainError, TooManyRequests
from nexa.web import errors
from nexa.web.csrf import csrf_token, verify_csrf
from nexa.web.generic import object_router
from nexa.web.objects import OBJECTS
from nexa.web.pages import (
    SESSION_KEY,
    TEMPLATES,
    LoginRequired,
    WebActor,
    WebSession,
    render,
)


def _page_routers() -> list[APIRouter]:
    """Pages of one domain, registered before the generic record pages (nexa.modules)."""
    return modules.routers(modules.WEB_PAGES)


def create_web_app() -> FastAPI:
    # The security headers (CSP, nosniff, frame protection) are the whole application's
    # middleware: nexa.api.headers.
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @web.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    errors.install(web)

    @web.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request,
            "auth/login.html",
            {"actor": None, "unread": 0, "next": _safe_next(next), "error": None},
        )

    @web.post("/login", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
    def login(
        request: Request,
        session: WebSession,
        email: Annotated[str, Form(max_length=254)],
        password: Annotated[str, Form(max_length=1000)],
        next: Annotated[str, Form(max_length=500)] = "/",
    ) -> Response:
        client = client_address(request)
        try:
            user = auth_service.authenticate(session, email, password, client)
        except DomainError as exc:
            session.commit()  # failed attempts must be kept
            response = TEMPLATES.TemplateResponse(
                request,
                "auth/login.html",
                {
                    "actor": None,
                    "unread": 0,
                    "next": _safe_next(next),
                    "error": exc.detail,
                    "email": email,
                },
                status_code=exc.status,
            )
            if isinstance(exc, TooManyRequests):
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        # a new session id on every sign-in (none carried over from before it)
        auth_service.end_session(session, request.session.get(SESSION_KEY), "signed_in_again")
        token = auth_service.start_session(
            session,
            user,
            client=client,
            user_agent=request.headers.get("user-agent", ""),
        )
        request.session.clear()
        request.session[SESSION_KEY] = token
        csrf_token(request)
        return RedirectResponse(_safe_next(next), status_code=303)

    @web.post("/logout", dependencies=[Depends(verify_csrf)])
    def logout(request: Request, session: WebSession) -> Response:
        """Ends the session on the server: a copy of the cookie is refused from now on."""
        auth_service.end_session(session, request.session.get(SESSION_KEY), "signed_out")
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    for router in _page_routers():
        web.include_router(router)
    for obj in OBJECTS.values():
        web.include_router(object_router(obj))

    @web.get("/", response_class=HTMLResponse)
    def home(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
        return render(request, "home.html", actor, session)

    return web


def _safe_next(target: str) -> str:
    """Only same-site paths: no open redirect through ?next=."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
