"""Quote documents: a Jinja2 template (sandboxed, bounded, autoescaped) rendered to HTML, then drawn
as PDF by fpdf2's ``write_html`` (tables, h1–h6, p, b, i, u, br, font, ul/ol)."""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources
from typing import Any

from fpdf import FPDF

from nexa.core.errors import ValidationFailed
from nexa.core.templating import render_template


@lru_cache(maxsize=1)
def default_template() -> str:
    return (resources.files("nexa.quote") / "templates" / "quote.html").read_text("utf-8")


def render_html(template: str, context: dict[str, Any]) -> str:
    """Render ``template`` with the bounded renderer (nexa.core.templating: sandboxed, with
    output, loop, repetition and time limits); any failure is a 422 naming ``html``."""
    return render_template(template, context, field="html")


LOGO_BOX = (50.0, 20.0)  # at most this wide and high (mm), in the first page's top right


def html_to_pdf(html: str, *, compress: bool = True, logo: bytes | None = None) -> bytes:
    """Draw HTML with fpdf2's core fonts (Latin-1: other characters become '?'); ``logo``
    (a checked PNG or JPEG) in the first page's top-right corner."""
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    if logo:
        width, height = LOGO_BOX
        pdf.image(
            io.BytesIO(logo), x=pdf.w - pdf.r_margin - width, y=pdf.t_margin, w=width, h=height,
            keep_aspect_ratio=True,
        )  # fmt: skip
    safe = html.encode("latin-1", "replace").decode("latin-1")
    try:
        pdf.write_html(safe)
    except Exception as exc:
        raise ValidationFailed(
            f"the rendered HTML cannot be laid out as PDF: {type(exc).__name__}: {str(exc)[:200]}",
            field="html",
        ) from None
    return bytes(pdf.output())


def render_pdf(
    template: str, context: dict[str, Any], *, compress: bool = True, logo: bytes | None = None
) -> bytes:
    return html_to_pdf(render_html(template, context), compress=compress, logo=logo)
