"""One bounded renderer for every template a user writes (the quote PDF now; email, campaign
and workflow templates reuse it).

Jinja's sandbox stops a template from reaching Python internals, but not from asking for
more than the server has: ``{{ 'x' * 1000000000 }}`` allocated gigabytes (at compile time:
Jinja folds constants), ``{% for i in range(10**5) %}{% for j in range(10**5) %}`` ran for
hours. ``BoundedEnvironment`` is the immutable sandbox plus a budget for one render:

* **output**: the rendered text, and any single value made while rendering (a string, a
  list's printed size), at most ``template_max_output_chars``; everything made while
  rendering, captured output included (macros, ``{% set %}`` blocks, filter results),
  at most ``WORK_FACTOR`` times that;
* **repetition**: ``*``, ``**``, ``%``, ``+``, ``~``, ``str.format`` and the filters
  and string methods that pad or repeat (``center``, ``indent``, ``wordwrap``, ``replace``,
  ``join``, ``format``, ``sum``, ``batch``, ``slice``, ``ljust`` …) are checked *before*
  they run, from the sizes of their operands;
* **loops and calls**: ``range()`` at most ``template_max_range`` items; loop iterations
  and calls (macros, methods, globals) together at most ``template_max_iterations``;
  calls nested at most ``MAX_CALL_DEPTH`` deep;
* **time**: a wall-clock deadline of ``template_max_render_seconds``, checked at every
  loop iteration, call, filter and operator (anything that repeats is one of these) and
  every 64 output chunks (no threads: the render stops itself).

Compile-time constant folding is off (``optimized=False``), so nothing is evaluated before
the budget exists. Three hooks reach into Jinja's code generator (3.1, pinned): every
``for`` loop's iterable is wrapped in a counting iterator, and ``~`` and slices go through a
size check. tests/core/test_templating.py holds each with a hostile template, so a Jinja
upgrade that changes these internals fails there, not in production.

``render_template`` refuses with ``TemplateRefused`` (a 422 naming the caller's field and
the reason); callers use it at save (a trial render against a sample record) and at send.
"""

from __future__ import annotations

import math
import re
import string
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from jinja2 import Template, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, generate_lorem_ipsum

from nexa.core.errors import ValidationFailed

WORK_FACTOR = 10  # text made while rendering (captured output included) vs the output limit
MAX_CALL_DEPTH = 64  # calls nested inside calls (macros calling macros)
MAX_INT_BITS = 20_000  # ≈ 6,000 digits: more than any document needs
MAX_LIPSUM_PARAGRAPHS = 20


@dataclass(frozen=True)
class TemplateLimits:
    max_output_chars: int = 1_000_000
    max_render_seconds: float = 2.0
    max_iterations: int = 100_000
    max_range: int = 10_000

    @classmethod
    def from_settings(cls) -> TemplateLimits:
        from nexa.config import get_settings

        s = get_settings()
        return cls(
            max_output_chars=s.template_max_output_chars,
            max_render_seconds=s.template_max_render_seconds,
            max_iterations=s.template_max_iterations,
            max_range=s.template_max_range,
        )


class TemplateLimitExceeded(Exception):
    """A render asked for more than its budget (never an AttributeError: Jinja would
    swallow that one and carry on)."""


class TemplateRefused(ValidationFailed):
    """The template does not render within the limits (or at all): a 422 naming the field."""


