"""The web sub-application: server-rendered pages with htmx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from nexa.auth import service as auth_service
from nexa.core.actor import Actor
from nexa.core.db.session import unit_of_work
from nexa.core.errors import DomainError
from nexa.notification import service as notifications
from nexa.web.csrf import csrf_token, verify_csrf

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["csrf_token"] = csrf_token


class LoginRequired(Exception):
    pass


def web_session(request: Request) -> Iterator[Session]:
    yield from unit_of_work(write=request.method == "POST")


WebSession = Annotated[Session, Depends(web_session)]


def web_actor(request: Request, session: WebSession) -> Actor:
    user = auth_service.user_for_session(session, request.session.get("uid"))
    if user is None or request.session.get("pwv") != (user.password_hash or "")[-12:]:
        request.session.clear()
        raise LoginRequired
    return auth_service.actor_for(session, user)


WebActor = Annotated[Actor, Depends(web_actor)]


def render(
    request: Request, template: str, actor: Actor | None, session: Session | None, **ctx: Any
) -> HTMLResponse:
    unread = notifications.unread_count(session, actor) if actor and session else 0
    return TEMPLATES.TemplateResponse(request, template, {"actor": actor, "unread": unread, **ctx})


def create_web_app() -> FastAPI:
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @web.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @web.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return TEMPLATES.TemplateResponse(
            request,
            "error.html",
            {"actor": None, "unread": 0, "error": exc},
            status_code=exc.status,
        )

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
        client = request.client.host if request.client else "unknown"
        try:
            user = auth_service.authenticate(session, email, password, client)
        except DomainError as exc:
            session.commit()  # failed attempts and lock-outs must be kept
            return TEMPLATES.TemplateResponse(
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
        request.session.clear()
        request.session["uid"] = str(user.id)
        request.session["pwv"] = (user.password_hash or "")[-12:]
        csrf_token(request)
        return RedirectResponse(_safe_next(next), status_code=303)

    @web.post("/logout", dependencies=[Depends(verify_csrf)])
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @web.get("/", response_class=HTMLResponse)
    def home(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
        return render(request, "home.html", actor, session)

    @web.get("/notifications", response_class=HTMLResponse)
    def notification_list(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
        items = notifications.list_notifications(session, actor, limit=100)
        return render(request, "notification/list.html", actor, session, items=items)

    @web.post("/notifications/read-all", dependencies=[Depends(verify_csrf)])
    def notifications_read_all(request: Request, session: WebSession, actor: WebActor) -> Response:
        notifications.mark_all_read(session, actor)
        return RedirectResponse("/notifications", status_code=303)

    return web


def _safe_next(target: str) -> str:
    """Only same-site paths: no open redirect through ?next=."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
