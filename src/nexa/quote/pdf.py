"""Quote documents: a Jinja2 template (sandboxed, autoescaped) rendered to HTML, then drawn
as PDF by fpdf2's ``write_html`` (tables, h1–h6, p, b, i, u, br, font, ul/ol)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from fpdf import FPDF
from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from nexa.core.errors import ValidationFailed


@lru_cache(maxsize=1)
def default_template() -> str:
    return (resources.files("nexa.quote") / "templates" / "quote.html").read_text("utf-8")


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=True)


def _unsafe_names(tree: nodes.Node) -> list[str]:
    """Attribute or item names a template should never touch (dunders, privates)."""
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value if isinstance(node.arg.value, str) else None
        if name and name.startswith("_"):
            found.append(name)
    return found


def render_html(template: str, context: dict[str, Any]) -> str:
    """Render ``template`` in the sandbox; any failure is a 422 naming ``html``."""
    env = _environment()
    try:
        unsafe = _unsafe_names(env.parse(template))
        if unsafe:
            raise ValidationFailed(
                f"the template uses unsafe attributes: {', '.join(sorted(set(unsafe)))[:200]}",
                field="html",
            )
        return env.from_string(template).render(**context)
    except ValidationFailed:
        raise
    except TemplateSyntaxError as exc:
        raise ValidationFailed(
            f"template syntax error on line {exc.lineno}: {exc.message}", field="html"
        ) from None
    except Exception as exc:  # a sandbox refusal, a bad filter, a type error …
        raise ValidationFailed(
            f"the template does not render: {type(exc).__name__}: {str(exc)[:200]}",
            field="html",
        ) from None


def html_to_pdf(html: str, *, compress: bool = True) -> bytes:
    """Draw HTML with fpdf2's core fonts (Latin-1: other characters become '?')."""
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    safe = html.encode("latin-1", "replace").decode("latin-1")
    try:
        pdf.write_html(safe)
    except Exception as exc:
        raise ValidationFailed(
            f"the rendered HTML cannot be laid out as PDF: {type(exc).__name__}: {str(exc)[:200]}",
            field="html",
        ) from None
    return bytes(pdf.output())


def render_pdf(template: str, context: dict[str, Any], *, compress: bool = True) -> bytes:
    return html_to_pdf(render_html(template, context), compress=compress)
