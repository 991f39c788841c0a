"""Public web-to-lead forms (no API key): /forms/{slug} renders the form, POST submits it.

The page is self-contained (inline CSS, no external assets) so it can be linked or framed
from any site. A submission is accepted as application/x-www-form-urlencoded (a plain HTML
form) or JSON (a site's own script); HTML requests get HTML answers (the form again with
its errors, a thank-you page or a 303 to the form's redirect), JSON requests get JSON and
problem+json.

No ``from __future__ import annotations``: FastAPI reads the parameter types.
"""

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment

from nexa.api.deps import SessionDep
from nexa.api.proxies import client_address
from nexa.core import jsonbody
from nexa.core.errors import DomainError, ValidationFailed
from nexa.lead import webform
from nexa.models import WebForm

router = APIRouter(prefix="/forms", tags=["web forms (public)"])

MAX_BODY = 64 * 1024
PROBLEM = "application/problem+json"

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_FORM = _env.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ form.name }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1.5rem;color:#1f2937;background:#fff}
form{max-width:32rem;margin:0 auto}h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.9rem 0 .3rem}
input,select,textarea{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #cbd5e1;border-radius:6px;font:inherit}
textarea{min-height:6rem}.req{color:#b91c1c}.err{color:#b91c1c;font-size:.9rem;margin:.25rem 0 0}
.summary{background:#fef2f2;border:1px solid #fecaca;padding:.6rem;border-radius:6px}
button{margin-top:1.2rem;padding:.65rem 1.3rem;border:0;border-radius:6px;background:#2563eb;color:#fff;font:inherit;cursor:pointer}
.hp{position:absolute!important;left:-10000px!important;width:1px;height:1px;overflow:hidden}
</style></head>
<body>
<form method="post" action="{{ action }}" novalidate>
<h1>{{ form.name }}</h1>
{% if errors %}<p class="summary" role="alert">Please correct the fields marked below.</p>{% endif %}
{% for f in form.fields %}
{% set fid = "f_" ~ loop.index %}
<label for="{{ fid }}">{{ f.label }}{% if f.required %} <span class="req">*</span>{% endif %}</label>
{% if f.type == "textarea" %}
<textarea id="{{ fid }}" name="{{ f.key }}"{% if f.required %} required{% endif %}>{{ values.get(f.key, "") }}</textarea>
{% elif f.type == "select" %}
<select id="{{ fid }}" name="{{ f.key }}"{% if f.required %} required{% endif %}>
<option value="">—</option>
{% for o in f.options or [] %}<option value="{{ o }}"{% if values.get(f.key) == o %} selected{% endif %}>{{ o }}</option>
{% endfor %}
</select>
{% else %}
<input id="{{ fid }}" name="{{ f.key }}" type="{{ f.type if f.type in ("email", "tel") else "text" }}" value="{{ values.get(f.key, "") }}"{% if f.required %} required{% endif %}>
{% endif %}
{% if errors.get(f.key) %}<p class="err">{{ errors[f.key] }}</p>{% endif %}
{% endfor %}
<div class="hp" aria-hidden="true"><label for="hp_field">Leave this empty</label>
<input id="hp_field" name="{{ form.honeypot_field }}" type="text" tabindex="-1" autocomplete="off" value=""></div>
<button type="submit">Send</button>
</form>
</body></html>
"""  # noqa: E501
)

_THANKS = _env.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Thank you</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;padding:2rem;text-align:center;color:#1f2937}</style>
</head><body><p>{{ message }}</p></body></html>
"""
)


def _wants_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    accept = request.headers.get("accept", "")
    return "json" in content_type or ("application/json" in accept and "text/html" not in accept)


async def read_submission(request: Request) -> dict[str, Any]:
    """The submitted values: JSON object or urlencoded form (size-limited)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise ValidationFailed("the submission is too large", field="body")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ValidationFailed("the submission is too large", field="body")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        data = jsonbody.loads(raw or b"{}", field="body")
        if not isinstance(data, dict):
            raise ValidationFailed("send a JSON object", field="body")
        return data
    if content_type in ("application/x-www-form-urlencoded", ""):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed("the form is not UTF-8", field="body") from None
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=200)
        return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}
    raise ValidationFailed(
        "send application/x-www-form-urlencoded or application/json", field="content-type"
    )


SubmissionDep = Annotated[dict[str, Any], Depends(read_submission)]


def _render(form: WebForm, request: Request, values: dict[str, Any], errors: dict[str, str]) -> str:
    return _FORM.render(
        form=form,
        action=str(request.url.path),
        values={k: str(v) for k, v in values.items() if isinstance(v, str | int | float)},
        errors=errors,
    )


@router.get("/{slug}", response_class=HTMLResponse, summary="A public web form (HTML)")
def show_form(slug: str, request: Request, session: SessionDep) -> HTMLResponse:
    form = webform.public_form(session, slug)
    return HTMLResponse(_render(form, request, {}, {}))


@router.post("/{slug}", summary="Submit a public web form", response_model=None)
def submit_form(slug: str, request: Request, session: SessionDep, data: SubmissionDep) -> Response:
    as_json = _wants_json(request)
    client_ip = client_address(request)
    try:
        result = webform.submit(session, slug, data, client_ip=client_ip)
    except ValidationFailed as exc:
        if as_json:
            raise
        form = webform.public_form(session, slug)
        errors = {e["field"]: e["message"] for e in exc.errors if e.get("field")}
        return HTMLResponse(_render(form, request, data, errors), status_code=422)
    except DomainError:
        raise
    if as_json:
        body = {"status": "ok", "message": result.message, "redirect_url": result.redirect_to}
        return JSONResponse(body)
    if result.redirect_to:
        return RedirectResponse(result.redirect_to, status_code=303)
    return HTMLResponse(_THANKS.render(message=result.message))
