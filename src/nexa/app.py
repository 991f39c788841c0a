"""create_app(): the /api/v1 routers, the web sub-app, /static, and the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

import nexa.worker  # noqa: F401  (registers the jobs services enqueue after commit)
from nexa import __version__
from nexa.api import problems
from nexa.config import get_settings
from nexa.core.db import get_engine
from nexa.core.modules import import_if_present
from nexa.subscribers import install as install_subscribers

API_ROUTERS = [
    "nexa.account.endpoints",
    "nexa.contact.endpoints",
    "nexa.metadata.endpoints",
    "nexa.notification.endpoints",
    "nexa.user.endpoints",
    "nexa.team.endpoints",
    "nexa.auth.endpoints",
    "nexa.activity.endpoints",
    "nexa.job.endpoints",
    "nexa.lead.endpoints",
    "nexa.deal.endpoints",
    "nexa.product.endpoints",
    "nexa.quote.endpoints",
    "nexa.order.endpoints",
    "nexa.task.endpoints",
    "nexa.meeting.endpoints",
    "nexa.call.endpoints",
    "nexa.note.endpoints",
    "nexa.segment.endpoints",
    "nexa.imports.endpoints",
    "nexa.search.endpoints",
    "nexa.scoring.endpoints",
    "nexa.routing.endpoints",
    "nexa.forecast.endpoints",
    "nexa.enrichment.endpoints",
    "nexa.webhook.endpoints",
]
# Routers outside /api/v1 that answer without an API key (the public web-to-lead forms).
PUBLIC_ROUTERS = ["nexa.lead.public"]


def _import_router(module_name: str, attribute: str = "router") -> APIRouter | None:
    module = import_if_present(module_name)
    if module is None:
        return None
    router: APIRouter = getattr(module, attribute)
    return router


def api_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for module_name in API_ROUTERS:
        module_router = _import_router(module_name)
        if module_router is not None:
            router.include_router(module_router)
    return router


def create_app() -> FastAPI:
    from nexa.web.app import create_web_app

    settings = get_settings()
    install_subscribers()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    app = FastAPI(
        title="Nexa CRM API",
        version=__version__,
        description="REST API of Nexa CRM. Authenticate with `Authorization: Bearer <API key>`. "
        "Errors are problem+json (RFC 9457) naming the field.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(api_router())
    for module_name in PUBLIC_ROUTERS:
        public = _import_router(module_name)
        if public is not None:
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
        SessionMiddleware,
        secret_key=settings.effective_secret_key,
        session_cookie="nexa_session",
        max_age=settings.session_max_age_hours * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    return app
