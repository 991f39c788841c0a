"""The bounded renderer (nexa.core.templating): hostile templates are refused quickly, with
the reason, and ordinary ones render as Jinja renders them.

Each hostile template below took the server down (gigabytes, or hours) in the plain
sandbox; here each must be refused within ``QUICK`` seconds with a reason that names the
limit. ``QUICK`` is generous for a loaded 2-core machine: most are refused in < 10 ms."""

from __future__ import annotations

import time

import pytest

from nexa.core.templating import TemplateLimits, TemplateRefused, render_template

QUICK = 8.0  # seconds; the render deadline itself is 2 s
BIG = "{% set b = 'x' * 999999 %}"

HOSTILE = {
    "huge multiplication": ("{{ 'x' * 1000000000 }}", "* repetition"),
    "multiplication, int first": ("{{ 1000000000 * 'x' }}", "* repetition"),
    "list multiplication": ("{{ ['x'] * 1000000000 }}", "* repetition"),
    "power": ("{{ 2 ** 10000000 }}", "power"),
    "product of big numbers": (
        "{% set n = 2 ** 15000 %}{{ n * n }}",
        "more than 20,000 bits",
    ),
    "huge range": ("{{ range(10**9)|list }}", "range()"),
    "nested loops": (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
        "loop iterations",
    ),
    "center filter": ("{{ 'x'|center(10**9) }}", "center()"),
    "indent filter": ("{{ 'a\nb\nc'|indent(10**9) }}", "indent()"),
    "indent with a string": (BIG + "{{ 'a\nb\nc'|indent(b) }}", "indent()"),
    "wordwrap of a long word": (BIG + "{{ b|wordwrap(1) }}", "wordwrap()"),
    "wordwrap string": ("{{ 'xxxx'|wordwrap(1, wrapstring='y' * 999999) }}", "wordwrap()"),
    "format filter": ("{{ '%1000000000d'|format(1) }}", "format()"),
    "% operator": ("{{ '%1000000000d' % 1 }}", "% format"),
    "% star width": ("{{ '%*d' % (1000000000, 1) }}", "'*' widths"),
    "str.format width": ("{{ '{:>1000000000}'.format(1) }}", "str.format()"),
    "str.format repeated field": (BIG + "{{ '{0}{0}{0}'.format(b) }}", "str.format()"),
    "string methods": ("{{ 'x'.ljust(10**9) }}", "ljust()"),
    "zfill": ("{{ '1'.zfill(10**9) }}", "zfill()"),
    "expandtabs": ("{{ 'x\t'.expandtabs(10**9) }}", "expandtabs()"),
    "replace filter": ("{{ 'aaaa'|replace('a', 'x' * 500000) }}", "replace()"),
    "replace method": ("{{ 'ab'.replace('', 'x' * 500000) }}", "replace()"),
    "join method": (BIG + "{{ b.join(range(100)|map('string')) }}", "join()"),
    "join filter": (BIG + "{{ [b, b]|join }}", "join()"),
    "sum of lists": (
        "{% set l = range(4000)|list %}{{ [" + ", ".join(["l"] * 60) + "]|sum(start=[]) }}",
        "sum()",
    ),
    "batch with fill": ("{{ range(10)|batch(10**9, 'x')|list }}", "batch()"),
    "slice": ("{{ range(10)|slice(10**9)|list }}", "slice()"),
    "lipsum": ("{{ lipsum(10**6) }}", "lipsum()"),
    "doubling with ~": (
        "{% set ns = namespace(s='x') %}{% for i in range(60) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "~ concatenation",
    ),
    "doubling with +": (
        "{% set ns = namespace(s=['x']) %}{% for i in range(60) %}"
        "{% set ns.s = ns.s + ns.s %}{% endfor %}",
        "the result of +",
    ),
    "many big values": (BIG + "{{ range(1000)|map('replace', '', b)|list|length }}", "replace()"),
    "printed list of big values": (BIG + "{% set l = [b, b, b] %}{{ l }}", "an output value"),
    "output of a loop": (BIG + "{% for i in range(100) %}{{ b }}{% endfor %}", "the output"),
    "literal text in a loop": (
        "{% for i in range(10000) %}" + "y" * 50_000 + "{% endfor %}",
        "the output",
    ),
    "captured in a macro": (
        "{% macro m() %}{% for i in range(10000) %}"
        + "y" * 50_000
        + "{% endfor %}{% endmacro %}{{ m()|length }}",
        "characters of text while rendering",
    ),
    "captured in a set block": (
        "{% set s %}{% for i in range(10000) %}" + "y" * 5_000 + "{% endfor %}{% endset %}1",
        "characters of text while rendering",
    ),
    "recursive macro": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "nested"),
    "exponential macro": (
        "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
        "loop iterations and calls|longer than 2 s",
    ),
    "recursive loop": (
        "{% for x in range(100) recursive %}{% if loop.depth < 5 %}{{ loop(range(100)) }}"
        "{% endif %}{% endfor %}",
        "loop iterations and calls|longer than 2 s",
    ),
    "many slices (copies)": (
        BIG + "{% set l = [" + ", ".join(f"b[{i}:]" for i in range(1, 40)) + "] %}",
        "characters of text while rendering",
    ),
    "fromkeys": ("{{ dict.fromkeys(range(10000), 'x' * 999999) }}", "limit"),
}


