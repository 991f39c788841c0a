"""What a message says: merge fields from the record, rendered in the bounded sandbox
(nexa.core.templating), user-written HTML cleaned with nh3, header values checked.

Merge fields: ``contact``, ``lead``, ``account``, ``deal``, ``owner`` (the record's owner) and
``organization``, each a mapping of the record's fields, and ``booking_link`` (the address of
the owner's booking page, else the sender's; ``owner.booking_link`` is the owner's only).
A field with no value, and a record the message is not about (or that the sender cannot
read), is *undefined*: it renders as nothing, and
``{{ contact.first_name | default("there") }}`` gives the default."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Mapping
from typing import Any

import nh3

from nexa.core.errors import ValidationFailed
from nexa.core.schemas import check_line_text
from nexa.core.templating import render_template

# The fields of each record a template may use (ids, keys and scores stay out).
MERGE_FIELDS: dict[str, tuple[str, ...]] = {
    "lead": (
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "title",
        "industry",
        "website",
        "country",
        "source",
        "status",
    ),
    "contact": ("first_name", "last_name", "email", "phone", "mobile", "title", "department"),
    "account": ("name", "industry", "website", "phone", "type", "tier"),
    "deal": ("name", "amount", "currency", "stage", "close_date", "type"),
    "owner": ("full_name", "email", "booking_link"),  # booking_link: see merge_context
}
# Tags and attributes kept in user-written HTML: nh3's defaults (no script, style, iframe,
# form; no event handlers; URLs only http, https, mailto — never javascript:).
URL_SCHEMES = {"http", "https", "mailto"}
_TAGS = re.compile(r"<[^>]+>")


def fields_of(kind: str, row: Any) -> dict[str, Any]:
    """The merge fields of one row; a field without a value is left out (undefined)."""
    if row is None:
        return {}
    values: dict[str, Any] = {}
    for name in MERGE_FIELDS[kind]:
        value = getattr(row, name, None)
        if value is not None and value != "":
            values[name] = value if isinstance(value, str | int | float) else str(value)
    first, last = values.get("first_name"), values.get("last_name")
    if first or last:
        values["full_name"] = " ".join(str(p) for p in (first, last) if p)
    if kind == "owner" and values.get("full_name"):
        values["first_name"] = str(values["full_name"]).split()[0]
    return values


AttributeFilter = Callable[[str, str, str], str | None]


def clean_html(source: str, attribute_filter: AttributeFilter | None = None) -> str:
    """User-written HTML made safe to send: scripts, styles, event handlers and
    ``javascript:`` links removed (nh3, the Ammonia sanitizer). ``attribute_filter`` sees each
    attribute kept, in document order, during the same parse (the tracked-link rewrite)."""
    if attribute_filter is None:
        return nh3.clean(source, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")
    return nh3.clean(
        source,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=attribute_filter,
    )


def text_of_html(source: str) -> str:
    """A plain-text alternative of cleaned HTML: block ends become line breaks, tags go."""
    spaced = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])>", "\n", source)
    text = html_lib.unescape(nh3.clean(_TAGS.sub("", spaced), tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_TEMPLATE_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.S)
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def html_of_text(source: str) -> str:
    """An HTML template for a plain-text one (what a person types in the compose box):
    paragraphs at blank lines, line breaks kept, ``http(s)`` addresses made links (so they
    can be tracked); the text between template tags is escaped, the tags are kept as they are
    (their values are escaped when rendered)."""
    out = []
    for i, part in enumerate(_TEMPLATE_TAG.split(source)):
        if i % 2:
            out.append(part)
            continue
        pieces = []
        last = 0
        for found in _URL.finditer(part):
            pieces.append(html_lib.escape(part[last : found.start()], quote=False))
            url = html_lib.escape(found.group(0))
            pieces.append(f'<a href="{url}">{url}</a>')
            last = found.end()
        pieces.append(html_lib.escape(part[last:], quote=False))
        out.append("".join(pieces))
    paragraphs = re.split(r"\n\s*\n", "".join(out).strip())
    return "".join(f"<p>{p.strip().replace(chr(10), '<br>')}</p>" for p in paragraphs if p.strip())


def header_value(value: str, field: str) -> str:
    """``value`` if it can be an email header (one line, no control characters); a 422 naming
    ``field`` otherwise: a CR or LF in a subject or a name is how headers are injected."""
    try:
        check_line_text(value, multi_line=False)
    except ValueError as exc:
        raise ValidationFailed(f"{field} {exc}", field=field) from None
    return value


def render(
    context: Mapping[str, Any],
    *,
    subject: str,
    text: str | None,
    html: str | None,
    fields: tuple[str, str, str] = ("subject", "text", "html"),
    attribute_filter: AttributeFilter | None = None,
) -> tuple[str, str, str | None]:
    """Subject, text and HTML rendered with ``context``; the HTML cleaned (through
    ``attribute_filter`` when given), the text made from it when none was written. Any
    template failure is a 422 naming its field."""
    subject_field, text_field, html_field = fields
    rendered_subject = render_template(
        subject, context, field=subject_field, autoescape=False
    ).strip()
    if not rendered_subject:
        raise ValidationFailed("the subject is empty once rendered", field=subject_field)
    header_value(rendered_subject, subject_field)
    rendered_html = None
    if html and html.strip():
        rendered_html = clean_html(
            render_template(html, context, field=html_field), attribute_filter
        )
    if text and text.strip():
        rendered_text = render_template(text, context, field=text_field, autoescape=False)
    elif rendered_html is not None:
        rendered_text = text_of_html(rendered_html)
    else:
        raise ValidationFailed("write a text or an HTML body", field=text_field)
    return rendered_subject, rendered_text, rendered_html
