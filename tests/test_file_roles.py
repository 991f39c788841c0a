"""File roles (ARCHITECTURE.md): a domain package keeps all of its SQL in ``repository.py``.

The test reads every module of every domain package with ``ast`` and fails on a statement
built or run outside ``repository.py``: ``select(``/``insert(``/``update(``/``delete(`` (and
``union``, ``exists``, ``text``) taken from SQLAlchemy, and ``.execute``/``.scalars``/``.scalar``/
``.query`` called on a session.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nexa"

# Packages under src/nexa that are not domain packages, and why.
NOT_DOMAINS = {
    "core": "the kernel: the base repository, filtering, events and audit build SQL for everyone",
    "models": "the tables themselves (column defaults, hybrid expressions), no queries of a domain",
    "migrations": "Alembic revisions run DDL and data fixes by design",
    "web": "delivery layer: htmx routes parse, call services and render",
    "api": "delivery layer: the JSON routers' shared machinery calls services",
    "cli": "delivery layer: Typer commands call services",
    # demo: counts, look-ups and bulk inserts (34 statements) in service.py, sales.py, scale.py
    "demo": "a data generator for demos and benchmarks, outside the product's domains",
    # intelligence: deal_model.py reads and writes the ml_models registry itself (3 statements);
    # send_time.py and channel_preference.py read engagement for many members in chunked
    # queries (issue 19: organization-wide histograms and rates, a query count per 500 members)
    "intelligence": "the ML layer services call with the rows they read; not a domain",
}

# Domain packages not converted yet in this branch: package -> why it is still allowed.
# The lead engineer empties this at merge, when the other branches have landed.
NOT_YET_CONVERTED: dict[str, str] = {}

STATEMENT_BUILDERS = {
    "select",
    "insert",
    "update",
    "delete",
    "union",
    "union_all",
    "exists",
    "text",
}
SESSION_METHODS = {"execute", "scalars", "scalar", "query"}


def domain_packages() -> list[str]:
    return sorted(
        p.name
        for p in SRC.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in NOT_DOMAINS
    )


def _is_session(node: ast.expr) -> bool:
    """``session``, ``db``, ``self.session``, ``repo.session`` …"""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return isinstance(name, str) and (name == "db" or name.endswith("session"))


def sql_outside_repository(source: str) -> list[tuple[int, str]]:
    """(line, what) for each statement built or run in ``source``."""
    tree = ast.parse(source)
    builders: set[str] = set()  # local names bound to a SQLAlchemy statement builder
    modules: set[str] = set()  # local names bound to the sqlalchemy module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in STATEMENT_BUILDERS:
                    builders.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    modules.add(alias.asname or alias.name.split(".")[0])
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in builders:
            found.append((node.lineno, f"{func.id}("))
        elif isinstance(func, ast.Attribute):
            owner = func.value
            if (
                func.attr in STATEMENT_BUILDERS
                and isinstance(owner, ast.Name)
                and owner.id in modules
            ):
                found.append((node.lineno, f"{owner.id}.{func.attr}("))
            elif func.attr in SESSION_METHODS and _is_session(owner):
                found.append((node.lineno, f"{ast.unparse(owner)}.{func.attr}("))
    return sorted(found)


def violations(package: str) -> list[str]:
    out = []
    for path in sorted((SRC / package).rglob("*.py")):
        if path.name == "repository.py":
            continue
        for line, what in sql_outside_repository(path.read_text()):
            out.append(f"{path.relative_to(SRC.parent)}:{line}: {what}")
    return out


def test_the_lists_name_real_packages() -> None:
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    assert set(NOT_DOMAINS) <= packages
    assert set(NOT_YET_CONVERTED) <= set(domain_packages())


@pytest.mark.parametrize("package", [p for p in domain_packages() if p not in NOT_YET_CONVERTED])
def test_sql_lives_in_repository(package: str) -> None:
    found = violations(package)
    assert not found, "SQL outside repository.py (move it there):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        "from sqlalchemy import select\nselect(X)",
        "from sqlalchemy import select as s\ns(X)",
        "import sqlalchemy as sa\nsa.update(X)",
        "from sqlalchemy import delete\ndelete(X)",
        "from sqlalchemy.dialects.sqlite import insert\ninsert(X)",
        "session.execute(stmt)",
        "self.session.scalars(stmt)",
        "db.scalar(stmt)",
        "session.query(X)",
    ],
)
def test_the_check_sees(snippet: str) -> None:
    assert sql_outside_repository(snippet)


def test_the_check_ignores_other_calls() -> None:
    assert not sql_outside_repository(
        "repo.list(actor)\nsession.add(x)\nsession.flush()\nitems.update(a=1)\nseen.delete(1)"
    )
