"""The public side of sent mail (no API key, no session, no CSRF token: the signed token in
the address is the authority, and it names one message):

* ``GET /e/o/{token}`` — the open pixel: always a 1x1 GIF (``Cache-Control: no-store``);
  an open is recorded only when the token is valid (a forged or expired one records nothing
  and looks the same, so the pixel tells a prober nothing and never shows a broken image).
* ``GET /e/c/{token}`` — a tracked link: a 302 to the link's original URL, taken from the
  message row (never from the request), the click recorded; a forged, expired or unknown
  token is a 404 page, never a redirect.
* ``GET /email/unsubscribe/{token}`` — a plain page with a button (this type of mail, or
  every type); ``POST`` to the same address unsubscribes: the RFC 8058 one-click POST
  (``List-Unsubscribe=One-Click``, sent by mail providers without cookies) and the page's
  form alike. 200 with a short page; 404 for a forged token.

No ``from __future__ import annotations``: FastAPI reads the parameter types.
"""

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from nexa.api.deps import SessionDep
from nexa.api.proxies import client_address
from nexa.core.errors import NotFound
from nexa.email import engagement, tracking

router = APIRouter(tags=["email (public)"])
MAX_BODY = 4096
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Referrer-Policy": "no-referrer"}

_env = Environment(autoescape=True)
_PAGE = _env.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:2rem;color:#1f2937}
main{max-width:32rem;margin:0 auto}h1{font-size:1.3rem}
button{margin:.4rem .4rem 0 0;padding:.6rem 1.1rem;border:0;border-radius:6px;background:#2563eb;color:#fff;font:inherit;cursor:pointer}
button.all{background:#b91c1c}
</style></head>
<body><main>
<h1>{{ title }}</h1>
<p>{{ message }}</p>
{% if action %}
<form method="post" action="{{ action }}">
<button type="submit" name="scope" value="type">Unsubscribe from {{ type }} mail</button>
<button class="all" type="submit" name="scope" value="all">Unsubscribe from all our mailings</button>
</form>
{% endif %}
</main></body></html>
"""  # noqa: E501
)


def _page(title: str, message: str, status: int = 200, **extra: str) -> HTMLResponse:
    html = _PAGE.render(title=title, message=message, **extra)
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def _agent(request: Request) -> str | None:
    return request.headers.get("user-agent")


@router.get(
    "/e/o/{token}",
    summary="Open pixel of a sent message (always a 1x1 GIF)",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}}},
)
def open_pixel(token: str, request: Request, session: SessionDep) -> Response:
    engagement.record_open(session, token, user_agent=_agent(request), ip=client_address(request))
    return Response(tracking.PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get(
    "/e/c/{token}",
    summary="Tracked link of a sent message: a redirect to the link's own URL",
    response_class=Response,
    responses={302: {"description": "To the link's URL"}, 404: {"description": "Not valid"}},
)
def follow_link(token: str, request: Request, session: SessionDep) -> Response:
    try:
        url = engagement.click_target(
            session, token, user_agent=_agent(request), ip=client_address(request)
        )
    except NotFound:
        return _page("Link not valid", "This link is not valid, or it has expired.", 404)
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


@router.get(
    "/email/unsubscribe/{token}",
    summary="Unsubscribe page of a sent message (a button posts to the same address)",
    response_class=HTMLResponse,
)
def unsubscribe_page(token: str, request: Request, session: SessionDep) -> HTMLResponse:
    try:
        message = engagement.unsubscribe_message(session, token)
    except NotFound:
        return _page("Link not valid", "This unsubscribe link is not valid.", 404)
    kind = engagement.unsubscribe_types(message, everything=False)[0]
    who = ", ".join(r["address"] for r in message.to) or "this address"
    return _page(
        "Unsubscribe",
        f"Stop sending mail like “{message.subject}” to {who}?",
        action=str(request.url.path),
        type=kind,
    )


async def unsubscribe_scope(request: Request) -> str:
    """What the POST asks for: ``all`` (the page's second button) or the message's own type
    (the first button, and RFC 8058's ``List-Unsubscribe=One-Click`` in any encoding)."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if len(raw) > MAX_BODY or content_type != "application/x-www-form-urlencoded":
        return "type"
    try:
        fields = parse_qs(raw.decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return "type"
    return "all" if fields.get("scope") == ["all"] else "type"


@router.post(
    "/email/unsubscribe/{token}",
    summary="Unsubscribe (RFC 8058 one-click, or the page's button); no cookie or CSRF token",
    response_class=HTMLResponse,
)
def unsubscribe_now(
    token: str,
    session: SessionDep,
    scope: Annotated[str, Depends(unsubscribe_scope)],
) -> HTMLResponse:
    try:
        types = engagement.unsubscribe_by_token(session, token, everything=scope == "all")
    except NotFound:
        return _page("Link not valid", "This unsubscribe link is not valid.", 404)
    return _page(
        "You are unsubscribed",
        f"You will get no more {', '.join(types)} mail from us at this address.",
    )
