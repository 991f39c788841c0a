"""No database work on the event loop (ARCHITECTURE.md): the route table of the whole app,
API and web, has no ``async def`` endpoint that opens a session or calls a service.

An ``async def`` endpoint runs on the event loop thread; with the sync session every statement
it runs (a service's, its subscribers') blocks every other request for the length of the
save. Such an endpoint is a plain ``def`` (FastAPI runs it in its thread pool) that takes the
parsed form from ``nexa.web.pages.PostedForm``. What stays async: dependencies that only read
the request (the form, an upload, the CSRF check) and the API's session dependency (the
documented exception in the README: it builds the session on the loop, which does no I/O,
and runs commit and close in a worker thread).

An endpoint is refused when it is a coroutine function and either its dependency tree holds a
session dependency, or its body (or a helper it calls, followed a few levels into nexa's own
code) names ``session``/``session_scope``/``unit_of_work`` or reaches a domain's ``service``,
``flows`` or ``repository`` module.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount

from nexa.api.deps import get_session
from nexa.web.pages import WebActor, web_session

SESSION_DEPENDENCIES: set[Callable[..., Any]] = {get_session, web_session}
SESSION_NAMES = {"session", "session_scope", "unit_of_work", "sessionmaker_for"}
DOMAIN_WORK = re.compile(r"^nexa\.[\w.]+\.(service|flows|repository)$|^nexa\.core\.db\.")
FOLLOW_DEPTH = 3


Walked = tuple[str, APIRoute, tuple[Any, ...]]  # full path, route, include-level dependencies


def routes_of(app: Any, prefix: str = "", extra: tuple[Any, ...] = ()) -> Iterator[Walked]:
    """Every API route below ``app``: through mounted sub-applications and through included
    routers (FastAPI >= 0.137 keeps an included router as a node, ``_IncludedRouter``, whose
    prefix and dependencies live in its ``include_context``)."""
    for route in getattr(app, "routes", ()):
        if isinstance(route, APIRoute):
            yield prefix + route.path, route, extra
        elif isinstance(route, Mount):
            yield from routes_of(route.app, prefix + route.path, extra)
        elif hasattr(route, "original_router") and hasattr(route, "include_context"):
            context = route.include_context
            added = tuple(d.dependency for d in context.dependencies)
            yield from routes_of(route.original_router, prefix + context.prefix, extra + added)


def _dependency_calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependency_calls(sub)


def _module_of(value: Any) -> str:
    if isinstance(value, types.ModuleType):
        return value.__name__
    return str(getattr(value, "__module__", "") or "")


def _names(fn: Any) -> dict[str, Any]:
    """What the free names of ``fn`` are bound to: globals, closure cells, and for a bound
    method the attributes of its instance (as ``self.<name>``)."""
    fn = inspect.unwrap(fn)
    target = fn.__func__ if inspect.ismethod(fn) else fn
    bound: dict[str, Any] = dict(getattr(target, "__globals__", {}))
    code = getattr(target, "__code__", None)
    if code is not None and target.__closure__:
        for name, cell in zip(code.co_freevars, target.__closure__, strict=False):
            try:
                bound[name] = cell.cell_contents
            except ValueError:  # an empty cell
                continue
    if inspect.ismethod(fn):
        for name in dir(fn.__self__):
            if not name.startswith("__"):
                bound[f"self.{name}"] = getattr(fn.__self__, name, None)
    return bound


def database_work(fn: Any, depth: int = FOLLOW_DEPTH, seen: set[int] | None = None) -> list[str]:
    """Why the body of ``fn`` touches the database (empty: it does not, as far as we see)."""
    seen = set() if seen is None else seen
    fn = inspect.unwrap(fn)
    if id(fn) in seen:
        return []
    seen.add(id(fn))
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return []
    tree = ast.parse(source)
    bound = _names(fn)
    reasons: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.ImportFrom):
                modules += [f"{node.module}.{a.name}" for a in node.names]
            else:
                modules += [a.name for a in node.names]
            reasons += [f"imports {m}" for m in modules if DOMAIN_WORK.match(m)]
            continue
        if isinstance(node, ast.Name):
            key = node.id
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            key = f"self.{node.attr}"
        else:
            continue
        if key in SESSION_NAMES or key.removeprefix("self.") in SESSION_NAMES:
            reasons.append(f"names {key!r}")
            continue
        if key not in bound:
            continue
        value = bound[key]
        module = _module_of(value)
        if DOMAIN_WORK.match(module):
            reasons.append(f"uses {key!r} from {module}")
        elif (
            depth > 0
            and (module.startswith("nexa.") or module == _module_of(fn))
            and (inspect.isfunction(value) or inspect.ismethod(value))
        ):
            # a helper of nexa's own runs on the loop too when the endpoint calls it
            reasons += [f"{key} -> {r}" for r in database_work(value, depth - 1, seen)]
    return reasons


def offending_routes(app: Any) -> list[str]:
    found = []
    for path, route, extra in routes_of(app):
        endpoint = route.endpoint
        if not inspect.iscoroutinefunction(inspect.unwrap(endpoint)):
            continue
        calls = list(_dependency_calls(route.dependant))
        for dependency in extra:
            calls.append(dependency)
            calls += _dependency_calls(get_dependant(path=path, call=dependency))
        reasons = [f"depends on {c.__name__}" for c in calls if c in SESSION_DEPENDENCIES]
        reasons = list(dict.fromkeys(reasons + database_work(endpoint)))
        if reasons:
            methods = ",".join(sorted(route.methods or ()))
            found.append(f"{methods} {path} ({endpoint.__name__}): {'; '.join(reasons[:3])}")
    return found


def test_no_async_endpoint_touches_the_database(built_app: Any) -> None:
    routes = list(routes_of(built_app))
    # the walk reaches both halves of the app (an empty walk would pass anything)
    assert sum(1 for p, _, _ in routes if p.startswith("/api/")) > 100
    assert sum(1 for p, _, _ in routes if not p.startswith("/api/")) > 100
    offending = offending_routes(built_app)
    assert not offending, (
        "async def endpoints that do database work on the event loop; make them plain def "
        "(a form: `form: PostedForm`):\n" + "\n".join(offending)
    )


# ---- the checker itself: it sees what it must see ------------------------------------------


async def _async_with_session(session: Any) -> None:
    session.flush()


async def _async_via_service(record_id: Any) -> None:
    from nexa.lead import service as leads

    _ = leads


async def _async_helper_calls_service() -> None:
    await _async_with_session(None)


async def _async_reads_only(request: Any) -> dict[str, Any]:
    return dict(await request.form())


def test_the_checker_finds_session_service_and_helper_use() -> None:
    assert database_work(_async_with_session)
    assert database_work(_async_via_service)
    assert database_work(_async_helper_calls_service)
    assert not database_work(_async_reads_only)


def test_the_checker_sees_the_session_dependency() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/bad")
    async def bad(actor: WebActor) -> None:  # the actor's dependency opens the session
        return None

    @router.get("/fine")
    async def fine() -> None:
        return None

    app.include_router(router)
    assert [r.split(" (")[0] for r in offending_routes(app)] == ["GET /bad"]
