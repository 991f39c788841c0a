"""create_app(): the /api/v1 routers, the web sub-app, /static, and the lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from nexa import __version__, modules
from nexa.api import problems
from nexa.api.bodies import InputLimits
from nexa.api.headers import SecurityHeaders, docs_csp
from nexa.api.proxies import TrustedProxyMiddleware
from nexa.config import get_settings
from nexa.core.db import get_engine
from nexa.core.files import restrict_umask
from nexa.subscribers import install as install_subscribers

API_PREFIX = "/api/v1"
DOCS_URL = "/api/docs"
OPENAPI_URL = "/api/openapi.json"
VENDOR = "/static/vendor"


def api_routers() -> list[APIRouter]:
    return modules.routers(modules.API_ROUTERS)


class WebSessionMiddleware(SessionMiddleware):
    """The web UI's signed cookie session, left out of /api/ requests: they authenticate with
    a bearer key and never read a session, so they skip the cookie parsing and the wrapped
    ``send`` (pure ASGI, no per-request task or body buffering either way)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class NexaAPI(FastAPI):
    """The application, wrapped in :class:`SecurityHeaders` outside Starlette's own error
    middleware: every response, an unhandled 500 included, carries the security headers."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def docs_page(title: str) -> HTMLResponse:
    """Swagger UI from the package's own /static files (scripts/setup.sh copies them from npm
    ``swagger-ui-dist``), never a CDN; its one inline start-up script is allowed by hash."""
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=f"{title} – docs",
        swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui.css",
        swagger_favicon_url=f"{VENDOR}/swagger-ui-favicon-32x32.png",
        # no badge fetched from validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )
    html = bytes(page.body).decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_csp(html)})


_heap_frozen = False


def freeze_startup_heap() -> None:
    """Once per process, when the app starts serving: move the ~350k objects of start-up
    (modules, routes, schemas, mappers) out of the garbage collector's reach. Otherwise every
    full collection walks them all, a pause of 0.1-0.7 s in the middle of requests every few
    thousand requests (most of the API's p99). Only what requests create is collected."""
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    gc.collect()
    gc.freeze()


def create_app() -> FastAPI:
    from nexa.web.app import create_web_app

    settings = get_settings()
    install_subscribers()
    modules.load(modules.JOBS)  # the jobs services enqueue after commit

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # files this server writes (uploads, recordings, the database) are its user's only,
        # however it was started (`nexa serve` also corrects existing modes: nexa.core.files)
        restrict_umask()
        freeze_startup_heap()
        yield

    app = NexaAPI(
        title="Nexa CRM API",
        version=__version__,
        description="REST API of Nexa CRM. Authenticate with `Authorization: Bearer <API key>`. "
        "Errors are problem+json (RFC 9457) naming the field.",
        docs_url=None,  # served below, from the package's files
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        lifespan=lifespan,
    )
    docs = docs_page(app.title)

    @app.get(DOCS_URL, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return docs

    problems.install(app)
    # Each domain's router straight under the app, not under an /api/v1 router of routers:
    # FastAPI (>= 0.137) keeps included routers as nodes and resolves every level on each
    # request (walking all the routes below it), so a level fewer is less work per request.
    for router in api_routers():
        app.include_router(router, prefix=API_PREFIX)
    for public in modules.routers(modules.PUBLIC_ROUTERS):
        app.include_router(public)

    @app.get("/health", tags=["meta"], summary="Liveness and database check")
    def health() -> JSONResponse:
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # the point is to say so, not to crash
            return JSONResponse({"status": "error", "database": str(exc)[:200]}, status_code=503)
        return JSONResponse({"status": "ok", "version": __version__})

    static_dir = Path(__file__).parent / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    web = create_web_app()
    app.mount("/", web)
    app.add_middleware(
        WebSessionMiddleware,
        secret_key=settings.effective_secret_key,
        session_cookie="nexa_session",
        max_age=settings.session_max_age_hours * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(InputLimits)
    # outermost: every layer below sees the client (and scheme) a trusted proxy forwarded
    app.add_middleware(TrustedProxyMiddleware)
    return app