@pytest.mark.parametrize("source,reason", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_template_is_refused_quickly_with_the_reason(source: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateRefused) as caught:
        render_template(source, {}, field="html")
    elapsed = time.monotonic() - started
    assert elapsed < QUICK, f"refused only after {elapsed:.1f} s"
    error = caught.value
    assert error.status == 422 and error.field == "html"
    assert error.errors == [{"field": "html", "message": error.detail}]
    assert "exceeds a limit" in error.detail, error.detail
    # a step budget or, on a loaded machine, the deadline may come first: either is a refusal
    assert any(r in error.detail for r in reason.split("|")), error.detail


def test_slow_template_stops_at_the_deadline() -> None:
    # nothing here is big: each step sorts a list of 10,000, 10,000 times (~10 s of work)
    source = "{% for i in range(10000) %}{{ (range(10000)|list|sort)[0] }}{% endfor %}"
    limits = TemplateLimits(max_render_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(TemplateRefused, match=r"longer than 0\.5 s"):
        render_template(source, {}, field="body", limits=limits)
    assert time.monotonic() - started < QUICK


def test_the_limits_are_the_given_ones() -> None:
    small = TemplateLimits(max_output_chars=1_000, max_iterations=100, max_range=50)
    assert render_template("{{ 'x' * 1000 }}", {}, field="t", limits=small) == "x" * 1000
    with pytest.raises(TemplateRefused, match="more than the limit of 1,000"):
        render_template("{{ 'x' * 1001 }}", {}, field="t", limits=small)
    with pytest.raises(TemplateRefused, match="range"):
        render_template("{% for i in range(51) %}{% endfor %}", {}, field="t", limits=small)
    with pytest.raises(TemplateRefused, match="more than 100 loop iterations"):
        render_template(
            "{% for i in range(50) %}{% for j in range(3) %}{% endfor %}{% endfor %}",
            {},
            field="t",
            limits=small,
        )


def test_ordinary_templates_render_as_jinja_does() -> None:
    context = {
        "quote": {"number": "Q-000001", "total": "1,234.50"},
        "lines": [{"name": "A & B", "total": "10.00"}, {"name": "C", "total": "2.00"}],
    }
    source = (
        "{% macro row(l) %}<tr><td>{{ l.name }}</td><td>{{ l.total }}</td></tr>{% endmacro %}"
        "<h1>{{ quote.number|upper }}</h1><table>{% for l in lines %}{{ row(l) }}{% endfor %}"
        "</table><p>{{ '%.2f'|format(1.5) }} {{ '{:>6}'.format('x') }} {{ 'ab' * 3 }}"
        " {{ lines|map(attribute='name')|join(', ') }} {{ range(3)|sum }} {{ 2 ** 10 }}"
        " {{ 'a' ~ 'b' }} {{ loop_free|default('-') }} {{ 'abcdef'[1:3] }}{{ [1, 2, 3][::2] }}</p>"
    )
    html = render_template(source, context, field="html")
    assert html == (
        "<h1>Q-000001</h1><table><tr><td>A &amp; B</td><td>10.00</td></tr>"
        "<tr><td>C</td><td>2.00</td></tr></table>"
        "<p>1.50      x ababab A &amp; B, C 3 1024 ab - bc[1, 3]</p>"
    )


def test_sandbox_refusals_and_errors_are_422s_naming_the_field() -> None:
    for bad in (
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{% for x in %}",
        "{{ x | nosuchfilter }}",
        "{{ 1 / 0 }}",
        "{% set l = [] %}{{ l.append(1) }}",  # immutable: no mutating methods
        "{% include 'other.html' %}",
    ):
        with pytest.raises(TemplateRefused) as caught:
            render_template(bad, {}, field="subject")
        assert caught.value.field == "subject", bad
