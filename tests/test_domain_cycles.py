"""Domains call each other one way: no cycle between two domains' services.

The graph is grimp's (the one import-linter builds), imports inside functions included, so a
cycle cannot be hidden by moving an import into a function. An edge A -> B means a module of
domain A that holds rules (service, subscribers, helpers) imports a module of domain B that
holds rules too. Left out on purpose:
- as importers, the layers above the rules: endpoints, jobs and flows (a flow such as lead
  intake orchestrates several domains by design, ARCHITECTURE.md's ``flows.py``);
- as imported modules, the data a domain shares: its repository, schemas and events (scoring
  reading leads through ``lead.repository`` does not tie lead's rules to scoring's).
"""

from __future__ import annotations

import grimp

# Packages under nexa that are not domains: the kernel, the tables, the delivery layers and
# the entry points (import-linter's contracts place them).
NOT_DOMAINS = {
    "core",
    "models",
    "migrations",
    "web",
    "api",
    "cli",
    "demo",
    "app",
    "worker",
    "subscribers",
    "config",
    "modules",
    "intelligence",
}
ABOVE_THE_RULES = {"endpoints", "jobs", "flows"}
SHARED_DATA = {"repository", "schemas", "events"}


def domain_graph() -> dict[str, set[str]]:
    """Domain -> the domains whose rules it imports."""
    graph = grimp.build_graph("nexa")
    domains = {m.split(".")[1] for m in graph.modules if m.count(".") >= 1} - NOT_DOMAINS
    edges: dict[str, set[str]] = {d: set() for d in domains}
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 3 or parts[1] not in domains or parts[2] in ABOVE_THE_RULES:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            other = imported.split(".")
            if len(other) < 3 or other[1] not in domains or other[1] == parts[1]:
                continue
            if other[2] not in SHARED_DATA:
                edges[parts[1]].add(other[1])
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_cycle_between_domains() -> None:
    assert cycles(domain_graph()) == []