class _Budget:
    __slots__ = ("deadline", "depth", "iterations", "limits", "work")

    def __init__(self, limits: TemplateLimits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_render_seconds
        self.iterations = 0
        self.work = 0
        self.depth = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimitExceeded(
                f"rendering took longer than {self.limits.max_render_seconds:g} s"
            )

    def step(self, literal: int = 0) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise TemplateLimitExceeded(
                f"more than {self.limits.max_iterations:,} loop iterations and calls"
            )
        if literal:
            self.spend(literal)
        self.tick()

    def allow(self, size: int, what: str) -> None:
        """Refuse a value of ``size`` characters before it is made."""
        if size > self.limits.max_output_chars:
            raise TemplateLimitExceeded(
                f"{what} would be {_count(size)} characters, more than the limit of "
                f"{self.limits.max_output_chars:,}"
            )

    def spend(self, size: int) -> None:
        self.work += size
        if self.work > self.limits.max_output_chars * WORK_FACTOR:
            raise TemplateLimitExceeded(
                f"the template made more than {self.limits.max_output_chars * WORK_FACTOR:,} "
                "characters of text while rendering"
            )


def _count(size: int) -> str:
    return f"{size:,}" if size < 10**15 else f"about 10^{int(math.log10(size))}"


_current: ContextVar[_Budget | None] = ContextVar("nexa_template_budget", default=None)


def _budget() -> _Budget:
    budget = _current.get()
    # outside render_template (the environment used on its own): default limits, per call
    return budget if budget is not None else _Budget(TemplateLimits())


# -- sizes ------------------------------------------------------------------------------
def weight(value: Any, limit: int, _depth: int = 0) -> int:
    """About how many characters ``value`` prints as; stops counting past ``limit``."""
    if isinstance(value, str | bytes):
        return len(value)
    if value is None or isinstance(value, bool | float):
        return 8
    if isinstance(value, int):
        return max(1, value.bit_length() * 3 // 10 + 1)
    if _depth > 20:
        return limit + 1
    if isinstance(value, Namespace):
        value = dict(value._Namespace__attrs)
    items: Any
    if isinstance(value, Mapping):
        items = (x for kv in value.items() for x in kv)
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        return 16
    total = 2
    for item in items:
        total += 2 + weight(item, limit, _depth + 1)
        if total > limit:
            return total
    return total


def _int_bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def _percent_size(fmt: str, args: Any, limit: int) -> int:
    """An upper bound for ``fmt % args`` (a ``*`` width is refused)."""
    values = args.values() if isinstance(args, Mapping) else args
    values = values if isinstance(values, tuple | list) or isinstance(args, Mapping) else [values]
    widest = max((weight(v, limit) for v in values), default=0)
    size = len(fmt)
    for width, precision, _ in _PERCENT.findall(fmt):
        if "*" in (width, precision):
            raise TemplateLimitExceeded("'*' widths in % formatting are not allowed")
        size += max(int(width or 0), int(precision or 0), widest)
        if size > limit:
            return size
    return size


def _format_size(fmt: str, args: Any, kwargs: Any, limit: int) -> int:
    """An upper bound for ``fmt.format(*args, **kwargs)``."""
    values = list(args) + list(kwargs.values() if isinstance(kwargs, Mapping) else [])
    widest = max((weight(v, limit) for v in values), default=0)
    size = len(fmt)
    for _, field, spec, _ in string.Formatter().parse(fmt):
        if field is None:
            continue
        if spec and "{" in spec:
            raise TemplateLimitExceeded("nested fields in format specifications are not allowed")
        numbers = [int(n) for n in re.findall(r"\d+", spec or "")]
        size += max([widest, *numbers])
        if size > limit:
            return size
    return size


def _pad_size(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> int:
    width = args[0] if args else kwargs.get("width", kwargs.get("tabsize", 0))
    width = width if isinstance(width, int) else 0
    if name == "expandtabs":
        return len(value) + value.count("\t" if isinstance(value, str) else b"\t") * width
    return max(len(value), width)


def _replace_size(value: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return len(value)
    if not isinstance(value, type(old)):
        value = str(value)
    hits = value.count(old) if old else len(value) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(value) + hits * max(0, len(new) - len(old))


# -- what a render may call -------------------------------------------------------------
def _checked_range(*args: int) -> range:
    rng = range(*args)
    limit = _budget().limits.max_range
    if len(rng) > limit:
        raise TemplateLimitExceeded(f"range() of {_count(len(rng))} items, more than {limit:,}")
    return rng


def _checked_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    if n > MAX_LIPSUM_PARAGRAPHS or max > 1_000 or min > max:
        raise TemplateLimitExceeded(f"lipsum() of more than {MAX_LIPSUM_PARAGRAPHS} paragraphs")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


class _CountedIterator:
    """Every ``for`` loop iterates through one of these: each item is a step of the budget,
    and the loop body's literal text counts as text made."""

    __slots__ = ("_items", "literal")

    def __init__(self, iterable: Any, literal: int) -> None:
        self._items = iter(iterable)
        self.literal = literal

    def __iter__(self) -> _CountedIterator:
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        _budget().step(self.literal)
        return item


def _value_of(args: tuple[Any, ...], func: Callable[..., Any]) -> tuple[Any, tuple[Any, ...]]:
    """(the filtered value, the filter's own arguments) — past any context argument."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    return (args[skip] if len(args) > skip else None), args[skip + 1 :]


def _filter_precheck(name: str, value: Any, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    budget = _budget()
    limit = budget.limits.max_output_chars
    text_len = weight(value, limit)
    if name == "center":
        budget.allow(max(text_len, _pad_size("", args, kw, name)), "center()")
    elif name == "indent":
        width = args[0] if args else kw.get("width", 4)
        pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        lines = str(value).count("\n") + 1 if text_len <= limit else 1
        budget.allow(text_len + lines * pad, "indent()")
    elif name == "wordwrap":
        width = args[0] if args else kw.get("width", 79)
        wrap = args[2] if len(args) > 2 else kw.get("wrapstring") or "\n"
        width = width if isinstance(width, int) and width > 0 else 1
        budget.allow(text_len + (text_len // width + 1) * len(str(wrap)), "wordwrap()")
    elif name == "replace":
        size = text_len
        if text_len <= limit:
            size = _replace_size(str(value), *args[:3], **kw)
        budget.allow(size, "replace()")
    elif name == "format" and text_len <= limit:
        budget.allow(_percent_size(str(value), kw or args, limit), "format()")
    elif name in ("batch", "slice"):
        count = args[0] if args else kw.get("linecount", kw.get("slices", 0))
        if isinstance(count, int) and count > budget.limits.max_range:
            raise TemplateLimitExceeded(f"{name}() of {_count(count)} items")
    if text_len > limit:
        budget.allow(text_len, f"the value given to {name}()")


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        value, rest = _value_of(args, func)
        if name in ("join", "sum") and value is not None and not isinstance(value, str):
            value = list(value)  # sized before joining or summing
            skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
            args = (*args[:skip], value, *rest)
            sep = rest[0] if rest else kwargs.get("d", "")
            start = rest[1] if name == "sum" and len(rest) > 1 else kwargs.get("start", 0)
            extra = len(str(sep)) * len(value) if name == "join" else weight(start, 0)
            if name == "join" or not isinstance(start, int | float):
                budget.allow(weight(value, budget.limits.max_output_chars) + extra, f"{name}()")
        _filter_precheck(name, value, rest, kwargs)
        result = func(*args, **kwargs)
        _made(result, f"the result of {name}()")
        return result

    return bounded


def _made(result: Any, what: str) -> None:
    """Weigh a value just made by a filter, call or operator."""
    budget = _budget()
    if isinstance(result, str | bytes | list | tuple | dict | Namespace):
        size = weight(result, budget.limits.max_output_chars)
        budget.allow(size, what)
        budget.spend(size)
    elif _int_bits(result) > MAX_INT_BITS:
        raise TemplateLimitExceeded(f"{what} is a number of more than {MAX_INT_BITS:,} bits")


_PAD_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _method_precheck(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    budget = _budget()
    limit = budget.limits.max_output_chars
    if isinstance(owner, str | bytes):
        if name in _PAD_METHODS:
            budget.allow(_pad_size(owner, args, kwargs, name), f"{name}()")
        elif name == "replace":
            budget.allow(_replace_size(owner, *args[:3], **kwargs), "replace()")
        elif name == "join" and args:
            items = list(args[0])
            args = (items,)
            budget.allow(weight(items, limit) + len(owner) * len(items), "join()")
    elif isinstance(owner, dict) and name == "fromkeys" and args:
        budget.allow(weight(list(args[0]), limit), "fromkeys()")
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, str | bytes | list | tuple | dict) and weight(arg, limit) > limit:
            budget.allow(weight(arg, limit), f"an argument of {name or 'a call'}()")


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator with three changes: ``for`` loops iterate through
    ``environment.counted``, ``~`` goes through ``environment.bounded_concat`` and slices
    (copies) through ``environment.bounded_slice``."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            literal = sum(len(data.data) for data in loop.find_all(nodes.TemplateData))
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("counted"),
                [loop.iter, nodes.Const(literal)],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        super().visit_Template(node, frame)

    @optimizeconst
    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        if not isinstance(node.arg, nodes.Slice):
            super().visit_Getitem(node, frame)
            return
        # a slice makes a copy: through environment.bounded_slice (Jinja writes obj[a:b])
        self.write("environment.bounded_slice(")
        self.visit(node.node, frame)
        self.write(", slice(")
        for part in (node.arg.start, node.arg.stop, node.arg.step):
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
            self.write(", ")
        self.write("))")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"environment.bounded_concat({func_name}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with a budget per render (see the module's docstring)."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *, autoescape: bool = True) -> None:
        super().__init__(autoescape=autoescape, optimized=False, finalize=self._finalize)
        self.globals["range"] = _checked_range
        self.globals["lipsum"] = _checked_lipsum
        self.filters = {name: _bounded_filter(name, f) for name, f in FILTERS.items()}

    # -- the hooks ------------------------------------------------------------------
    @staticmethod
    def _finalize(value: Any) -> Any:
        budget = _budget()
        size = len(value) if type(value) is str else weight(value, budget.limits.max_output_chars)
        budget.allow(size, "an output value")
        budget.spend(size)
        return value

    def counted(self, iterable: Any, literal: int = 0) -> _CountedIterator:
        return _CountedIterator(iterable, literal)

    def bounded_concat(self, join: Callable[[Any], str], parts: tuple[Any, ...]) -> str:
        budget = _budget()
        limit = budget.limits.max_output_chars
        size = 0
        for part in parts:
            size += weight(part, limit)
            budget.allow(size, "a ~ concatenation")
        budget.spend(size)
        return join(parts)

    def bounded_slice(self, obj: Any, part: slice) -> Any:
        _budget().tick()
        result = obj[part]
        _made(result, "a slice")
        return result

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.tick()
        limit = budget.limits.max_output_chars
        if operator == "*":
            seq, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int):
                budget.allow(weight(seq, limit) * max(times, 0), "a * repetition")
            elif _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
                raise TemplateLimitExceeded(f"a product of more than {MAX_INT_BITS:,} bits")
        elif operator == "**" and isinstance(right, int) and isinstance(left, int):
            bits = int(abs(right) * math.log2(abs(left))) if abs(left) > 1 else 0
            if right > 0 and bits > MAX_INT_BITS:
                raise TemplateLimitExceeded(f"a power of about {_count(bits)} bits")
        elif operator == "%" and isinstance(left, str):
            budget.allow(_percent_size(left, right, limit), "a % format")
        result = self.binop_table[operator](left, right)
        _made(result, f"the result of {operator}")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            literal = getattr(getattr(__obj, "_iterable", None), "literal", 0)
            args = (_CountedIterator(args[0], literal), *args[1:])
        if __obj is not _checked_range and not isinstance(__obj, _CountedIterator):
            _method_precheck(__obj, args, kwargs)
        budget.step()
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise TemplateLimitExceeded(f"calls nested more than {MAX_CALL_DEPTH} deep")
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        _made(result, "the result of a call")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt = value.__self__
        is_map = value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            budget = _budget()
            positional, named = ((), args[0]) if is_map and args else (args, kwargs)
            budget.allow(
                _format_size(fmt, positional, named, budget.limits.max_output_chars),
                "str.format()",
            )
            return wrapper(*args, **kwargs)

        return bounded


_ENVIRONMENTS: dict[bool, BoundedEnvironment] = {}


def environment(*, autoescape: bool = True) -> BoundedEnvironment:
    """The shared environment (stateless: the budget lives in a context variable)."""
    env = _ENVIRONMENTS.get(autoescape)
    if env is None:
        env = _ENVIRONMENTS[autoescape] = BoundedEnvironment(autoescape=autoescape)
    return env


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


class _UnsafeNames(Exception):
    pass


@lru_cache(maxsize=32)
def _compiled(source: str, autoescape: bool) -> Template:
    """Parse and compile once per source text (a 100 kB template takes seconds to compile
    on a busy machine; a quote PDF renders the same template every time)."""
    env = environment(autoescape=autoescape)
    tree = env.parse(source)
    unsafe = _unsafe_names(tree)
    if unsafe:
        raise _UnsafeNames(", ".join(sorted(set(unsafe)))[:200])
    return env.from_string(tree)


def render_template(
    source: str,
    context: Mapping[str, Any],
    *,
    field: str,
    limits: TemplateLimits | None = None,
    autoescape: bool = True,
) -> str:
    """Render a user's template within ``limits`` (the settings' by default).

    Any failure — a syntax error, a sandbox refusal, a limit — raises ``TemplateRefused``
    (a 422) naming ``field`` and the reason; nothing a template does reaches a 500. The
    clock starts after compiling: compile time is bounded by the template's length (each
    caller's schema limits it), render time by what the template asks for."""
    limits = limits or TemplateLimits.from_settings()
    budget = _Budget(limits)
    token = _current.set(budget)
    try:
        template = _compiled(source, autoescape)
        budget.deadline = time.monotonic() + limits.max_render_seconds
        out: list[str] = []
        size = 0
        for n, chunk in enumerate(template.generate(**context)):
            size += len(chunk)
            budget.allow(size, "the output")
            if n % 64 == 0:
                budget.tick()
            out.append(chunk)
        return "".join(out)
    except _UnsafeNames as exc:
        raise TemplateRefused(f"the template uses unsafe attributes: {exc}", field=field) from None
    except TemplateRefused:
        raise
    except TemplateLimitExceeded as exc:
        raise TemplateRefused(f"the template exceeds a limit: {exc}", field=field) from None
    except TemplateSyntaxError as exc:
        raise TemplateRefused(
            f"template syntax error on line {exc.lineno}: {exc.message}", field=field
        ) from None
    except RecursionError:
        raise TemplateRefused(
            "the template exceeds a limit: recursion too deep", field=field
        ) from None
    except MemoryError:
        raise TemplateRefused("the template exceeds a limit: out of memory", field=field) from None
    except Exception as exc:  # a sandbox refusal, a bad filter, a type error …
        raise TemplateRefused(
            f"the template does not render: {type(exc).__name__}: {str(exc)[:200]}",
            field=field,
        ) from None
    finally:
        _current.reset(token)


__all__ = [
    "BoundedEnvironment",
    "TemplateLimitExceeded",
    "TemplateLimits",
    "TemplateRefused",
    "render_template",
    "weight",
]
